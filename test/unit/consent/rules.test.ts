import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  applyEvents,
  dueEvents,
  grantEvents,
  parseConsentAction,
  stateAt,
  termEnd,
  withdrawEvents,
  type ConsentActionInput,
  type ConsentPolicy,
  type ConsentState,
} from '../../../functions/domain/consent/index.ts';
import { ConfigurationError, ConflictError, ValidationError } from '../../../functions/domain/errors.ts';

const KEY = 'ab'.repeat(32);
const POLICY: ConsentPolicy = {
  timeZone: 'Asia/Almaty',
  purposes: [
    { id: 'service', version: 'v1', consentTerm: { years: 3, autoProlong: true } },
    { id: 'marketing', version: 'v1', consentTerm: { years: 3, autoProlong: false } },
    { id: 'analytics', version: 'v1' },
  ],
};
const THREE_YEARS = { years: 3, autoProlong: true, timeZone: 'Asia/Almaty' };

function action(purposeId: string, at: string, extra: Partial<ConsentActionInput> = {}) {
  return parseConsentAction({ personKey: KEY, purposeId, at: new Date(at), channel: 'web', evidence: { requestId: 'DRB-AAAAA-BBBBB' }, ...extra });
}

function granted(purposeId: string, at: string): ConsentState {
  const state = applyEvents(undefined, grantEvents(undefined, action(purposeId, at), POLICY));
  if (!state) throw new Error('a grant always leads to a state');
  return state;
}

describe('consent terms in calendar years', () => {
  it('end three calendar years after the grant, not 3 × 365 days', () => {
    // 1 March 2025 + 1,095 days is 29 February 2028; three calendar years are 1 March 2028.
    expect(termEnd('2025-03-01T07:00:00.000Z', THREE_YEARS)).toBe('2028-03-01T07:00:00.000Z');
  });

  it('end on 28 February when granted on 29 February, and stay there when prolonged', () => {
    // 29 February 2028, 10:00 in Almaty (UTC+5).
    const first = termEnd('2028-02-29T05:00:00.000Z', THREE_YEARS);
    expect(first).toBe('2031-02-28T05:00:00.000Z');
    expect(termEnd(first, THREE_YEARS)).toBe('2034-02-28T05:00:00.000Z');
  });

  it('count the local date in the term time zone', () => {
    // 20:00 UTC on 28 February 2028 is already 29 February in Almaty, so the term ends on 28 February local.
    expect(termEnd('2028-02-28T20:00:00.000Z', THREE_YEARS)).toBe('2031-02-27T20:00:00.000Z');
    expect(termEnd('2028-02-28T20:00:00.000Z', { ...THREE_YEARS, timeZone: 'UTC' })).toBe('2031-02-28T20:00:00.000Z');
  });

  it('keep the local time of day across Kazakhstan moving from UTC+6 to UTC+5 (1 March 2024)', () => {
    // 16:00 in Almaty on 29 February 2024 (UTC+6) → 16:00 in Almaty on 28 February 2027 (UTC+5).
    expect(termEnd('2024-02-29T10:00:00.000Z', THREE_YEARS)).toBe('2027-02-28T11:00:00.000Z');
  });

  it('refuse a time zone that does not exist', () => {
    expect(() => termEnd('2025-01-01T00:00:00.000Z', { ...THREE_YEARS, timeZone: 'Asia/Nowhere' })).toThrow(ConfigurationError);
  });
});

