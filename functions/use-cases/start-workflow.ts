import { answerBy } from '../domain/deadlines/index.ts';
import { answerTerm, type DataSubjectRequest } from '../domain/request.ts';
import { anyType } from '../domain/request-policy.ts';
import type { Dependencies } from './dependencies.ts';
import { plannedSources } from './fulfilment-plan.ts';
import type { ExecutionStart } from './ports.ts';

/** The latest instant by which the person must have heard from us if verification or a decision never comes. */
export function answerDeadline(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest): Date {
  // A late entry's receipt promised a later date, counted from its entry: the waits end at the margin before that one.
  return answerBy(answerTerm(request), deps.profile.escalation);
}

/**
 * A confirmation link lives for the operator's TTL, but never past the point where we must answer anyway. A request
 * an operator entered (received by phone, post or in person, perhaps days before it was entered) is the exception, and
 * so is held mail an operator vouched for (days after it arrived, perhaps): its link lives the whole TTL from when it
 * is sent, even past that point, since the person could not have confirmed anything before the link existed — closing
 * it at once, unconfirmed, would answer a letter by ignoring it. It stays on the operator's inbox as at risk or overdue
 * meanwhile.
 */
function verificationExpiry(deps: Pick<Dependencies, 'profile' | 'clock'>, request: DataSubjectRequest): Date {
  const ttlEnd = deps.clock.now().getTime() + deps.profile.verification.codeTtlHours * 3_600_000;
  if (request.entry || request.admitted) return new Date(ttlEnd);
  return new Date(Math.min(ttlEnd, answerDeadline(deps, request).getTime()));
}

/**
 * How long the request may wait for verification, from now: no longer than the link lives, never past the answer
 * deadline (waiting longer than the link lives is pointless; waiting past the answer deadline is unlawful).
 */
export function verificationWait(deps: Pick<Dependencies, 'profile' | 'clock'>, request: DataSubjectRequest): Pick<ExecutionStart, 'verificationExpiresAt' | 'verificationTimeoutSeconds'> {
  const expiresAt = verificationExpiry(deps, request);
  const secondsLeft = Math.ceil((expiresAt.getTime() - deps.clock.now().getTime()) / 1000);
  return {
    verificationExpiresAt: expiresAt.toISOString(),
    // Step Functions needs a positive timeout; a request already at its margin closes almost at once.
    verificationTimeoutSeconds: Math.max(1, secondsLeft),
  };
}

/** What the request's execution starts with (see ExecutionStart), computed from the request as persisted. */
export function executionStart(deps: Pick<Dependencies, 'profile' | 'clock'>, request: DataSubjectRequest): ExecutionStart {
  return {
    requestId: request.id,
    ...verificationWait(deps, request),
    sourceIds: plannedSources(deps.profile, request).map((source) => source.id),
    // By the request alone (its signal, its types), not the profile's purposes, which a deploy may change meanwhile.
    recordsConsent: Boolean(request.gpc) || anyType(request.types, (policy) => policy.endsConsents !== 'none'),
  };
}

/**
 * Starts the request's execution, whose first step is the wait for verification: its timeout counts from the moment
 * the execution starts, so it is computed here, just before — by intake, or hours later by the deadline watch for a
 * request that never got one — from the request as persisted. A start made again (a replayed submission, a retried
 * call) is the same execution: the one already running keeps the wait it started with.
 */
export async function startWorkflow(deps: Pick<Dependencies, 'profile' | 'clock' | 'workflow'>, request: DataSubjectRequest): Promise<void> {
  await deps.workflow.start(executionStart(deps, request));
}
