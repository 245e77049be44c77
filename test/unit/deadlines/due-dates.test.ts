import { describe, expect, it } from 'vitest';
import { createDeadlineEngine } from '../../../functions/domain/deadlines/index.ts';
import type { RequestType } from '../../../functions/domain/request-types.ts';
import { dateHolidays } from '../../../functions/adapters/holidays/date-holidays.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';

/**
 * Every expected value below was worked out by hand from shared/design/law.md (weekday of each date
 * checked against a wall calendar), never produced by the engine. KZ terms: access 3 working days;
 * rectification, blocking, unblocking, erasure 1; claim 30 (default). The day of receipt never
 * counts; a due date ends at 23:59:59 local time; Almaty is UTC+6 before 1 March 2024, UTC+5 after.
 */
interface Case {
  why: string;
  jurisdiction: string;
  type: RequestType;
  received: string;
  dueAt: string;
  ruleId?: string;
}

const cases: Case[] = [
  // New Year, 2025 transfer order (Fri 3 Jan off, Sun 5 Jan worked), 7 Jan
  { why: '2 Jan holiday; 3 Jan off by transfer; Sun 5 Jan worked (1), Mon 6 (2), 7 Jan off, Wed 8 (3)', jurisdiction: 'KZ', type: 'access', received: '2025-01-02T10:00:00+05:00', dueAt: '2025-01-08T23:59:59+05:00', ruleId: 'KZ-94V-art25-access' },
  { why: 'worked Sunday 5 Jan 2025 is the next working day', jurisdiction: 'KZ', type: 'erasure', received: '2025-01-02T10:00:00+05:00', dueAt: '2025-01-05T23:59:59+05:00', ruleId: 'KZ-94V-art25-erasure' },
  { why: '1-4 Jan off, 5 (1), 6 (2), 7 off, 8 (3)', jurisdiction: 'KZ', type: 'access', received: '2024-12-31T15:00:00+05:00', dueAt: '2025-01-08T23:59:59+05:00' },
  { why: '23:30 local on 31 Dec is still 31 Dec; next working day Sun 5 Jan', jurisdiction: 'KZ', type: 'rectification', received: '2024-12-31T23:30:00+05:00', dueAt: '2025-01-05T23:59:59+05:00' },
  { why: '19:30Z on 1 Jan is 00:30 on 2 Jan in Almaty', jurisdiction: 'KZ', type: 'access', received: '2025-01-01T19:30:00Z', dueAt: '2025-01-08T23:59:59+05:00' },
  { why: 'Fri 26 Dec: Mon 29 (1), Tue 30 (2), Wed 31 (3)', jurisdiction: 'KZ', type: 'access', received: '2025-12-26T10:00:00+05:00', dueAt: '2025-12-31T23:59:59+05:00' },
  { why: 'Tue 30 Dec: 31 (1), 1-2 Jan off, weekend, Mon 5 (2), Tue 6 (3)', jurisdiction: 'KZ', type: 'access', received: '2025-12-30T10:00:00+05:00', dueAt: '2026-01-06T23:59:59+05:00' },
  { why: '7 Jan 2026 (Wed) off, Thu 8', jurisdiction: 'KZ', type: 'erasure', received: '2026-01-06T12:00:00+05:00', dueAt: '2026-01-08T23:59:59+05:00' },
  { why: '7 Jan 2024 is a Sunday and never moves: Mon 8 Jan works', jurisdiction: 'KZ', type: 'erasure', received: '2024-01-05T12:00:00+06:00', dueAt: '2024-01-08T23:59:59+06:00' },
  { why: 'Sun 1 Jan 2023 moves to Tue 3 Jan (Mon 2 Jan is itself a holiday): Wed 4', jurisdiction: 'KZ', type: 'erasure', received: '2022-12-30T12:00:00+06:00', dueAt: '2023-01-04T23:59:59+06:00' },
  { why: '7 Jan 2023 is a Saturday and never moves: Mon 9 Jan works', jurisdiction: 'KZ', type: 'erasure', received: '2023-01-06T12:00:00+06:00', dueAt: '2023-01-09T23:59:59+06:00' },
  // Nauryz
  { why: 'Nauryz 2026 Sat 21, Sun 22, Mon 23 → Tue 24, Wed 25 off too: Thu 26', jurisdiction: 'KZ', type: 'erasure', received: '2026-03-20T12:00:00+05:00', dueAt: '2026-03-26T23:59:59+05:00' },
  { why: 'Nauryz 2026: Thu 26 (1), Fri 27 (2), Mon 30 (3)', jurisdiction: 'KZ', type: 'access', received: '2026-03-20T12:00:00+05:00', dueAt: '2026-03-30T23:59:59+05:00' },
  { why: 'received on Mon 23 Mar 2026 (holiday): 26, 27, 30', jurisdiction: 'KZ', type: 'access', received: '2026-03-23T10:00:00+05:00', dueAt: '2026-03-30T23:59:59+05:00' },
  { why: 'Nauryz 2025 Fri 21, Sat 22 → Mon 24, Sun 23 → Tue 25: 26, 27, 28', jurisdiction: 'KZ', type: 'access', received: '2025-03-20T18:30:00Z', dueAt: '2025-03-28T23:59:59+05:00' },
  // Late evening receipts around UTC midnight
  { why: 'Thu 10 Apr 2025 23:30 local (18:30Z): next working day Fri 11', jurisdiction: 'KZ', type: 'erasure', received: '2025-04-10T18:30:00Z', dueAt: '2025-04-11T23:59:59+05:00' },
  { why: '19:30Z Thu is 00:30 Fri 11 Apr local: next working day Mon 14', jurisdiction: 'KZ', type: 'erasure', received: '2025-04-10T19:30:00Z', dueAt: '2025-04-14T23:59:59+05:00' },
  { why: 'Thu 9 Nov 2023 23:30 at UTC+6 (17:30Z): Fri 10', jurisdiction: 'KZ', type: 'blocking', received: '2023-11-09T17:30:00Z', dueAt: '2023-11-10T23:59:59+06:00' },
  { why: '18:30Z on 9 Nov 2023 is already Fri 10 at UTC+6: Mon 13', jurisdiction: 'KZ', type: 'blocking', received: '2023-11-09T18:30:00Z', dueAt: '2023-11-13T23:59:59+06:00' },
  // Kurban Ait
  { why: 'Kurban Ait 2024 on Sun 16 Jun does not move; Mon 17 Jun is a working day', jurisdiction: 'KZ', type: 'erasure', received: '2024-06-14T16:00:00+05:00', dueAt: '2024-06-17T23:59:59+05:00' },
  { why: 'Kurban Ait 2024: 17 (1), 18 (2), 19 (3)', jurisdiction: 'KZ', type: 'access', received: '2024-06-14T16:00:00+05:00', dueAt: '2024-06-19T23:59:59+05:00' },
  { why: 'received on Kurban Ait Sun 16 Jun 2024: Mon 17', jurisdiction: 'KZ', type: 'unblocking', received: '2024-06-16T11:00:00+05:00', dueAt: '2024-06-17T23:59:59+05:00' },
  { why: 'Kurban Ait Fri 6 Jun 2025: Thu 5 (1), Mon 9 (2), Tue 10 (3)', jurisdiction: 'KZ', type: 'access', received: '2025-06-04T09:00:00+05:00', dueAt: '2025-06-10T23:59:59+05:00' },
  { why: 'Kurban Ait Wed 28 Jun 2023: Thu 29', jurisdiction: 'KZ', type: 'rectification', received: '2023-06-27T17:00:00+06:00', dueAt: '2023-06-29T23:59:59+06:00' },
  { why: 'Kurban Ait Wed 27 May 2026: Thu 28 (1), Fri 29 (2), Mon 1 Jun (3)', jurisdiction: 'KZ', type: 'access', received: '2026-05-26T10:00:00+05:00', dueAt: '2026-06-01T23:59:59+05:00' },
  // Transfer orders
  { why: '2023: 6 Jul holiday, Fri 7 Jul off by transfer: Mon 10 (1), 11 (2), 12 (3)', jurisdiction: 'KZ', type: 'access', received: '2023-07-05T10:00:00+06:00', dueAt: '2023-07-12T23:59:59+06:00' },
  { why: '2023: Sat 1 Jul is worked', jurisdiction: 'KZ', type: 'erasure', received: '2023-06-30T18:00:00+06:00', dueAt: '2023-07-01T23:59:59+06:00' },
  { why: '2024: Sat 4 May is worked', jurisdiction: 'KZ', type: 'erasure', received: '2024-05-03T12:00:00+05:00', dueAt: '2024-05-04T23:59:59+05:00' },
  { why: '2024: 7 May holiday, Wed 8 May off by transfer, 9 May holiday: Fri 10 (1), Mon 13 (2), Tue 14 (3)', jurisdiction: 'KZ', type: 'access', received: '2024-05-06T10:00:00+05:00', dueAt: '2024-05-14T23:59:59+05:00' },
  { why: '2022: Sat 22 Oct is worked', jurisdiction: 'KZ', type: 'erasure', received: '2022-10-21T10:00:00+06:00', dueAt: '2022-10-22T23:59:59+06:00' },
  { why: '2022: Sat 22 (1), Mon 24 off by transfer, Tue 25 Republic Day, Wed 26 (2), Thu 27 (3)', jurisdiction: 'KZ', type: 'access', received: '2022-10-21T10:00:00+06:00', dueAt: '2022-10-27T23:59:59+06:00' },
  // Weekends and holidays moved off weekends
  { why: 'received on Saturday: Mon 17 Feb', jurisdiction: 'KZ', type: 'erasure', received: '2025-02-15T10:00:00+05:00', dueAt: '2025-02-17T23:59:59+05:00' },
  { why: 'Fri 14 Feb: Mon 17 (1), 18 (2), 19 (3)', jurisdiction: 'KZ', type: 'access', received: '2025-02-14T10:00:00+05:00', dueAt: '2025-02-19T23:59:59+05:00' },
  { why: '8 Mar 2025 (Sat) moves to Mon 10 Mar: Tue 11', jurisdiction: 'KZ', type: 'erasure', received: '2025-03-07T12:00:00+05:00', dueAt: '2025-03-11T23:59:59+05:00' },
  { why: '30 Aug 2025 (Sat) moves to Mon 1 Sep: Tue 2', jurisdiction: 'KZ', type: 'erasure', received: '2025-08-29T12:00:00+05:00', dueAt: '2025-09-02T23:59:59+05:00' },
  { why: '30 Aug is no holiday in 2026, so Mon 31 Aug works', jurisdiction: 'KZ', type: 'erasure', received: '2026-08-28T12:00:00+05:00', dueAt: '2026-08-31T23:59:59+05:00' },
  { why: '16 Dec 2023 (Sat) moves to Mon 18 Dec: Tue 19', jurisdiction: 'KZ', type: 'erasure', received: '2023-12-15T12:00:00+06:00', dueAt: '2023-12-19T23:59:59+06:00' },
  { why: '6 Jul 2024 (Sat) moves to Mon 8 Jul: Tue 9', jurisdiction: 'KZ', type: 'erasure', received: '2024-07-05T12:00:00+05:00', dueAt: '2024-07-09T23:59:59+05:00' },
  { why: '25 Oct 2026 (Sun) moves to Mon 26 Oct: Tue 27', jurisdiction: 'KZ', type: 'erasure', received: '2026-10-23T12:00:00+05:00', dueAt: '2026-10-27T23:59:59+05:00' },
  { why: '7 May 2026 off, 9 May (Sat) moves to Mon 11: Fri 8 (1), Tue 12 (2), Wed 13 (3)', jurisdiction: 'KZ', type: 'access', received: '2026-05-06T10:00:00+05:00', dueAt: '2026-05-13T23:59:59+05:00' },
  { why: 'claim, 30 working days from Mon 3 Mar 2025 past 10, 21, 24, 25 Mar: Fri 18 Apr', jurisdiction: 'KZ', type: 'claim', received: '2025-03-03T10:00:00+05:00', dueAt: '2025-04-18T23:59:59+05:00', ruleId: 'KZ-claim-default' },
  { why: 'consent withdrawal: conservative default of 1 working day', jurisdiction: 'KZ', type: 'consent_withdrawal', received: '2025-02-14T10:00:00+05:00', dueAt: '2025-02-17T23:59:59+05:00', ruleId: 'KZ-94V-art8-consent-withdrawal-default' },
  // The 1 March 2024 time-zone change (Almaty UTC+6 → UTC+5)
  { why: 'received Thu 29 Feb at UTC+6; due Fri 1 Mar, now UTC+5', jurisdiction: 'KZ', type: 'erasure', received: '2024-02-29T10:00:00+06:00', dueAt: '2024-03-01T23:59:59+05:00' },
  { why: '29 Feb 23:00-24:00 happens twice; the earlier 23:59:59 (UTC+6) is the conservative end', jurisdiction: 'KZ', type: 'access', received: '2024-02-26T10:00:00+06:00', dueAt: '2024-02-29T23:59:59+06:00' },
  { why: '18:30Z on 29 Feb is the second 23:30 of 29 Feb: Fri 1 Mar', jurisdiction: 'KZ', type: 'erasure', received: '2024-02-29T18:30:00Z', dueAt: '2024-03-01T23:59:59+05:00' },
  { why: '19:00Z on 29 Feb is 00:00 on Fri 1 Mar: Mon 4 Mar', jurisdiction: 'KZ', type: 'erasure', received: '2024-02-29T19:00:00Z', dueAt: '2024-03-04T23:59:59+05:00' },
  // GDPR: one calendar month, ending on that month's last day where the date does not exist
  { why: '31 Jan 2025 + 1 month: 28 Feb', jurisdiction: 'EU', type: 'access', received: '2025-01-31T10:00:00+01:00', dueAt: '2025-02-28T23:59:59+01:00', ruleId: 'EU-GDPR-art12-3-access' },
  { why: '31 Jan 2024 + 1 month: 29 Feb (leap year)', jurisdiction: 'EU', type: 'access', received: '2024-01-31T10:00:00+01:00', dueAt: '2024-02-29T23:59:59+01:00' },
  { why: '31 Mar + 1 month: 30 Apr (summer time)', jurisdiction: 'EU', type: 'erasure', received: '2025-03-31T12:00:00+02:00', dueAt: '2025-04-30T23:59:59+02:00' },
  { why: 'across the change to summer time', jurisdiction: 'EU', type: 'rectification', received: '2025-03-15T10:00:00+01:00', dueAt: '2025-04-15T23:59:59+02:00' },
  { why: '22:30Z on 31 May is 1 Jun in Brussels: 1 Jul', jurisdiction: 'EU', type: 'blocking', received: '2025-05-31T22:30:00Z', dueAt: '2025-07-01T23:59:59+02:00' },
  { why: 'a month ending on a Saturday is not moved to Monday (conservative)', jurisdiction: 'EU', type: 'access', received: '2025-01-15T10:00:00+01:00', dueAt: '2025-02-15T23:59:59+01:00' },
  // Russia 152-FZ
  { why: '10 working days from Mon 7 Apr 2025: 8-11 (4), 14-18 (9), Mon 21 (10)', jurisdiction: 'RU', type: 'access', received: '2025-04-07T10:00:00+03:00', dueAt: '2025-04-21T23:59:59+03:00', ruleId: 'RU-152FZ-art14-20-access' },
  { why: 'consent withdrawal, 30 calendar days', jurisdiction: 'RU', type: 'consent_withdrawal', received: '2025-04-07T10:00:00+03:00', dueAt: '2025-05-07T23:59:59+03:00' },
  { why: 'blocking from receipt: end of the next day, Saturday included', jurisdiction: 'RU', type: 'blocking', received: '2025-04-11T15:00:00+03:00', dueAt: '2025-04-12T23:59:59+03:00' },
  { why: 'erasure: stop unlawful processing within 3 working days from Fri 11 Apr: 14, 15, 16', jurisdiction: 'RU', type: 'erasure', received: '2025-04-11T15:00:00+03:00', dueAt: '2025-04-16T23:59:59+03:00' },
  // California CCPA
  { why: '22:30 PDT on 10 Apr is 11 Apr in UTC; 10 Apr + 45 days = 25 May', jurisdiction: 'US-CA', type: 'access', received: '2025-04-11T05:30:00Z', dueAt: '2025-05-25T23:59:59-07:00', ruleId: 'US-CA-CCPA-7021-know' },
  { why: '20 Oct + 45 days = 4 Dec, after the end of summer time', jurisdiction: 'US-CA', type: 'erasure', received: '2025-10-20T10:00:00-07:00', dueAt: '2025-12-04T23:59:59-08:00' },
  { why: 'opt-out, 15 business days from Mon 17 Nov 2025 past Thanksgiving (27 Nov): Tue 9 Dec', jurisdiction: 'US-CA', type: 'marketing_opt_out', received: '2025-11-17T09:00:00-08:00', dueAt: '2025-12-09T23:59:59-08:00', ruleId: 'US-CA-CCPA-7026-opt-out' },
  // Brazil LGPD
  { why: '15 days from 31 Jan 2025: 15 Feb', jurisdiction: 'BR', type: 'access', received: '2025-01-31T10:00:00-03:00', dueAt: '2025-02-15T23:59:59-03:00', ruleId: 'BR-LGPD-art19-access' },
];

