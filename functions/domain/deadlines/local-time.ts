/**
 * Local time, from the runtime's Intl (full ICU, the tz database) and UTC arithmetic: nothing else is loaded at init.
 *
 * Local dates are 'YYYY-MM-DD' strings; their arithmetic runs in UTC so that no clock change can shift a day.
 * Instants go through the tz database of the calendar's zone, never a fixed offset: a zone's offset at an instant
 * is what its wall clock reads then, less the instant.
 */
const LOCAL_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** What a wall clock (and calendar) in a zone reads at an instant. Months run 1–12. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/**
 * Milliseconds since the epoch of a wall-clock reading taken as UTC. Date.UTC reads years 0–99 as 1900–1999; the
 * year is set again for those.
 */
function utcMillis(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millisecond = 0): number {
  const millis = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  if (year >= 0 && year < 100) {
    const date = new Date(millis);
    date.setUTCFullYear(date.getUTCFullYear() - 1900);
    return date.getTime();
  }
  return millis;
}

function calendarDateOfUtc(millis: number): CalendarDate {
  const date = new Date(millis);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

function daysInMonth(year: number, month: number): number {
  return calendarDateOfUtc(utcMillis(year, month + 1, 0)).day;
}

function pad(value: number, width: number): string {
  const digits = String(Math.abs(value)).padStart(width, '0');
  return value < 0 ? `-${digits}` : digits;
}

function dateText({ year, month, day }: CalendarDate): string {
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** The date a 'YYYY-MM-DD' string names, or undefined where it names none (2025-02-29, 2025-13-01). */
function calendarDateOf(localDate: string): CalendarDate | undefined {
  const match = LOCAL_DATE_PATTERN.exec(localDate);
  if (!match) return undefined;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

function asDate(localDate: string): CalendarDate {
  const date = calendarDateOf(localDate);
  if (!date) throw new RangeError(`Not a local date (YYYY-MM-DD): ${localDate}`);
  return date;
}

export function isLocalDate(value: string): boolean {
  return calendarDateOf(value) !== undefined;
}

/** One formatter per zone, reused: building an Intl.DateTimeFormat costs far more than formatting with one. */
const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClockFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = wallClockFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    wallClockFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** A name Intl knows as a time zone (the tz database's names, case aside, and UTC). */
export function isTimeZone(name: string): boolean {
  if (!name) return false;
  try {
    wallClockFormatter(name);
    return true;
  } catch {
    return false;
  }
}

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  try {
    return wallClockFormatter(timeZone);
  } catch {
    throw new RangeError(`Not a time zone: ${timeZone}`);
  }
}

/** What the wall clock of timeZone reads at `instant`. */
export function wallClockAt(instant: Date | number, timeZone: string): WallClock {
  const millis = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(millis)) throw new RangeError(`Cannot place ${String(instant)} in ${timeZone}`);
  const reading: Record<string, number> = {};
  let beforeChrist = false;
  for (const part of zoneFormatter(timeZone).formatToParts(millis)) {
    if (part.type === 'era') beforeChrist = part.value.startsWith('B');
    else if (part.type !== 'literal') reading[part.type] = Number(part.value);
  }
  return {
    year: beforeChrist ? 1 - reading.year! : reading.year!,
    month: reading.month!,
    day: reading.day!,
    hour: reading.hour!,
    minute: reading.minute!,
    second: reading.second!,
    millisecond: ((millis % MS_PER_SECOND) + MS_PER_SECOND) % MS_PER_SECOND,
  };
}

/** The offset from UTC, in minutes, of a zone whose wall clock read `wall` at the instant `millis`. */
function offsetOf(wall: WallClock, millis: number): number {
  return (utcMillis(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond) - millis) / MS_PER_MINUTE;
}

/** The zone's offset from UTC at `instant`, in minutes (Almaty in 2025: 300). */
export function offsetMinutesAt(instant: Date | number, timeZone: string): number {
  const millis = typeof instant === 'number' ? instant : instant.getTime();
  return offsetOf(wallClockAt(millis, timeZone), millis);
}

export function addDays(localDate: string, days: number): string {
  const { year, month, day } = asDate(localDate);
  return dateText(calendarDateOfUtc(utcMillis(year, month, day + days)));
}

/** The same date so many months on, or that month's last day where it has no such date (31 January + 1 month: 28 or 29 February). */
export function addMonths(localDate: string, months: number): string {
  const { year, month, day } = asDate(localDate);
  const monthIndex = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(monthIndex / 12);
  const targetMonth = monthIndex - targetYear * 12 + 1;
  return dateText({ year: targetYear, month: targetMonth, day: Math.min(day, daysInMonth(targetYear, targetMonth)) });
}

/** The same date so many years on; 29 February becomes 28 February in a year without one. */
export function addYears(localDate: string, years: number): string {
  return addMonths(localDate, years * 12);
}

/** A local date moved by a whole number of days, months or years (the units a term is kept in). */
export function addToLocalDate(localDate: string, amount: number, unit: 'days' | 'months' | 'years'): string {
  if (unit === 'days') return addDays(localDate, amount);
  return unit === 'months' ? addMonths(localDate, amount) : addYears(localDate, amount);
}

/** 1 = Monday … 7 = Sunday. */
export function isoWeekday(localDate: string): number {
  const { year, month, day } = asDate(localDate);
  return new Date(utcMillis(year, month, day)).getUTCDay() || 7;
}

export function yearOf(localDate: string): number {
  return asDate(localDate).year;
}

export function localDateOf(instant: Date, timeZone: string): string {
  return dateText(wallClockAt(instant, timeZone));
}

/**
 * The earliest instant at which the wall clock of timeZone reads `time` (milliseconds into the day) on localDate.
 * Where a clock change repeats that time (Almaty in the hour before midnight into 1 March 2024), the earlier
 * reading is the conservative one; where it skips it, the time is read with the offset before the jump, which lands
 * as far past the jump as the time was (02:30 on a spring-forward night in Los Angeles is 03:30).
 */
function earliestInstantAt(localDate: string, timeOfDay: number, timeZone: string): Date {
  const { year, month, day } = asDate(localDate);
  const wallAsUtc = utcMillis(year, month, day) + timeOfDay;
  const nearbyOffsets = new Set([-MS_PER_DAY, 0, MS_PER_DAY].map((shift) => offsetMinutesAt(wallAsUtc + shift, timeZone)));
  const readings = [...nearbyOffsets]
    .map((offset) => wallAsUtc - offset * MS_PER_MINUTE)
    .filter((instant) => offsetMinutesAt(instant, timeZone) * MS_PER_MINUTE === wallAsUtc - instant);
  if (readings.length) return new Date(Math.min(...readings));
  return new Date(wallAsUtc - Math.min(...nearbyOffsets) * MS_PER_MINUTE);
}

/** A due date ends at 23:59:59 local time. */
export function endOfLocalDay(localDate: string, timeZone: string): Date {
  return earliestInstantAt(localDate, 23 * MS_PER_HOUR + 59 * MS_PER_MINUTE + 59 * MS_PER_SECOND, timeZone);
}

export function startOfLocalDay(localDate: string, timeZone: string): Date {
  return earliestInstantAt(localDate, 0, timeZone);
}

/** The last millisecond of a local day: a day's span for a query that includes both of its ends. */
export function lastMillisecondOfLocalDay(localDate: string, timeZone: string): Date {
  return new Date(startOfLocalDay(addDays(localDate, 1), timeZone).getTime() - 1);
}

/** The same wall-clock time so many calendar years on, in the zone (29 February + 1 year is 28 February). */
export function addYearsInZone(instant: Date, years: number, timeZone: string): Date {
  const wall = wallClockAt(instant, timeZone);
  const timeOfDay = wall.hour * MS_PER_HOUR + wall.minute * MS_PER_MINUTE + wall.second * MS_PER_SECOND + wall.millisecond;
  return earliestInstantAt(addYears(dateText(wall), years), timeOfDay, timeZone);
}

/** +05:00, −03:30 as ISO 8601 writes an offset. */
function offsetText(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const minutes = Math.abs(Math.round(offsetMinutes));
  return `${sign}${pad(Math.trunc(minutes / 60), 2)}:${pad(minutes % 60, 2)}`;
}

/** 'UTC' and 'GMT' name UTC itself, written Z; a zone of the tz database is written with its offset, +00:00 included. */
function isUniversal(timeZone: string): boolean {
  const lowered = timeZone.toLowerCase();
  return lowered === 'utc' || lowered === 'gmt';
}

/** ISO 8601 with the zone's offset at that instant, milliseconds only where there are any. */
export function formatInstant(instant: Date, timeZone: string): string {
  const wall = wallClockAt(instant, timeZone);
  const fraction = wall.millisecond ? `.${pad(wall.millisecond, 3)}` : '';
  const offset = isUniversal(timeZone) ? 'Z' : offsetText(offsetOf(wall, instant.getTime()));
  return `${dateText(wall)}T${pad(wall.hour, 2)}:${pad(wall.minute, 2)}:${pad(wall.second, 2)}${fraction}${offset}`;
}

/** An instant as ISO 8601 writes it: the date, then the time to the minute or finer, then Z or an offset where it has one (t and z as RFC 3339 allows). */
const ISO_INSTANT_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?$/i;

/**
 * The instant an ISO 8601 text names, or undefined where it names none (30 February, 25:00). A text without Z or an
 * offset is a time on the wall clock of `wallClockZone` (a data source's local time), read as the earliest instant
 * the clock shows it; without that zone it names no instant.
 */
export function instantOf(iso: string, wallClockZone?: string): Date | undefined {
  const match = ISO_INSTANT_PATTERN.exec(iso);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '', zulu, sign, offsetHours, offsetMinutes = '0'] = match;
  const date = calendarDateOf(`${year}-${month}-${day}`);
  const millisecond = Math.floor(Number(`0.${fraction || '0'}`) * MS_PER_SECOND);
  const [h, m, s] = [Number(hour), Number(minute), Number(second)];
  const midnightNext = h === 24 && m === 0 && s === 0 && millisecond === 0;
  if (!date || (h > 23 && !midnightNext) || m > 59 || s > 59 || Number(offsetMinutes) > 59) return undefined;
  if (!zulu && !sign) {
    if (!wallClockZone) return undefined;
    return midnightNext
      ? startOfLocalDay(addDays(dateText(date), 1), wallClockZone)
      : earliestInstantAt(dateText(date), h * MS_PER_HOUR + m * MS_PER_MINUTE + s * MS_PER_SECOND + millisecond, wallClockZone);
  }
  const offset = sign ? (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) : 0;
  return new Date(utcMillis(date.year, date.month, date.day, h, m, s, millisecond) - offset * MS_PER_MINUTE);
}

export function parseInstant(iso: string): Date {
  const instant = instantOf(iso);
  if (!instant) throw new RangeError(`Not an ISO 8601 instant: ${iso}`);
  return instant;
}

/**
 * The tokens a catalogue may write a date with: the day (d, dd), the month's name as a date says it (MMMM: ru
 * «декабря», not «декабрь»), the year (yyyy), the hour 00–23 (HH), minutes (mm), seconds (ss), the weekday's name
 * (cccc), the zone's offset (ZZ, +05:00); words go in single quotes ('жылғы').
 */
export const DATE_FORMAT_TOKENS = ['d', 'dd', 'MMMM', 'yyyy', 'HH', 'mm', 'ss', 'cccc', 'ZZ'] as const;
type DateFormatToken = (typeof DATE_FORMAT_TOKENS)[number];

type FormatPiece = { token: DateFormatToken } | { literal: string };

/** A format's pieces: runs of one letter are tokens, quoted text and anything not a letter are written as they are. */
function parseFormat(format: string): FormatPiece[] | string {
  const pieces: FormatPiece[] = [];
  const pattern = /'([^']*)'|(\p{L})\2*|[^'\p{L}]+|'/gu;
  for (const [text, quoted, letter] of format.matchAll(pattern)) {
    if (quoted !== undefined) pieces.push({ literal: quoted });
    else if (letter !== undefined) {
      if (!(DATE_FORMAT_TOKENS as readonly string[]).includes(text)) return `'${text}' is not a date token (${DATE_FORMAT_TOKENS.join(', ')}; quote words: 'text')`;
      pieces.push({ token: text as DateFormatToken });
    } else if (text === "'") return 'a quote is not closed';
    else pieces.push({ literal: text });
  }
  return pieces;
}

