import { describe, expect, it } from 'vitest';
import { createDeadlineEngine, escalationSchedule, riskFlags } from '../../../functions/domain/deadlines/index.ts';
import { ValidationError } from '../../../functions/domain/errors.ts';
import { dateHolidays } from '../../../functions/adapters/holidays/date-holidays.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';

const engine = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);
const policy = { reminderFractions: [0.5], lastDayReminder: true, safetyMarginHours: 4 };

describe('escalationSchedule', () => {
  it('reminds halfway, on the last day, answers 4 hours before due and marks overdue after', () => {
    const receivedAt = new Date('2025-01-02T10:00:00+05:00');
    const deadline = engine.compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt });
    // due 8 Jan 23:59:59; half of 6 d 13:59:59 after 2 Jan 10:00 is 5 Jan 16:59:59.5
    expect(escalationSchedule(deadline, receivedAt, policy, engine)).toEqual([
      { at: '2025-01-05T16:59:59.500+05:00', kind: 'operator_reminder' },
      { at: '2025-01-08T00:00:00+05:00', kind: 'operator_last_day' },
      { at: '2025-01-08T19:59:59+05:00', kind: 'interim_answer' },
      { at: '2025-01-09T00:00:00+05:00', kind: 'overdue' },
    ]);
  });

  it('puts the last-day reminder on the last working day when a month ends on a Saturday', () => {
    const receivedAt = new Date('2025-01-15T10:00:00+01:00');
    const deadline = engine.compute({ jurisdiction: 'EU', requestType: 'access', receivedAt });
    expect(escalationSchedule(deadline, receivedAt, { reminderFractions: [], lastDayReminder: true, safetyMarginHours: 24 }, engine)).toEqual([
      { at: '2025-02-14T00:00:00+01:00', kind: 'operator_last_day' },
      { at: '2025-02-14T23:59:59+01:00', kind: 'interim_answer' },
      { at: '2025-02-16T00:00:00+01:00', kind: 'overdue' },
    ]);
  });

  it('answers at once where the term is shorter than the margin', () => {
    const receivedAt = new Date('2025-04-11T23:00:00+03:00');
    const deadline = engine.compute({ jurisdiction: 'RU', requestType: 'blocking', receivedAt });
    expect(deadline.dueAt).toBe('2025-04-12T23:59:59+03:00');
    expect(escalationSchedule(deadline, receivedAt, { reminderFractions: [], lastDayReminder: true, safetyMarginHours: 48 }, engine)).toEqual([
      { at: '2025-04-11T23:00:00+03:00', kind: 'interim_answer' },
      { at: '2025-04-13T00:00:00+03:00', kind: 'overdue' },
    ]);
  });

  it('refuses a policy without a safety margin', () => {
    const receivedAt = new Date('2025-01-02T10:00:00+05:00');
    const deadline = engine.compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt });
    expect(() => escalationSchedule(deadline, receivedAt, { ...policy, safetyMarginHours: 0 }, engine)).toThrow(ValidationError);
  });
});

describe('riskFlags', () => {
  const deadline = engine.compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt: new Date('2025-01-02T10:00:00+05:00') });

  it.each([
    ['2025-01-08T19:00:00+05:00', { atRisk: false, overdue: false }],
    ['2025-01-08T20:00:00+05:00', { atRisk: true, overdue: false }],
    ['2025-01-08T23:59:59+05:00', { atRisk: true, overdue: false }],
    ['2025-01-09T00:00:00+05:00', { atRisk: true, overdue: true }],
  ])('at %s', (now, flags) => {
    expect(riskFlags(deadline, new Date(now), policy)).toEqual(flags);
  });
});
