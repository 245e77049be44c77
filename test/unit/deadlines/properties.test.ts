import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeadlineEngine, escalationSchedule, type OperatorTerm } from '../../../functions/domain/deadlines/index.ts';
import { REQUEST_TYPES } from '../../../functions/domain/request-types.ts';
import { dateHolidays } from '../../../functions/adapters/holidays/date-holidays.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';

const engine = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);

// Every shipped regime is in force over this span (the CCPA regulations since 29 March 2023).
const receipt = fc.date({ min: new Date('2023-04-01T00:00:00Z'), max: new Date('2026-12-31T23:59:59Z'), noInvalidDate: true });
const jurisdiction = fc.constantFrom(...engine.jurisdictions());
const requestType = fc.constantFrom(...REQUEST_TYPES);
const operatorTerms = fc.array(
  fc.record({
    requestType,
    amount: fc.integer({ min: 1, max: 40 }),
    unit: fc.constantFrom('working_days', 'calendar_days', 'calendar_months'),
    source: fc.constant('generated operator policy'),
  }) as fc.Arbitrary<OperatorTerm>,
  { maxLength: 3 },
);
const HOUR = 3_600_000;

describe('deadline properties', () => {
  it('never moves the due date earlier when receipt moves later', () => {
    fc.assert(
      fc.property(jurisdiction, requestType, receipt, fc.integer({ min: 0, max: 40 * 24 * HOUR }), operatorTerms, (code, type, receivedAt, delay, terms) => {
        const earlier = engine.compute({ jurisdiction: code, requestType: type, receivedAt, operatorTerms: terms });
        const later = engine.compute({ jurisdiction: code, requestType: type, receivedAt: new Date(receivedAt.getTime() + delay), operatorTerms: terms });
        expect(Date.parse(later.dueAt)).toBeGreaterThanOrEqual(Date.parse(earlier.dueAt));
      }),
      { numRuns: 300 },
    );
  });

  it('puts a working-day deadline on a working day', () => {
    fc.assert(
      fc.property(jurisdiction, requestType, receipt, operatorTerms, (code, type, receivedAt, terms) => {
        const deadline = engine.compute({ jurisdiction: code, requestType: type, receivedAt, operatorTerms: terms });
        fc.pre(deadline.rule.unit === 'working_days');
        expect(engine.isWorkingDay(code, deadline.dueLocalDate)).toBe(true);
        expect(deadline.dueAt.startsWith(deadline.dueLocalDate)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('always ends after receipt, and an extension never ends earlier', () => {
    fc.assert(
      fc.property(jurisdiction, requestType, receipt, operatorTerms, (code, type, receivedAt, terms) => {
        const deadline = engine.compute({ jurisdiction: code, requestType: type, receivedAt, operatorTerms: terms });
        expect(Date.parse(deadline.dueAt)).toBeGreaterThan(receivedAt.getTime());
        if (deadline.rule.extension) {
          expect(Date.parse(engine.extend(deadline, receivedAt).dueAt)).toBeGreaterThan(Date.parse(deadline.dueAt));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('schedules the interim answer after receipt and before the due date', () => {
    const policy = { reminderFractions: [0.5], lastDayReminder: true, safetyMarginHours: 4 };
    fc.assert(
      fc.property(jurisdiction, requestType, receipt, (code, type, receivedAt) => {
        const deadline = engine.compute({ jurisdiction: code, requestType: type, receivedAt });
        const steps = escalationSchedule(deadline, receivedAt, policy, engine);
        const interim = steps.find((step) => step.kind === 'interim_answer');
        expect(interim).toBeDefined();
        expect(Date.parse(interim?.at ?? '')).toBeGreaterThanOrEqual(receivedAt.getTime());
        expect(Date.parse(interim?.at ?? '')).toBeLessThan(Date.parse(deadline.dueAt));
      }),
      { numRuns: 300 },
    );
  });
});
