import { NotPermittedError } from '../domain/errors.ts';
import type { Dependencies } from './dependencies.ts';
import { applyGlobalPrivacyControl } from './consent.ts';
import { describeReasons } from './fulfilment.ts';
import { plannedSources, reviewReasons } from './fulfilment-plan.ts';
import { alertOperator, groundLines, notifyPerson } from './notify.ts';
import type { ExecutionStart } from './ports.ts';
import { answerDeadline } from './start-workflow.ts';

/**
 * The document each execution carries. It holds identifiers and timings only — never personal data —
 * because Step Functions keeps it in the execution history and logs.
 */
export interface WorkflowPayload extends Partial<Omit<ExecutionStart, 'requestId'>> {
  requestId: string;
  needsDecision?: boolean;
  decisionTimeoutSeconds?: number;
  /** How many times a missing decision has been escalated; after MAX_ESCALATIONS the request is left with the operator. */
  escalations?: number;
  giveUp?: boolean;
  sourceIds?: string[];
}

const MAX_ESCALATIONS = 3;
const ESCALATION_INTERVAL_SECONDS = 3 * 24 * 3600;

/**
 * After the wait for verification ends, for a request that did not begin as it was confirmed (see
 * beginsOnConfirmation), or whose confirmation came as the wait timed out: the request moves on only if the person really confirmed it (a released
 * wait alone is not proof — a leaked task token must not skip verification), a Global Privacy Control signal sent
 * with it takes effect now, and the plan says whether a person at the company decides first and which sources
 * take part.
 */
export async function planFulfilment(deps: Dependencies, requestId: string): Promise<WorkflowPayload> {
  let request = await deps.requests.get(requestId);
  if ((request.status === 'AWAITING_VERIFICATION' && !request.verifiedAt) || request.status === 'RECEIVED') {
    throw new NotPermittedError(`request ${requestId} was released without a confirmed verification`);
  }
  // In progress already, it began as it was confirmed, where its confirmation may have stopped short of the ledger
  // (the ledger records a withdrawal once).
  if (request.gpc && (request.status === 'AWAITING_VERIFICATION' || request.status === 'IN_PROGRESS')) await applyGlobalPrivacyControl(deps, request);
  if (request.status === 'AWAITING_VERIFICATION') request = await deps.requests.transition(request, 'AWAITING_VERIFICATION', 'IN_PROGRESS');
  const reasons = reviewReasons(deps, request);
  if (reasons.length && request.status === 'IN_PROGRESS') {
    await deps.requests.transition(request, 'IN_PROGRESS', 'AWAITING_DECISION', {}, [{ type: 'decision.requested', detail: { reasons: await describeReasons(reasons, 'en'), kinds: reasons } }]);
  }
  // A decision may change what the request is (an unclear mail classified): then every source stands ready.
  const sources = reasons.length ? deps.profile.sources : plannedSources(deps.profile, request);
  return {
    requestId,
    needsDecision: reasons.length > 0,
    decisionTimeoutSeconds: Math.max(1, Math.floor((answerDeadline(deps, request).getTime() - deps.clock.now().getTime()) / 1000)),
    escalations: 0,
    sourceIds: sources.map((source) => source.id),
  };
}

/** Registers the waiting decision and alerts the operator, who answers through the operator API or CLI. */
export async function requestDecision(deps: Dependencies, requestId: string, taskToken: string): Promise<void> {
  const request = await deps.requests.get(requestId);
  const reasons = reviewReasons(deps, request);
  await deps.decisions.put({ requestId, taskToken, reasons: await describeReasons(reasons, 'en'), requestedAt: deps.clock.now().toISOString() });
  await alertOperator(deps, request, 'decisionNeeded', {
    reasons: (await describeReasons(reasons, deps.profile.defaultLanguage)).join('; '),
    grounds: await groundLines(deps.profile, request.types, deps.profile.defaultLanguage),
  });
}

/**
 * No decision by the time the person must hear from us: a reasoned interim answer (once), an escalation to the
 * operator, and another wait; after a few rounds the request is left, open and overdue-flagged, with the operator.
 */
export async function escalateDecision(deps: Dependencies, payload: WorkflowPayload): Promise<WorkflowPayload> {
  const request = await deps.requests.get(payload.requestId);
  const round = (payload.escalations ?? 0) + 1;
  if (request.status !== 'AWAITING_DECISION') return { ...payload, escalations: round, giveUp: true };
  if (round === 1) await notifyPerson(deps, request, 'interimAnswer', {});
  await alertOperator(deps, request, 'decisionOverdue', {
    round: String(round),
    rounds: String(MAX_ESCALATIONS),
    reasons: (await describeReasons(reviewReasons(deps, request), deps.profile.defaultLanguage)).join('; '),
  }, [], round);
  await deps.audit.append(request.id, { type: 'decision.escalated', detail: { round } });
  return { ...payload, escalations: round, decisionTimeoutSeconds: ESCALATION_INTERVAL_SECONDS, giveUp: round >= MAX_ESCALATIONS };
}

