import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyEvents,
  dueEvents,
  foldConsent,
  grantEvents,
  parseConsentAction,
  stateAt,
  withdrawEvents,
  type ConsentEvent,
  type ConsentPolicy,
  type ConsentState,
} from '../../../functions/domain/consent/index.ts';

const POLICY: ConsentPolicy = {
  timeZone: 'Asia/Almaty',
  purposes: [
    { id: 'service', version: 'v1', consentTerm: { years: 3, autoProlong: true } },
    { id: 'marketing', version: 'v1', consentTerm: { years: 1, autoProlong: false } },
    { id: 'analytics', version: 'v1' },
  ],
};
const PURPOSES = POLICY.purposes.map((p) => p.id);
const START = Date.parse('2024-01-01T00:00:00Z');
const FIVE_YEARS_MS = 5 * 366 * 86_400_000;

const purpose = fc.constantFrom(...PURPOSES);
const channel = fc.constantFrom('web', 'email', 'api', 'operator' as const);
const command = fc.oneof(
  fc.record({ kind: fc.constant('grant' as const), purposeId: purpose, channel, policyVersion: fc.constantFrom('v1', 'v2') }),
  fc.record({ kind: fc.constant('withdraw' as const), purposeId: purpose, channel }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: FIVE_YEARS_MS }) }),
  fc.record({ kind: fc.constant('job' as const) }),
);

/** Freezes a value to the bottom, so a rule that changed what it was given would throw. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('consent ledger properties', () => {
  it('history only grows, and the state is always the fold of the history', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        let now = START;
        const states = new Map<string, ConsentState | undefined>();
        const histories = new Map<string, readonly ConsentEvent[]>(PURPOSES.map((id) => [id, deepFreeze([])]));

        const record = (purposeId: string, decide: (state: ConsentState | undefined) => ConsentEvent[]) => {
          const before = deepFreeze(states.get(purposeId));
          const history = histories.get(purposeId) ?? [];
          const events = decide(before);
          const after = applyEvents(before, events);
          const grown = deepFreeze([...history, ...events]);
          // Append-only: the old history is an unchanged prefix of the new one, and new events are never from the future.
          expect(grown.slice(0, history.length)).toEqual(history);
          for (const event of events) expect(Date.parse(event.at)).toBeLessThanOrEqual(now);
          // The state is the fold of the history, and its version counts the events.
          expect(foldConsent(grown)).toEqual(after);
          expect(after?.version ?? 0).toBe(grown.length);
          // A term runs only while the consent is granted with a term, and nothing stays due once recorded.
          if (after) expect(after.termEndsAt !== undefined).toBe(after.status === 'granted' && after.term !== undefined);
          expect(dueEvents(after, new Date(now))).toEqual([]);
          states.set(purposeId, after);
          histories.set(purposeId, grown);
        };

        for (const step of commands) {
          if (step.kind === 'tick') {
            now += step.ms;
            // Reading between job runs shows the fold of the history plus the term ends due by now.
            for (const id of PURPOSES) {
              const state = states.get(id);
              if (state) expect(stateAt(state, new Date(now))).toEqual(foldConsent([...(histories.get(id) ?? []), ...dueEvents(state, new Date(now))]));
            }
          } else if (step.kind === 'job') {
            for (const id of PURPOSES) record(id, (state) => dueEvents(state, new Date(now)));
          } else {
            const { kind, ...fields } = step;
            const action = parseConsentAction({ personKey: 'cd'.repeat(32), at: new Date(now), evidence: { gpc: false }, ...fields });
            record(step.purposeId, (state) => (kind === 'grant' ? grantEvents(state, action, POLICY) : withdrawEvents(state, action, POLICY)));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