describe('due dates worked out by hand', () => {
  const engine = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);

  it.each(cases)('$jurisdiction $type received $received → $dueAt ($why)', ({ jurisdiction, type, received, dueAt, ruleId }) => {
    const deadline = engine.compute({ jurisdiction, requestType: type, receivedAt: new Date(received) });
    expect(deadline.dueAt).toBe(dueAt);
    expect(deadline.rule.origin).not.toBe('operator');
    if (ruleId) expect(deadline.rule.id).toBe(ruleId);
  });

  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it('reports the zone and the local date of receipt', () => {
    const deadline = engine.compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt: new Date('2025-01-01T19:30:00Z') });
    expect(deadline).toMatchObject({
      timeZone: 'Asia/Almaty',
      receivedLocalDate: '2025-01-02',
      dueLocalDate: '2025-01-08',
      receivedAt: '2025-01-01T19:30:00.000Z',
    });
    expect(deadline.rule).toMatchObject({ citation: { en: expect.stringContaining('Art. 25'), ru: expect.stringContaining('статья 25') }, confidence: 'S', effectiveFrom: '2013-11-25' });
  });

  it('gives CCPA requests to know a 10-business-day acknowledgement date', () => {
    const deadline = engine.compute({ jurisdiction: 'US-CA', requestType: 'access', receivedAt: new Date('2025-04-11T05:30:00Z') });
    // Thu 10 Apr: Fri 11 (1), 14-18 (6), 21-24 (10)
    expect(deadline.acknowledgeBy).toBe('2025-04-24T23:59:59-07:00');
  });
});

