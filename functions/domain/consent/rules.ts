import { addYearsInZone, isTimeZone, parseInstant } from '../deadlines/local-time.ts';
import { ConfigurationError, ConflictError, toFieldProblems, ValidationError } from '../errors.ts';
import { consentSchemas, type ConsentAction, type ConsentActionInput, type ConsentEvent, type ConsentPolicy, type ConsentState, type ConsentTerm } from './types.ts';

/**
 * The consent ledger's rules, pure. A purpose's state is the fold of its history; every change is an event
 * appended to that history. Terms run in calendar years in the term's time zone (29 February plus a year is
 * 28 February), and a prolongation starts the next term where the last one ended.
 */

/** When a term of `term.years` calendar years that starts at `from` ends. */
export function termEnd(from: string, term: ConsentTerm): string {
  if (!isTimeZone(term.timeZone)) throw new ConfigurationError('consent policy', [{ field: 'timeZone', message: `not a time zone: ${term.timeZone}` }]);
  return addYearsInZone(parseInstant(from), term.years, term.timeZone).toISOString();
}

function refuse(state: ConsentState | undefined, event: ConsentEvent): never {
  throw new ConflictError(`consent for ${event.purposeId}: '${event.type}' cannot follow '${state?.status ?? 'nothing'}'`);
}

/** The state after one more event; refuses an event the state does not allow, so a broken history cannot fold. */
export function applyEvent(state: ConsentState | undefined, event: ConsentEvent): ConsentState {
  if (state && state.purposeId !== event.purposeId) refuse(state, event);
  const common = {
    purposeId: event.purposeId,
    version: (state?.version ?? 0) + 1,
    updatedAt: event.at,
    channel: event.channel,
    policyVersion: event.policyVersion,
  };
  if (event.type === 'granted') {
    return { ...common, status: 'granted', grantedAt: event.at, ...(event.term && event.termEndsAt && { term: event.term, termEndsAt: event.termEndsAt }) };
  }
  // A person may withdraw a consent the ledger never saw given (it was given before the company used derbes) or one
  // whose term ran out: the withdrawal is their act and its evidence must be kept. Only a second one adds nothing.
  if (event.type === 'withdrawn') {
    if (state?.status === 'withdrawn') refuse(state, event);
    return { ...common, ...(state?.grantedAt && { grantedAt: state.grantedAt }), ...(state?.term && { term: state.term }), status: 'withdrawn' };
  }
  if (state?.status !== 'granted') refuse(state, event);
  const kept = { grantedAt: state.grantedAt, ...(state.term && { term: state.term }) };
  switch (event.type) {
    case 'expired':
      if (!state.termEndsAt) refuse(state, event);
      return { ...common, ...kept, status: 'expired' };
    case 'prolonged':
      if (!state.termEndsAt || !event.termEndsAt) refuse(state, event);
      return { ...common, ...kept, status: 'granted', termEndsAt: event.termEndsAt };
  }
}

export function applyEvents(state: ConsentState | undefined, events: readonly ConsentEvent[]): ConsentState | undefined {
  return events.reduce<ConsentState | undefined>(applyEvent, state);
}

/** A purpose's state from its whole history, oldest event first; undefined for an empty history. */
export function foldConsent(history: readonly ConsentEvent[]): ConsentState | undefined {
  return applyEvents(undefined, history);
}

/**
 * The term ends that have come by `now` and are not recorded yet: one `prolonged` per elapsed term of an
 * auto-prolonging consent (several if the job ran late), or one `expired`. Each takes effect at the term's end.
 */
