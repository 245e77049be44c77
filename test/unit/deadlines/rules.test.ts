import { describe, expect, it } from 'vitest';
import {
  createDeadlineEngine,
  ExtensionNoticeTooLateError,
  ExtensionNotAllowedError,
  NoRuleInForceError,
  UnknownJurisdictionError,
  type OperatorTerm,
} from '../../../functions/domain/deadlines/index.ts';
import { ValidationError } from '../../../functions/domain/errors.ts';
import { dateHolidays } from '../../../functions/adapters/holidays/date-holidays.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';

const engine = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);

const iLicenseErasure: OperatorTerm = {
  requestType: 'erasure',
  amount: 30,
  unit: 'working_days',
  source: 'I-License privacy policy: deletion within thirty (30) working days of a written demand',
};

describe('operator terms against the statute', () => {
  it('keeps the statute where the operator promises longer (erasure: 1 working day beats 30)', () => {
    const deadline = engine.compute({
      jurisdiction: 'KZ',
      requestType: 'erasure',
      receivedAt: new Date('2025-02-14T10:00:00+05:00'),
      operatorTerms: [iLicenseErasure],
    });
    expect(deadline.dueAt).toBe('2025-02-17T23:59:59+05:00');
    expect(deadline.rule).toMatchObject({ origin: 'statute', id: 'KZ-94V-art25-erasure' });
  });

  it('lets a shorter operator term govern and cites it (claim: 20 calendar days beats 30 working days)', () => {
    const policy = 'Operator policy §7: claims answered within 20 calendar days';
    const citation = { ru: 'Политика оператора, пункт 7: ответ на претензию — в течение 20 календарных дней', en: 'Operator policy, clause 7: claims answered within 20 calendar days' };
    const deadline = engine.compute({
      jurisdiction: 'KZ',
      requestType: 'claim',
      receivedAt: new Date('2025-03-03T10:00:00+05:00'),
      operatorTerms: [iLicenseErasure, { requestType: 'claim', amount: 20, unit: 'calendar_days', source: policy, citation }],
    });
    // 3 Mar + 20 days = 23 Mar (a Sunday: calendar days are not moved)
    expect(deadline.dueAt).toBe('2025-03-23T23:59:59+05:00');
    expect(deadline.rule).toMatchObject({ origin: 'operator', citation, source: policy, amount: 20, unit: 'calendar_days', effectiveFrom: '2025-03-03' });
  });

  it('cites an operator term without a citation of its own by the policy\'s words, in every language', () => {
    const policy = 'Operator policy §7: claims answered within 20 calendar days';
    const deadline = engine.compute({
      jurisdiction: 'KZ',
      requestType: 'claim',
      receivedAt: new Date('2025-03-03T10:00:00+05:00'),
      operatorTerms: [{ requestType: 'claim', amount: 20, unit: 'calendar_days', source: policy }],
    });
    expect(deadline.rule.citation).toEqual({ ru: policy, kk: policy, en: policy });
  });

  it('cites the jurisdiction\'s rule when both end on the same day — here a default, as the law sets no term for a claim', () => {
    const deadline = engine.compute({
      jurisdiction: 'KZ',
      requestType: 'claim',
      receivedAt: new Date('2025-03-03T10:00:00+05:00'),
      operatorTerms: [{ requestType: 'claim', amount: 30, unit: 'working_days', source: 'seed policy: 30 business days' }],
    });
    expect(deadline.rule).toMatchObject({ id: 'KZ-claim-default', origin: 'default' });
  });

  it('ignores an operator term not in force on the day of receipt', () => {
    const deadline = engine.compute({
      jurisdiction: 'KZ',
      requestType: 'claim',
      receivedAt: new Date('2025-03-03T10:00:00+05:00'),
      operatorTerms: [{ requestType: 'claim', amount: 5, unit: 'working_days', source: 'policy of 2026', effectiveFrom: '2026-01-01' }],
    });
    expect(deadline.rule.id).toBe('KZ-claim-default');
  });
});