describe('a grant', () => {
  it('starts a term for a purpose that has one, and records the evidence', () => {
    const [event, ...rest] = grantEvents(undefined, action('service', '2025-01-15T07:00:00.000Z'), POLICY);
    expect(rest).toEqual([]);
    expect(event).toEqual({
      type: 'granted',
      purposeId: 'service',
      at: '2025-01-15T07:00:00.000Z',
      channel: 'web',
      policyVersion: 'v1',
      evidence: { requestId: 'DRB-AAAAA-BBBBB' },
      term: THREE_YEARS,
      termEndsAt: '2028-01-15T07:00:00.000Z',
    });
    expect(applyEvent(undefined, event!)).toEqual({
      purposeId: 'service',
      status: 'granted',
      version: 1,
      grantedAt: '2025-01-15T07:00:00.000Z',
      updatedAt: '2025-01-15T07:00:00.000Z',
      channel: 'web',
      policyVersion: 'v1',
      term: THREE_YEARS,
      termEndsAt: '2028-01-15T07:00:00.000Z',
    });
  });

  it('runs without a term for a purpose without one, and is never due', () => {
    const state = granted('analytics', '2025-01-15T07:00:00.000Z');
    expect(state.termEndsAt).toBeUndefined();
    expect(dueEvents(state, new Date('2125-01-01T00:00:00Z'))).toEqual([]);
  });

  it('repeated under the same policy version records nothing; under a new version it starts a new term', () => {
    const state = granted('service', '2025-01-15T07:00:00.000Z');
    expect(grantEvents(state, action('service', '2025-06-01T07:00:00.000Z'), POLICY)).toEqual([]);
    const renewed = grantEvents(state, action('service', '2025-06-01T07:00:00.000Z', { policyVersion: 'v2' }), POLICY);
    expect(renewed).toMatchObject([{ type: 'granted', policyVersion: 'v2', termEndsAt: '2028-06-01T07:00:00.000Z' }]);
  });

  it('after a withdrawal starts a new term from the new grant', () => {
    const state = granted('service', '2025-01-15T07:00:00.000Z');
    const withdrawn = applyEvents(state, withdrawEvents(state, action('service', '2026-05-10T07:00:00.000Z'), POLICY));
    const events = grantEvents(withdrawn, action('service', '2026-09-01T07:00:00.000Z', { channel: 'email' }), POLICY);
    expect(events).toMatchObject([{ type: 'granted', channel: 'email', termEndsAt: '2029-09-01T07:00:00.000Z' }]);
    expect(applyEvents(withdrawn, events)).toMatchObject({ status: 'granted', version: 3, grantedAt: '2026-09-01T07:00:00.000Z' });
  });

  it('after a term that lapsed unrecorded first records the expiry, then the new grant', () => {
    const state = granted('marketing', '2025-01-15T07:00:00.000Z');
    const events = grantEvents(state, action('marketing', '2029-01-01T07:00:00.000Z'), POLICY);
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['expired', '2028-01-15T07:00:00.000Z'],
      ['granted', '2029-01-01T07:00:00.000Z'],
    ]);
  });

  it('refuses a purpose the operator does not have, a raw address as key, and raw client data as evidence', () => {
    expect(() => grantEvents(undefined, action('newsletter', '2025-01-15T07:00:00.000Z'), POLICY)).toThrow(ValidationError);
    expect(() => action('service', '2025-01-15T07:00:00.000Z', { personKey: 'person@example.kz' })).toThrow(ValidationError);
    expect(() => action('service', '2025-01-15T07:00:00.000Z', { evidence: { ipHash: '203.0.113.7' } })).toThrow(ValidationError);
  });
});

describe('the term end', () => {
  const state = granted('service', '2025-01-15T07:00:00.000Z');
  const end = Date.parse('2028-01-15T07:00:00.000Z');

  it('is not due a millisecond before three years, and is due at three years', () => {
    expect(dueEvents(state, new Date(end - 1))).toEqual([]);
    expect(stateAt(state, new Date(end - 1))).toEqual(state);
    expect(dueEvents(state, new Date(end))).toEqual([
      { type: 'prolonged', purposeId: 'service', at: '2028-01-15T07:00:00.000Z', channel: 'operator', policyVersion: 'v1', evidence: {}, termEndsAt: '2031-01-15T07:00:00.000Z' },
    ]);
  });

  it('prolongs once per elapsed term when the job runs late, each prolongation its own event', () => {
    const events = dueEvents(state, new Date('2035-06-01T00:00:00Z'));
    expect(events.map((e) => [e.type, e.at, e.termEndsAt])).toEqual([
      ['prolonged', '2028-01-15T07:00:00.000Z', '2031-01-15T07:00:00.000Z'],
      ['prolonged', '2031-01-15T07:00:00.000Z', '2034-01-15T07:00:00.000Z'],
      ['prolonged', '2034-01-15T07:00:00.000Z', '2037-01-15T07:00:00.000Z'],
    ]);
    const after = applyEvents(state, events);
    expect(after).toMatchObject({ status: 'granted', version: 4, grantedAt: '2025-01-15T07:00:00.000Z', termEndsAt: '2037-01-15T07:00:00.000Z' });
    expect(dueEvents(after, new Date('2035-06-01T00:00:00Z'))).toEqual([]);
  });

  it('expires a consent without auto-prolongation, once and for good', () => {
    const marketing = granted('marketing', '2025-01-15T07:00:00.000Z');
    expect(dueEvents(marketing, new Date(end - 1))).toEqual([]);
    const events = dueEvents(marketing, new Date('2040-01-01T00:00:00Z'));
    expect(events.map((e) => [e.type, e.at])).toEqual([['expired', '2028-01-15T07:00:00.000Z']]);
    const expired = applyEvents(marketing, events);
    expect(expired).toMatchObject({ status: 'expired', version: 2 });
    expect(expired?.termEndsAt).toBeUndefined();
    expect(dueEvents(expired, new Date('2090-01-01T00:00:00Z'))).toEqual([]);
  });

  it('counts when reading before the job has recorded it', () => {
    const marketing = granted('marketing', '2025-01-15T07:00:00.000Z');
    expect(stateAt(marketing, new Date(end))).toMatchObject({ status: 'expired' });
  });
});

