import { describe, expect, it } from 'vitest';
import { createDeadlineEngine, NoRuleInForceError, UnknownJurisdictionError } from '../../../functions/domain/deadlines/index.ts';
import { ConfigurationError } from '../../../functions/domain/errors.ts';
import { dueCommand } from '../../../infra/cli/commands/due.ts';
import kzJurisdiction from '../../../rules/jurisdictions/KZ.json' with { type: 'json' };
import { dateHolidays } from '../../../functions/adapters/holidays/date-holidays.ts';
import { withKazakhstan } from '../../support/rule-documents.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';

/**
 * The notice to the authority after a personal-data breach, as a deadline of its own kind. Every expected value was
 * worked out by hand from shared/design/law.md (weekdays checked against a wall calendar), never produced by the
 * engine. KZ: 1 working day from detection, since 1 July 2024 (Law 44-VIII); the day of detection never counts; the
 * notice is due at the end of that working day in Almaty. GDPR: 72 hours from the instant of becoming aware.
 */
interface Case {
  why: string;
  jurisdiction: string;
  detected: string;
  dueAt: string;
}

const cases: Case[] = [
  { why: 'the first day of the duty, Mon 1 Jul 2024: Tue 2 Jul', jurisdiction: 'KZ', detected: '2024-07-01T09:00:00+05:00', dueAt: '2024-07-02T23:59:59+05:00' },
  { why: '19:30Z on 30 Jun 2024 is 00:30 on 1 Jul in Almaty: the duty is in force', jurisdiction: 'KZ', detected: '2024-06-30T19:30:00Z', dueAt: '2024-07-02T23:59:59+05:00' },
  { why: 'Capital Day Sat 6 Jul 2024 moves to Mon 8 Jul: Fri 5 → Tue 9', jurisdiction: 'KZ', detected: '2024-07-05T16:00:00+05:00', dueAt: '2024-07-09T23:59:59+05:00' },
  { why: 'Independence Day Mon 16 Dec 2024: Fri 13 → Tue 17', jurisdiction: 'KZ', detected: '2024-12-13T11:00:00+05:00', dueAt: '2024-12-17T23:59:59+05:00' },
  { why: '2 Jan 2025 holiday, Fri 3 Jan off by transfer, Sun 5 Jan worked', jurisdiction: 'KZ', detected: '2025-01-02T08:00:00+05:00', dueAt: '2025-01-05T23:59:59+05:00' },
  { why: 'Thu 20 Mar 2025 23:30 local; Nauryz Fri 21, Sat 22 → Mon 24, Sun 23 → Tue 25: Wed 26', jurisdiction: 'KZ', detected: '2025-03-20T18:30:00Z', dueAt: '2025-03-26T23:59:59+05:00' },
  { why: 'Kurban Ait Fri 6 Jun 2025: Thu 5 → Mon 9', jurisdiction: 'KZ', detected: '2025-06-05T12:00:00+05:00', dueAt: '2025-06-09T23:59:59+05:00' },
  { why: 'Constitution Day Sat 30 Aug 2025 moves to Mon 1 Sep: Fri 29 → Tue 2 Sep', jurisdiction: 'KZ', detected: '2025-08-29T12:00:00+05:00', dueAt: '2025-09-02T23:59:59+05:00' },
  { why: 'Republic Day Sat 25 Oct 2025 moves to Mon 27: Fri 24 → Tue 28', jurisdiction: 'KZ', detected: '2025-10-24T15:00:00+05:00', dueAt: '2025-10-28T23:59:59+05:00' },
  { why: 'Fri 20 Mar 2026 17:00; Nauryz Sat 21, Sun 22, Mon 23 and their substitutes Tue 24, Wed 25 off: Thu 26', jurisdiction: 'KZ', detected: '2026-03-20T17:00:00+05:00', dueAt: '2026-03-26T23:59:59+05:00' },
  { why: 'detected on Saturday 4 Apr 2026: Mon 6', jurisdiction: 'KZ', detected: '2026-04-04T10:00:00+05:00', dueAt: '2026-04-06T23:59:59+05:00' },
  { why: 'Kurban Ait Wed 27 May 2026: Tue 26 → Thu 28', jurisdiction: 'KZ', detected: '2026-05-26T18:00:00+05:00', dueAt: '2026-05-28T23:59:59+05:00' },
  { why: '30 Aug is no holiday in 2026: Fri 28 → Mon 31 Aug', jurisdiction: 'KZ', detected: '2026-08-28T12:00:00+05:00', dueAt: '2026-08-31T23:59:59+05:00' },
  { why: 'Independence Day Wed 16 Dec 2026: Tue 15 → Thu 17', jurisdiction: 'KZ', detected: '2026-12-15T09:30:00+05:00', dueAt: '2026-12-17T23:59:59+05:00' },
  { why: 'GDPR: 72 hours to the minute, in Brussels time', jurisdiction: 'EU', detected: '2026-03-20T17:00:00+01:00', dueAt: '2026-03-23T17:00:00+01:00' },
  { why: 'GDPR: 72 real hours across the change to summer time (29 Mar 2026)', jurisdiction: 'EU', detected: '2026-03-27T10:00:00+01:00', dueAt: '2026-03-30T11:00:00+02:00' },
  { why: '152-FZ: 24 hours, holidays or not (Victory Day)', jurisdiction: 'RU', detected: '2025-05-08T12:00:00+03:00', dueAt: '2025-05-09T12:00:00+03:00' },
  { why: 'ANPD: 3 working days, Mon 2 Jun 2025 → Thu 5', jurisdiction: 'BR', detected: '2025-06-02T10:00:00-03:00', dueAt: '2025-06-05T23:59:59-03:00' },
];

