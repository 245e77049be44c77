import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  addYears,
  addYearsInZone,
  amountInWords,
  dateFormatProblem,
  endOfLocalDay,
  formatInZone,
  formatInstant,
  formatLocalDate,
  instantOf,
  isLocalDate,
  isoWeekday,
  isTimeZone,
  lastMillisecondOfLocalDay,
  localDateOf,
  offsetMinutesAt,
  parseInstant,
  startOfLocalDay,
} from '../../../functions/domain/deadlines/local-time.ts';

/**
 * derbes' local time against known answers. Where a value was printed by the luxon-based code this module replaced
 * (run once, before the change), the literal here is what it printed; clock changes are those of the tz database:
 * Almaty went from UTC+6 to UTC+5 at 00:00 on 1 March 2024 (the hour before that midnight is read twice), Moscow
 * from +4 to +3 at 02:00 on 26 October 2014, Los Angeles and Berlin keep summer time.
 */
const at = (iso: string) => new Date(iso);

describe('an instant in a zone', () => {
  it.each([
    ['2024-02-29T17:30:00Z', 'Asia/Almaty', '2024-02-29T23:30:00+06:00', '2024-02-29', 360],
    ['2024-02-29T18:30:00Z', 'Asia/Almaty', '2024-02-29T23:30:00+05:00', '2024-02-29', 300],
    ['2024-02-29T19:00:00Z', 'Asia/Almaty', '2024-03-01T00:00:00+05:00', '2024-03-01', 300],
    ['2025-06-01T12:00:00.250Z', 'Asia/Aqtobe', '2025-06-01T17:00:00.250+05:00', '2025-06-01', 300],
    ['2014-10-25T21:30:00Z', 'Europe/Moscow', '2014-10-26T01:30:00+04:00', '2014-10-26', 240],
    ['2014-10-25T22:30:00Z', 'Europe/Moscow', '2014-10-26T01:30:00+03:00', '2014-10-26', 180],
    ['2025-03-09T10:30:00Z', 'America/Los_Angeles', '2025-03-09T03:30:00-07:00', '2025-03-09', -420],
    ['2025-11-02T08:30:00Z', 'America/Los_Angeles', '2025-11-02T01:30:00-07:00', '2025-11-02', -420],
    ['2025-11-02T09:30:00Z', 'America/Los_Angeles', '2025-11-02T01:30:00-08:00', '2025-11-02', -480],
    ['2025-10-26T00:30:00Z', 'Europe/Berlin', '2025-10-26T02:30:00+02:00', '2025-10-26', 120],
    ['2025-10-26T01:30:00Z', 'Europe/Berlin', '2025-10-26T02:30:00+01:00', '2025-10-26', 60],
    ['2025-01-02T03:04:05Z', 'UTC', '2025-01-02T03:04:05Z', '2025-01-02', 0],
    ['2025-01-02T03:04:05Z', 'Etc/UTC', '2025-01-02T03:04:05+00:00', '2025-01-02', 0],
  ])('%s in %s reads %s', (instant, zone, formatted, localDate, offset) => {
    expect(formatInstant(at(instant), zone)).toBe(formatted);
    expect(localDateOf(at(instant), zone)).toBe(localDate);
    expect(offsetMinutesAt(at(instant), zone)).toBe(offset);
    expect(parseInstant(formatted).getTime()).toBe(at(instant).getTime());
  });

  it('knows the zones Intl knows, and nothing else', () => {
    expect(['Asia/Almaty', 'asia/almaty', 'UTC', 'Etc/GMT+5'].map(isTimeZone)).toEqual([true, true, true, true]);
    expect(['Mars/Olympus', '', 'Asia/Almaty '].map(isTimeZone)).toEqual([false, false, false]);
    expect(() => localDateOf(at('2025-01-01T00:00:00Z'), 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('the start and the end of a local day', () => {
  it.each([
    // The hour before midnight into 1 March 2024 is read twice in Almaty: a day ends at the earlier 23:59:59.
    ['2024-02-29', 'Asia/Almaty', '2024-02-28T18:00:00.000Z', '2024-02-29T17:59:59.000Z'],
    ['2024-03-01', 'Asia/Almaty', '2024-02-29T19:00:00.000Z', '2024-03-01T18:59:59.000Z'],
    ['2025-01-15', 'Asia/Aqtobe', '2025-01-14T19:00:00.000Z', '2025-01-15T18:59:59.000Z'],
    ['2025-05-12', 'Europe/Moscow', '2025-05-11T21:00:00.000Z', '2025-05-12T20:59:59.000Z'],
    ['2014-10-26', 'Europe/Moscow', '2014-10-25T20:00:00.000Z', '2014-10-26T20:59:59.000Z'],
    ['2025-03-09', 'America/Los_Angeles', '2025-03-09T08:00:00.000Z', '2025-03-10T06:59:59.000Z'],
    ['2025-11-02', 'America/Los_Angeles', '2025-11-02T07:00:00.000Z', '2025-11-03T07:59:59.000Z'],
    ['2025-03-30', 'Europe/Berlin', '2025-03-29T23:00:00.000Z', '2025-03-30T21:59:59.000Z'],
    ['2025-10-26', 'Europe/Berlin', '2025-10-25T22:00:00.000Z', '2025-10-26T22:59:59.000Z'],
    ['2025-01-02', 'UTC', '2025-01-02T00:00:00.000Z', '2025-01-02T23:59:59.000Z'],
  ])('%s in %s', (localDate, zone, start, end) => {
    expect(startOfLocalDay(localDate, zone).toISOString()).toBe(start);
    expect(endOfLocalDay(localDate, zone).toISOString()).toBe(end);
    expect(lastMillisecondOfLocalDay(localDate, zone).getTime()).toBe(startOfLocalDay(addDays(localDate, 1), zone).getTime() - 1);
  });

  it('formats an end of day as the deadlines write it', () => {
    expect(formatInstant(endOfLocalDay('2024-03-01', 'Asia/Almaty'), 'Asia/Almaty')).toBe('2024-03-01T23:59:59+05:00');
    expect(formatInstant(endOfLocalDay('2025-03-09', 'America/Los_Angeles'), 'America/Los_Angeles')).toBe('2025-03-09T23:59:59-07:00');
    expect(formatInstant(startOfLocalDay('2025-03-30', 'Europe/Berlin'), 'Europe/Berlin')).toBe('2025-03-30T00:00:00+01:00');
    expect(formatInstant(endOfLocalDay('2025-01-02', 'UTC'), 'UTC')).toBe('2025-01-02T23:59:59Z');
  });

  it('refuses a day that does not exist', () => {
    expect(() => startOfLocalDay('2025-02-29', 'Asia/Almaty')).toThrow(RangeError);
  });
});

describe('local dates', () => {
  it.each([
    ['2025-01-31', 1, '2025-02-28'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2025-03-31', -1, '2025-02-28'],
    ['2024-12-31', 2, '2025-02-28'],
    ['2025-05-15', -17, '2023-12-15'],
  ])('%s + %i months is %s (the month’s last day where it has no such date)', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });

  it('adds years and days', () => {
    expect(addYears('2024-02-29', 1)).toBe('2025-02-28');
    expect(addYears('2024-02-29', 4)).toBe('2028-02-29');
    expect(addYears('2026-03-20', -6)).toBe('2020-03-20');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-01-01', -1)).toBe('2024-12-31');
    expect(addDays('0099-12-31', 1)).toBe('0100-01-01');
  });

  it('names weekdays and real dates', () => {
    expect([isoWeekday('2025-12-01'), isoWeekday('2025-11-30')]).toEqual([1, 7]);
    expect(['2024-02-29', '2025-02-28'].map(isLocalDate)).toEqual([true, true]);
    expect(['2025-02-29', '2025-13-01', '2025-1-01', '2025-04-31', '2025-00-10', 'x'].map(isLocalDate)).toEqual([false, false, false, false, false, false]);
  });
});

describe('a term in calendar years from an instant (consent)', () => {
  it.each([
    ['2024-02-29T10:00:00Z', 'Asia/Almaty', '2025-02-28T11:00:00.000Z'], // 16:00 +06:00 → 28 February 16:00 +05:00
    ['2023-02-28T18:30:00Z', 'Asia/Almaty', '2024-02-29T19:30:00.000Z'], // 1 March 00:30 → 1 March 00:30 +05:00
    ['2024-03-09T10:30:00Z', 'America/Los_Angeles', '2025-03-09T10:30:00.000Z'], // 02:30 falls in the gap: 03:30 PDT
    ['2024-11-02T08:30:00Z', 'America/Los_Angeles', '2025-11-02T08:30:00.000Z'], // 01:30 is read twice: the earlier
    ['2025-03-29T01:30:00Z', 'Europe/Berlin', '2026-03-29T01:30:00.000Z'], // 02:30 falls in the gap: 03:30 CEST
  ])('%s in %s + 1 year', (from, zone, end) => {
    expect(addYearsInZone(at(from), 1, zone).toISOString()).toBe(end);
  });
});

describe('ISO 8601 instants', () => {
  it.each([
    ['2025-01-02T10:00:00+05:00', '2025-01-02T05:00:00.000Z'],
    ['2025-01-02T10:00:00Z', '2025-01-02T10:00:00.000Z'],
    ['2025-01-02T10:00+0500', '2025-01-02T05:00:00.000Z'],
    ['2025-01-02T10:00:00.5+05', '2025-01-02T05:00:00.500Z'],
    ['2025-01-02T10:00:00,123456Z', '2025-01-02T10:00:00.123Z'],
    ['2025-01-02T24:00:00Z', '2025-01-03T00:00:00.000Z'],
    ['2025-01-02t10:00:00z', '2025-01-02T10:00:00.000Z'],
  ])('reads %s', (text, instant) => {
    expect(parseInstant(text).toISOString()).toBe(instant);
  });

  it.each(['2025-02-30T10:00:00Z', '2025-01-02T25:00:00Z', '2025-01-02T10:60:00Z', '2025-01-02T10:00:00', '2025-01-02', 'nonsense', ''])('refuses %j', (text) => {
    expect(instantOf(text)).toBeUndefined();
    expect(() => parseInstant(text)).toThrow(RangeError);
  });

  it.each([
    ['2025-01-02T10:00:00', 'Asia/Almaty', '2025-01-02T05:00:00.000Z'],
    ['2025-01-02T10:00', 'Asia/Almaty', '2025-01-02T05:00:00.000Z'],
    ['2025-06-02T10:00:00.250', 'Asia/Almaty', '2025-06-02T05:00:00.250Z'],
    // The hour Almaty's clock showed twice (UTC+6 to UTC+5 at midnight into 1 March 2024): the earlier reading.
    ['2024-02-29T23:30:00', 'Asia/Almaty', '2024-02-29T17:30:00.000Z'],
    // Skipped in Los Angeles (spring forward): read with the offset before the jump.
    ['2025-03-09T02:30:00', 'America/Los_Angeles', '2025-03-09T10:30:00.000Z'],
    ['2025-01-02T24:00:00', 'Asia/Almaty', '2025-01-02T19:00:00.000Z'],
    // An offset given is the text's own, whatever the zone.
    ['2025-01-02T10:00:00Z', 'Asia/Almaty', '2025-01-02T10:00:00.000Z'],
  ])('reads %s without an offset on the wall clock of %s', (text, zone, instant) => {
    expect(instantOf(text, zone)?.toISOString()).toBe(instant);
    if (!text.endsWith('Z')) expect(instantOf(text)).toBeUndefined();
  });
});

describe('dates in words', () => {
  const catalogues = {
    ru: { date: 'd MMMM yyyy, HH:mm', day: 'd MMMM yyyy' },
    kk: { date: "yyyy 'жылғы' d MMMM, HH:mm", day: "yyyy 'жылғы' d MMMM" },
    en: { date: 'd MMMM yyyy, HH:mm', day: 'd MMMM yyyy' },
  } as const;

  it.each([
    ['ru', '2025-12-05T05:07:00Z', 'Asia/Almaty', '5 декабря 2025, 10:07'],
    ['ru', '2024-02-29T18:30:00Z', 'Asia/Almaty', '29 февраля 2024, 23:30'],
    ['ru', '2025-05-01T00:00:00Z', 'America/Los_Angeles', '30 апреля 2025, 17:00'],
    ['ru', '2025-03-08T21:15:00Z', 'Europe/Moscow', '9 марта 2025, 00:15'],
    ['kk', '2025-12-05T05:07:00Z', 'Asia/Almaty', '2025 жылғы 5 желтоқсан, 10:07'],
    ['kk', '2024-02-29T18:30:00Z', 'Asia/Almaty', '2024 жылғы 29 ақпан, 23:30'],
    ['kk', '2025-05-01T00:00:00Z', 'America/Los_Angeles', '2025 жылғы 30 сәуір, 17:00'],
    ['kk', '2025-03-08T21:15:00Z', 'Europe/Moscow', '2025 жылғы 9 наурыз, 00:15'],
    ['en', '2025-12-05T05:07:00Z', 'Asia/Almaty', '5 December 2025, 10:07'],
    ['en', '2024-02-29T18:30:00Z', 'Asia/Almaty', '29 February 2024, 23:30'],
    ['en', '2025-05-01T00:00:00Z', 'America/Los_Angeles', '30 April 2025, 17:00'],
    ['en', '2025-03-08T21:15:00Z', 'Europe/Moscow', '9 March 2025, 00:15'],
  ] as const)('%s: %s in %s', (language, instant, zone, expected) => {
    expect(formatInZone(at(instant), zone, catalogues[language].date, language)).toBe(expected);
  });

  it.each([
    ['ru', ['9 января 2025', '1 марта 2025', '31 мая 2025', '15 сентября 2025', '31 декабря 2025']],
    ['kk', ['2025 жылғы 9 қаңтар', '2025 жылғы 1 наурыз', '2025 жылғы 31 мамыр', '2025 жылғы 15 қыркүйек', '2025 жылғы 31 желтоқсан']],
    ['en', ['9 January 2025', '1 March 2025', '31 May 2025', '15 September 2025', '31 December 2025']],
  ] as const)('%s: days', (language, expected) => {
    const days = ['2025-01-09', '2025-03-01', '2025-05-31', '2025-09-15', '2025-12-31'];
    expect(days.map((day) => formatLocalDate(day, catalogues[language].day, language))).toEqual(expected);
  });

  it('writes the offset, padded numbers, and the weekday', () => {
    expect(formatInZone(at('2025-12-05T05:07:00Z'), 'Europe/Berlin', "'UTC'ZZ", 'ru')).toBe('UTC+01:00');
    expect(formatInZone(at('2025-07-05T05:07:00Z'), 'America/Los_Angeles', "'UTC'ZZ", 'en')).toBe('UTC-07:00');
    expect(formatInZone(at('2025-01-31T18:59:59Z'), 'Asia/Almaty', 'cccc d MMMM yyyy, HH:mm:ss', 'en')).toBe('Friday 31 January 2025, 23:59:59');
    expect(formatInZone(at('2025-01-05T01:02:03Z'), 'UTC', 'dd.HH.mm.ss', 'en')).toBe('05.01.02.03');
  });

  it('refuses a format with a token it does not write, or a quote left open', () => {
    expect(dateFormatProblem("yyyy 'жылғы' d MMMM, HH:mm")).toBeUndefined();
    expect(dateFormatProblem('d MMM yyyy')).toMatch(/'MMM' is not a date token/);
    expect(dateFormatProblem('d LLLL yyyy')).toMatch(/'LLLL' is not a date token/);
    expect(dateFormatProblem('d MMMM yyyy жылғы')).toMatch(/'ж' is not a date token/);
    expect(dateFormatProblem("d MMMM 'yyyy")).toMatch(/quote is not closed/);
    expect(() => formatInZone(at('2025-01-05T01:02:03Z'), 'UTC', 'D', 'en')).toThrow(RangeError);
  });

  it.each([
    ['ru', ['1 год', '3 года', '5 лет', '1 месяц', '6 месяцев', '30 дней', '21 день', '2 дня']],
    ['kk', ['1 жыл', '3 жыл', '5 жыл', '1 ай', '6 ай', '30 күн', '21 күн', '2 күн']],
    ['en', ['1 year', '3 years', '5 years', '1 month', '6 months', '30 days', '21 days', '2 days']],
  ] as const)('%s: an amount of one unit', (language, expected) => {
    const amounts = [[1, 'years'], [3, 'years'], [5, 'years'], [1, 'months'], [6, 'months'], [30, 'days'], [21, 'days'], [2, 'days']] as const;
    expect(amounts.map(([amount, unit]) => amountInWords(amount, unit, language))).toEqual(expected);
  });
});