describe('a withdrawal', () => {
  it('ends the consent and its term', () => {
    const state = granted('service', '2025-01-15T07:00:00.000Z');
    const events = withdrawEvents(state, action('service', '2026-05-10T07:00:00.000Z', { channel: 'email', evidence: { messageId: '<m1@example.kz>' } }), POLICY);
    expect(events).toEqual([
      { type: 'withdrawn', purposeId: 'service', at: '2026-05-10T07:00:00.000Z', channel: 'email', policyVersion: 'v1', evidence: { messageId: '<m1@example.kz>' } },
    ]);
    const after = applyEvents(state, events);
    expect(after).toMatchObject({ status: 'withdrawn', version: 2 });
    expect(after?.termEndsAt).toBeUndefined();
  });

  it('is idempotent: withdrawing what is withdrawn records nothing', () => {
    const state = granted('service', '2025-01-15T07:00:00.000Z');
    const withdrawn = applyEvents(state, withdrawEvents(state, action('service', '2026-05-10T07:00:00.000Z'), POLICY));
    expect(withdrawEvents(withdrawn, action('service', '2026-05-11T07:00:00.000Z'), POLICY)).toEqual([]);
  });

  it('of a consent the ledger never saw given is recorded with its evidence and the purpose\'s policy version', () => {
    const events = withdrawEvents(undefined, action('service', '2026-05-11T07:00:00.000Z', { channel: 'email' }), POLICY);
    expect(events).toEqual([
      { type: 'withdrawn', purposeId: 'service', at: '2026-05-11T07:00:00.000Z', channel: 'email', policyVersion: 'v1', evidence: { requestId: 'DRB-AAAAA-BBBBB' } },
    ]);
    const state = applyEvents(undefined, events);
    expect(state).toMatchObject({ status: 'withdrawn', version: 1 });
    expect(state?.grantedAt).toBeUndefined();
    // A later grant starts over; a second withdrawal adds nothing.
    expect(withdrawEvents(state, action('service', '2026-05-12T07:00:00.000Z'), POLICY)).toEqual([]);
    expect(grantEvents(state, action('service', '2026-06-01T07:00:00.000Z'), POLICY).map((e) => e.type)).toEqual(['granted']);
  });

  it('after the consent expired is recorded too: the person\'s act is evidence', () => {
    const marketing = granted('marketing', '2025-01-15T07:00:00.000Z');
    const expired = applyEvents(marketing, dueEvents(marketing, new Date('2029-01-01T00:00:00Z')));
    expect(expired?.status).toBe('expired');
    expect(withdrawEvents(expired, action('marketing', '2029-01-01T00:00:00.000Z'), POLICY).map((e) => e.type)).toEqual(['withdrawn']);
  });

  it('refuses a purpose the operator does not have', () => {
    expect(() => withdrawEvents(undefined, action('nope', '2026-05-11T07:00:00.000Z'), POLICY)).toThrow(ValidationError);
  });

  it('after an unrecorded term end is recorded after the prolongation it follows', () => {
    const state = granted('service', '2025-01-15T07:00:00.000Z');
    const events = withdrawEvents(state, action('service', '2028-02-01T07:00:00.000Z'), POLICY);
    expect(events.map((e) => e.type)).toEqual(['prolonged', 'withdrawn']);
  });
});

describe('the fold', () => {
  it('refuses a history that could not have happened', () => {
    const state = granted('service', '2025-01-15T07:00:00.000Z');
    const withdrawn = { type: 'withdrawn', purposeId: 'service', at: '2026-01-01T00:00:00.000Z', channel: 'web', policyVersion: 'v1', evidence: {} } as const;
    const after = applyEvent(state, withdrawn);
    expect(() => applyEvent(after, withdrawn)).toThrow(ConflictError);
    expect(() => applyEvent(after, { ...withdrawn, type: 'prolonged', termEndsAt: '2031-01-01T00:00:00.000Z' })).toThrow(ConflictError);
    expect(() => applyEvent(state, { ...withdrawn, purposeId: 'marketing' })).toThrow(ConflictError);
  });
});