/** Why a date format cannot be written with, or undefined where it can (for the catalogues' schemas). */
export function dateFormatProblem(format: string): string | undefined {
  const parsed = parseFormat(format);
  return typeof parsed === 'string' ? parsed : undefined;
}

const parsedFormats = new Map<string, FormatPiece[]>();

function formatPieces(format: string): FormatPiece[] {
  let pieces = parsedFormats.get(format);
  if (!pieces) {
    const parsed = parseFormat(format);
    if (typeof parsed === 'string') throw new RangeError(`Date format '${format}': ${parsed}`);
    parsedFormats.set(format, (pieces = parsed));
  }
  return pieces;
}

/** Month names (as in «5 декабря») and weekday names of one language, from Intl; built once per language. */
const calendarNames = new Map<string, { months: string[]; weekdays: string[] }>();

function namesIn(language: string): { months: string[]; weekdays: string[] } {
  let names = calendarNames.get(language);
  if (!names) {
    // The month as a date says it: formatted with a day, the month part is in the format (genitive) context.
    const monthWithDay = new Intl.DateTimeFormat(language, { timeZone: 'UTC', month: 'long', day: 'numeric' });
    const weekday = new Intl.DateTimeFormat(language, { timeZone: 'UTC', weekday: 'long' });
    names = {
      months: Array.from({ length: 12 }, (_, index) => monthWithDay.formatToParts(Date.UTC(2000, index, 15)).find((part) => part.type === 'month')!.value),
      // 2001-01-01 was a Monday: index 0 is Monday, as isoWeekday counts from 1.
      weekdays: Array.from({ length: 7 }, (_, index) => weekday.format(Date.UTC(2001, 0, 1 + index))),
    };
    calendarNames.set(language, names);
  }
  return names;
}