describe('working days', () => {
  const engine = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);

  const days: Array<[date: string, working: boolean, why: string]> = [
    ['2024-06-17', true, 'Mon after Kurban Ait 2024 on a Sunday'],
    ['2024-06-16', false, 'Kurban Ait 2024'],
    ['2025-01-05', true, 'Sunday worked by transfer'],
    ['2025-01-03', false, 'Friday off by transfer'],
    ['2026-03-24', false, 'Nauryz substitute'],
    ['2026-03-25', false, 'Nauryz substitute'],
    ['2026-03-26', true, 'after Nauryz 2026'],
    ['2026-08-31', true, 'no Constitution Day substitute in 2026'],
    ['2027-03-15', false, 'Constitution Day from 2027'],
    ['2026-03-16', true, '15 Mar is no holiday before 2027'],
  ];
  it.each(days)('KZ %s is a working day: %s (%s)', (date, working) => {
    expect(engine.isWorkingDay('KZ', date)).toBe(working);
  });

  it('counts forwards and backwards, never counting the starting day', () => {
    expect(engine.addWorkingDays('KZ', '2025-01-02', 1)).toBe('2025-01-05');
    expect(engine.addWorkingDays('KZ', '2025-01-08', -2)).toBe('2025-01-05');
    expect(engine.addWorkingDays('KZ', '2025-01-08', 0)).toBe('2025-01-08');
  });

  it('refuses a date that does not exist', () => {
    expect(() => engine.isWorkingDay('KZ', '2025-02-30')).toThrow(/YYYY-MM-DD/);
  });
});