const engine = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);

describe('breach notice due times', () => {
  it.each(cases)('$jurisdiction $detected: $why', ({ jurisdiction, detected, dueAt }) => {
    const deadline = engine.breachNotice(jurisdiction, new Date(detected));
    expect(deadline.dueAt).toBe(dueAt);
    expect(deadline.rule.requestType).toBe('breach_notice');
    expect(deadline.rule.origin).toBe('statute');
  });

  it('a KZ notice cites Law 44-VIII, names the authorised body and lists what the notice must contain', () => {
    const deadline = engine.breachNotice('KZ', new Date('2026-03-20T17:00:00+05:00'));
    expect(deadline.rule).toMatchObject({ id: 'KZ-94V-44VIII-breach-notice', amount: 1, unit: 'working_days', confidence: 'C', effectiveFrom: '2024-07-01' });
    expect(deadline.rule.citation.en).toContain('44-VIII');
    expect(deadline.authority.en).toContain('Ministry of Digital Development');
    expect(deadline.authority.kk).toContain('уәкілетті орган');
    expect(deadline.content.map((c) => c.field)).toEqual(expect.arrayContaining(['responsiblePerson', 'measuresTaken', 'affectedSubjects']));
    for (const item of deadline.content) {
      expect(item.source).not.toBe('');
      expect(['C', 'S', 'U']).toContain(item.confidence);
    }
    expect(deadline.content.find((c) => c.field === 'affectedSubjects')?.citation).toMatch(/IIN.*mobile/);
  });

  it('no duty before 1 July 2024 in Kazakhstan, and none in a regime without a fixed term', () => {
    expect(() => engine.breachNotice('KZ', new Date('2024-06-30T23:00:00+05:00'))).toThrow(NoRuleInForceError);
    expect(() => engine.breachNotice('KZ', new Date('2024-06-30T23:00:00+05:00'))).toThrow(/breach-notice duty.*2024-06-30/);
    expect(() => engine.breachNotice('US-CA', new Date('2025-01-01T00:00:00Z'))).toThrow(NoRuleInForceError);
    expect(() => engine.breachNotice('XX', new Date('2025-01-01T00:00:00Z'))).toThrow(UnknownJurisdictionError);
    expect(() => engine.breachNotice('KZ', new Date('not a date'))).toThrow(/detectedAt/);
  });

  it('a release closes the shipped rule and adds the next one, effective-dated; overlaps are refused', () => {
    const [shipped] = kzJurisdiction.breachNotice;
    const newRule = { ...shipped, id: 'KZ-digital-code-breach-notice', effectiveFrom: '2027-01-01', amount: 24, unit: 'hours' };
    const overridden = createDeadlineEngine({}, withKazakhstan({ breachNotice: [{ ...shipped, effectiveTo: '2026-12-31' }, newRule] }));
    expect(overridden.breachNotice('KZ', new Date('2027-02-01T10:00:00+05:00')).dueAt).toBe('2027-02-02T10:00:00+05:00');
    expect(overridden.breachNotice('KZ', new Date('2026-03-20T17:00:00+05:00')).dueAt).toBe('2026-03-26T23:59:59+05:00');
    const overlapping = () => createDeadlineEngine({}, withKazakhstan({ breachNotice: [shipped, newRule] }));
    expect(overlapping).toThrow(ConfigurationError);
    expect(overlapping).toThrow(/breachNotice\.\d\.effectiveFrom: overlaps/);
  });
});

describe('derbes due --type breach_notice', () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await dueCommand(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
    return { code, out, err };
  };

  it('prints the notice due time as JSON, like any other deadline', async () => {
    const { code, out } = await run(['--jurisdiction', 'KZ', '--type', 'breach_notice', '--received', '2026-03-20T17:00:00+05:00', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({
      dueAt: '2026-03-26T23:59:59+05:00',
      timeZone: 'Asia/Almaty',
      receivedLocalDate: '2026-03-20',
      rule: { id: 'KZ-94V-44VIII-breach-notice', requestType: 'breach_notice' },
      content: expect.arrayContaining([expect.objectContaining({ field: 'measuresTaken' })]),
    });
  });

  it('says what the notice must contain, and exits 2 where no duty was in force', async () => {
    const text = (await run(['--jurisdiction', 'KZ', '--type', 'breach_notice', '--received', '2026-03-20T17:00:00+05:00'])).out.join('\n');
    expect(text).toContain('Thursday 26 March 2026, 23:59:59');
    expect(text).toContain('Detected:   2026-03-20');
    expect(text).toContain('1 working day (statute');
    expect(text).toMatch(/affectedSubjects: .*IIN/);
    const before = await run(['--jurisdiction', 'KZ', '--type', 'breach_notice', '--received', '2024-06-30T12:00:00+05:00']);
    expect(before.code).toBe(2);
    expect(before.err[0]).toContain('No KZ breach-notice duty is in force on 2024-06-30');
  });
});
