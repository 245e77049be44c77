import type { ConsentActionInput, ConsentEvent, ConsentState, RecordedConsentEvent } from './types.ts';

/** What a grant or withdrawal did: the purpose's state afterwards (none if it never had one) and the events it appended. */
export interface ConsentChange {
  state: ConsentState | undefined;
  recorded: ConsentEvent[];
}

/** A running term that has ended, as the term index lists it. */
export interface DueConsent {
  personKey: string;
  state: ConsentState;
}

/** What one run of the term job recorded. */
export interface AppliedDue {
  prolonged: number;
  expired: number;
}

/**
 * The consent ledger: per person key and purpose a current state, plus a history nobody can change.
 * Every change writes the new state and its events together, or nothing. Actions are checked with
 * `parseConsentAction` first (ValidationError), so a raw address can never become a key.
 */
export interface ConsentLedger {
  /** Records consent; a repeated grant under the same policy version records nothing (but catches up term ends). */
  grant(action: ConsentActionInput): Promise<ConsentChange>;
  /** Records a withdrawal; withdrawing what is not granted records nothing. */
  withdraw(action: ConsentActionInput): Promise<ConsentChange>;
  /** Every purpose the person ever consented to, as of `now` (term ends due by then count even before the job records them). */
  current(personKey: string, now: Date, options?: { consistentRead?: boolean }): Promise<ConsentState[]>;
  /** The person's whole history, every purpose, in the order things happened. */
  history(personKey: string): Promise<RecordedConsentEvent[]>;
  /** Up to `limit` running terms that ended by `now`, earliest first. */
  due(now: Date, limit: number): Promise<DueConsent[]>;
  /** Records every term end due by `now`: prolongations and expiries. */
  applyDue(now: Date): Promise<AppliedDue>;
}