function tokenText(token: DateFormatToken, wall: WallClock, millis: number, language: string): string {
  switch (token) {
    case 'd':
      return String(wall.day);
    case 'dd':
      return pad(wall.day, 2);
    case 'MMMM':
      return namesIn(language).months[wall.month - 1]!;
    case 'yyyy':
      return pad(wall.year, 4);
    case 'HH':
      return pad(wall.hour, 2);
    case 'mm':
      return pad(wall.minute, 2);
    case 'ss':
      return pad(wall.second, 2);
    case 'cccc':
      return namesIn(language).weekdays[isoWeekday(dateText(wall)) - 1]!;
    case 'ZZ':
      return offsetText(offsetOf(wall, millis));
  }
}

/** An instant as the wall clock of timeZone reads it, written in `format` (DATE_FORMAT_TOKENS) in `language`. */
export function formatInZone(instant: Date, timeZone: string, format: string, language: string): string {
  const wall = wallClockAt(instant, timeZone);
  return formatPieces(format)
    .map((piece) => ('literal' in piece ? piece.literal : tokenText(piece.token, wall, instant.getTime(), language)))
    .join('');
}

/** A local date written in `format` (DATE_FORMAT_TOKENS; its time reads midnight, its offset UTC's) in `language`. */
export function formatLocalDate(localDate: string, format: string, language: string): string {
  const { year, month, day } = asDate(localDate);
  return formatInZone(new Date(utcMillis(year, month, day)), 'UTC', format, language);
}

/** An amount of one unit as words say it: «3 года», "1 month", «5 жыл». */
export function amountInWords(amount: number, unit: 'days' | 'months' | 'years', language: string): string {
  return new Intl.NumberFormat(language, { style: 'unit', unit: unit.slice(0, -1), unitDisplay: 'long' }).format(amount);
}
