import { z } from 'zod';
import { riskFlags, type EscalationPolicy } from '../domain/deadlines/index.ts';
import { ConflictError, ValidationError, toFieldProblems } from '../domain/errors.ts';
import { OPEN_STATUSES, type DataSubjectRequest } from '../domain/request.ts';
import { RequestTypeSchema } from '../domain/request-types.ts';
import type { Dependencies } from './dependencies.ts';
import { notifyPerson } from './notify.ts';

/** An operator's decision on a request that waits for one. */
export const DecisionInputSchema = z
  .strictObject({
    decision: z.enum(['approve', 'deny']),
    /** Why: required for a refusal, told to the person. */
    reason: z.string().trim().min(1).max(4000).optional(),
    /** The legal basis cited in a refusal, e.g. "Law 94-V, Art. 8(2)". */
    basis: z.string().trim().min(1).max(500).optional(),
    /** The answer to a claim, or a note for the person. */
    answer: z.string().trim().min(1).max(10000).optional(),
    /** For a rectification the operator states (e.g. from documents): field → new value. */
    changes: z.record(z.string().min(1), z.string()).optional(),
    /** For an unclear request: what it is. */
    types: z.array(RequestTypeSchema).min(1).optional(),
  })
  .refine((d) => d.decision === 'approve' || d.reason, { path: ['reason'], message: 'a refusal needs a reason the person can read' });
export type DecisionInput = z.infer<typeof DecisionInputSchema>;

export function parseDecision(input: unknown): DecisionInput {
  const result = DecisionInputSchema.safeParse(input);
  if (!result.success) throw new ValidationError(toFieldProblems(result.error.issues), 'decision');
  return result.data;
}

/**
 * Records the operator's decision on a waiting request and releases its workflow, which then moves the request on
 * (ApplyDecision). If the wait has already ended (timed out and escalated), the pending decision is put back and
 * the operator is told, so nothing is left half-done.
 */
export async function decide(deps: Dependencies, requestId: string, input: DecisionInput): Promise<{ reference: string; decision: DecisionInput['decision'] }> {
  const pending = await deps.decisions.take(requestId);
  const approved = input.decision === 'approve';
  try {
    await deps.requests.amend(
      requestId,
      'AWAITING_DECISION',
      {
        decision: { approved, decidedAt: deps.clock.now().toISOString(), reason: input.reason, basis: input.basis, answer: input.answer },
        ...(input.changes ? { changes: input.changes } : {}),
        ...(input.types ? { types: input.types } : {}),
      },
      [{ type: 'decision.made', detail: { approved, basis: input.basis } }],
    );
    await deps.workflow.completeTask(pending.taskToken, { approved });
  } catch (error) {
    await deps.decisions.put(pending);
    if ((error as Error).name === 'TaskTimedOut') throw new ConflictError(`the wait for a decision on ${requestId} has just ended; list the decisions again and decide once more`);
    throw error;
  }
  return { reference: requestId, decision: input.decision };
}

/** In the workflow, after the decision: move the request on, or refuse it with the operator's reason and basis. */
export async function applyDecision(deps: Dependencies, requestId: string): Promise<{ approved: boolean }> {
  const request = await deps.requests.get(requestId);
  if (request.status !== 'AWAITING_DECISION') return { approved: request.status === 'IN_PROGRESS' }; // re-run after a restart
  const approved = request.decision?.approved === true;
  if (approved) {
    await deps.requests.transition(requestId, 'AWAITING_DECISION', 'IN_PROGRESS');
    return { approved };
  }
  const refused = await deps.requests.transition(requestId, 'AWAITING_DECISION', 'REFUSED', { closedAt: deps.clock.now().toISOString() });
  await notifyPerson(deps, refused, 'refusal', { reason: refused.decision?.reason ?? '', rule: refused.decision?.basis ?? refused.deadline.rule.citation });
  return { approved };
}

/** The operator's view of a request: where it stands, when it is due, and whether that is at risk or overdue. */
export function requestView(request: DataSubjectRequest, now: Date, policy: EscalationPolicy) {
  return {
    reference: request.id,
    types: request.types,
    status: request.status,
    channel: request.channel,
    language: request.language,
    receivedAt: request.receivedAt,
    dueAt: request.deadline.dueAt,
    timeZone: request.deadline.timeZone,
    rule: { id: request.deadline.rule.id, citation: request.deadline.rule.citation, source: request.deadline.rule.source, confidence: request.deadline.rule.confidence },
    ...(request.attention ? { attention: request.attention } : {}),
    ...riskFlags({ dueAt: request.deadline.dueAt, receivedAt: request.receivedAt }, now, policy),
  };
}

/**
 * Extends a request's due date where its rule allows (GDPR, RU, CCPA; not Law 94-V): the person gets a reasoned
 * notice with the new date now — before the original one — and the extension is an audit event.
 */
export async function extendDeadline(deps: Dependencies, requestId: string, rawReason: unknown) {
  const reason = z.string().trim().min(1, 'an extension needs a reason the person can read').max(4000).safeParse(rawReason);
  if (!reason.success) throw new ValidationError(toFieldProblems(reason.error.issues.map((i) => ({ ...i, path: ['reason'] }))), 'extension');
  const request = await deps.requests.get(requestId);
  if (!OPEN_STATUSES.includes(request.status)) throw new ConflictError(`request ${requestId} is closed (${request.status})`);
  const extended = deps.deadlines.extend(request.deadline, deps.clock.now());
  const citation = extended.rule.appliedExtension!.citation;
  const updated = await deps.requests.amend(requestId, request.status, { deadline: extended }, [
    { type: 'deadline.extended', detail: { from: request.deadline.dueAt, to: extended.dueAt, citation } },
  ]);
  await notifyPerson(deps, updated, 'extension', { reason: reason.data, rule: citation });
  return requestView(updated, deps.clock.now(), deps.profile.escalation);
}