describe('extensions', () => {
  it('extends a GDPR month by two months from the original due date', () => {
    const deadline = engine.compute({ jurisdiction: 'EU', requestType: 'access', receivedAt: new Date('2025-01-31T10:00:00+01:00') });
    const extended = engine.extend(deadline, new Date('2025-02-20T09:00:00+01:00'));
    // due 28 Feb + 2 months = 28 Apr (summer time)
    expect(extended.dueAt).toBe('2025-04-28T23:59:59+02:00');
    expect(extended.rule.appliedExtension).toMatchObject({
      amount: 2,
      unit: 'calendar_months',
      citation: { en: expect.stringContaining('Art. 12(3)'), ru: expect.stringContaining('пункт 3 статьи 12'), kk: expect.stringContaining('12-баптың 3-тармағы') },
      noticeAt: '2025-02-20T09:00:00+01:00',
      originalDueAt: '2025-02-28T23:59:59+01:00',
    });
  });

  it('refuses a GDPR extension noticed after the first month', () => {
    const deadline = engine.compute({ jurisdiction: 'EU', requestType: 'access', receivedAt: new Date('2025-01-31T10:00:00+01:00') });
    expect(() => engine.extend(deadline, new Date('2025-03-01T00:00:00+01:00'))).toThrow(ExtensionNoticeTooLateError);
  });

  it('extends RU access by 5 working days with a notice inside the first 10', () => {
    const deadline = engine.compute({ jurisdiction: 'RU', requestType: 'access', receivedAt: new Date('2025-04-07T10:00:00+03:00') });
    // due Mon 21 Apr; 22-25 (4), Mon 28 (5)
    expect(engine.extend(deadline, new Date('2025-04-15T12:00:00+03:00')).dueAt).toBe('2025-04-28T23:59:59+03:00');
    expect(() => engine.extend(deadline, new Date('2025-04-22T00:00:01+03:00'))).toThrow(ExtensionNoticeTooLateError);
  });

  it('extends a CCPA request to know by 45 days', () => {
    const deadline = engine.compute({ jurisdiction: 'US-CA', requestType: 'access', receivedAt: new Date('2025-04-10T10:00:00-07:00') });
    // due 25 May + 45 days = 9 Jul
    expect(engine.extend(deadline, new Date('2025-05-01T10:00:00-07:00')).dueAt).toBe('2025-07-09T23:59:59-07:00');
  });

  it('refuses where the rule allows none, or a second time', () => {
    const kz = engine.compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt: new Date('2025-01-02T10:00:00+05:00') });
    expect(() => engine.extend(kz, new Date('2025-01-03T10:00:00+05:00'))).toThrow(ExtensionNotAllowedError);
    expect(() => engine.extend(kz, new Date('2025-01-03T10:00:00+05:00'))).toThrow(/^Rule KZ-[^ ]*-access allows no extension: no extension is provided for \(Law of the Republic of Kazakhstan No\. 94-V/);
    // A claim's term is a default of derbes: the law sets none, and no extension either.
    const claim = engine.compute({ jurisdiction: 'KZ', requestType: 'claim', receivedAt: new Date('2025-01-02T10:00:00+05:00') });
    expect(() => engine.extend(claim, new Date('2025-01-03T10:00:00+05:00'))).toThrow('Rule KZ-claim-default allows no extension: the law sets no term for it (derbes applies a default), and so no extension');
    const eu = engine.compute({ jurisdiction: 'EU', requestType: 'access', receivedAt: new Date('2025-01-31T10:00:00+01:00') });
    const extended = engine.extend(eu, new Date('2025-02-01T10:00:00+01:00'));
    expect(() => engine.extend(extended, new Date('2025-02-02T10:00:00+01:00'))).toThrow(/already extended/);
  });

  it('gives an operator-set deadline no extension', () => {
    const deadline = engine.compute({
      jurisdiction: 'EU',
      requestType: 'access',
      receivedAt: new Date('2025-01-31T10:00:00+01:00'),
      operatorTerms: [{ requestType: 'access', amount: 10, unit: 'working_days', source: 'policy: 10 working days' }],
    });
    expect(deadline.rule.origin).toBe('operator');
    expect(() => engine.extend(deadline, new Date('2025-02-01T10:00:00+01:00'))).toThrow(ExtensionNotAllowedError);
  });
});

describe('lookup errors', () => {
  it('names an unknown jurisdiction', () => {
    expect(() => engine.compute({ jurisdiction: 'XX', requestType: 'access', receivedAt: new Date() })).toThrow(UnknownJurisdictionError);
  });

  it('finds no rule before a regime was in force', () => {
    expect(() =>
      engine.compute({ jurisdiction: 'EU', requestType: 'access', receivedAt: new Date('2018-05-24T12:00:00+02:00') }),
    ).toThrow(NoRuleInForceError);
  });

  it('refuses an invalid receipt instant', () => {
    expect(() => engine.compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt: new Date('nonsense') })).toThrow(ValidationError);
  });
});