export function dueEvents(state: ConsentState | undefined, now: Date): ConsentEvent[] {
  const events: ConsentEvent[] = [];
  let current = state;
  while (current?.status === 'granted' && current.term && current.termEndsAt && Date.parse(current.termEndsAt) <= now.getTime()) {
    const base = { purposeId: current.purposeId, at: current.termEndsAt, channel: 'operator', policyVersion: current.policyVersion, evidence: {} } as const;
    const event: ConsentEvent = current.term.autoProlong
      ? { ...base, type: 'prolonged', termEndsAt: termEnd(current.termEndsAt, current.term) }
      : { ...base, type: 'expired' };
    events.push(event);
    current = applyEvent(current, event);
  }
  return events;
}

/** The state as of `now`, counting term ends that are due but not recorded yet. */
export function stateAt(state: ConsentState, now: Date): ConsentState {
  return applyEvents(state, dueEvents(state, now)) ?? state;
}

/** Checks a grant or withdrawal before anything is read or written; ValidationError lists every bad field. */
export function parseConsentAction(input: ConsentActionInput): ConsentAction {
  const parsed = consentSchemas().ConsentActionSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(toFieldProblems(parsed.error.issues), 'consent action');
  return parsed.data;
}

/**
 * The events a grant appends: term ends due by then, and a `granted` that starts a new term, unless the
 * consent already stands under the same policy version (a repeated grant changes nothing).
 */
export function grantEvents(state: ConsentState | undefined, action: ConsentAction, policy: ConsentPolicy): ConsentEvent[] {
  const { purposeId, at, channel, policyVersion, evidence } = action;
  const purpose = policy.purposes.find((candidate) => candidate.id === purposeId);
  if (!purpose) throw new ValidationError([{ field: 'purposeId', message: `not a purpose of this operator: ${purposeId}` }], 'consent action');
  const caughtUp = dueEvents(state, at);
  const current = applyEvents(state, caughtUp);
  const version = policyVersion ?? purpose.version;
  if (current?.status === 'granted' && current.policyVersion === version) return caughtUp;
  const grantedAt = at.toISOString();
  const term = purpose.consentTerm && { ...purpose.consentTerm, timeZone: policy.timeZone };
  const granted: ConsentEvent = {
    type: 'granted',
    purposeId,
    at: grantedAt,
    channel,
    policyVersion: version,
    evidence,
    ...(term && { term, termEndsAt: termEnd(grantedAt, term) }),
  };
  return [...caughtUp, granted];
}

/**
 * Whether the person's history shows the consent to a purpose given before its `before`-th event. Withdrawing a
 * consent never given withdraws nothing: it records the person's refusal, which holds for the future.
 */
export function givenBefore(history: readonly ConsentEvent[], purposeId: string, before = history.length): boolean {
  return history.slice(0, before).some((event) => event.purposeId === purposeId && event.type === 'granted');
}

/**
 * The events a withdrawal appends: term ends due by then, and a `withdrawn` unless the consent is withdrawn already.
 * A consent never recorded as given, or expired, is withdrawn all the same: the person's act is the evidence the
 * ledger keeps. Whether a withdrawal may be refused (Law 94-V Art. 8(2)) is decided before it reaches the ledger.
 */
export function withdrawEvents(state: ConsentState | undefined, action: ConsentAction, policy: ConsentPolicy): ConsentEvent[] {
  const { purposeId, at, channel, policyVersion, evidence } = action;
  const purpose = policy.purposes.find((candidate) => candidate.id === purposeId);
  if (!purpose) throw new ValidationError([{ field: 'purposeId', message: `not a purpose of this operator: ${purposeId}` }], 'consent action');
  const caughtUp = dueEvents(state, at);
  const current = applyEvents(state, caughtUp);
  if (current?.status === 'withdrawn') return caughtUp;
  // The text the person consented to: the consent's own, or (never recorded as given) the purpose's current one.
  const version = policyVersion ?? current?.policyVersion ?? purpose.version;
  const withdrawn: ConsentEvent = {
    type: 'withdrawn',
    purposeId,
    at: at.toISOString(),
    channel,
    policyVersion: version,
    evidence,
  };
  return [...caughtUp, withdrawn];
}
