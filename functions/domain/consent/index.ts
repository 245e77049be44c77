export type { AppliedDue, ConsentChange, ConsentLedger, DueConsent } from './ledger.ts';
export { applyEvent, applyEvents, dueEvents, foldConsent, givenBefore, grantEvents, parseConsentAction, stateAt, termEnd, withdrawEvents } from './rules.ts';
export {
  CONSENT_CHANNELS,
  consentSchemas,
  type ConsentAction,
  type ConsentActionInput,
  type ConsentChannel,
  type ConsentEvent,
  type ConsentEventType,
  type ConsentEvidence,
  type ConsentPolicy,
  type ConsentPurpose,
  type ConsentState,
  type ConsentStatus,
  type ConsentTerm,
  type RecordedConsentEvent,
} from './types.ts';
