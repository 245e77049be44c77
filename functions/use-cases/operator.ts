import { z } from 'zod';
import { riskFlags, type EscalationPolicy } from '../domain/deadlines/index.ts';
import { ValidationError, toFieldProblems } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { RequestTypeSchema } from '../domain/request-types.ts';
import type { Dependencies } from './dependencies.ts';

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

/** Approves or refuses a waiting request, then releases its workflow (which answers or refuses). */
export async function decide(deps: Dependencies, requestId: string, input: DecisionInput) {
  const pending = await deps.decisions.take(requestId);
  const decidedAt = deps.clock.now().toISOString();
  const approved = input.decision === 'approve';
  const decision = { approved, decidedAt, reason: input.reason, basis: input.basis, answer: input.answer };
  const changes = {
    decision,
    ...(input.changes ? { changes: input.changes } : {}),
    ...(input.types ? { types: input.types } : {}),
  };
  const request = await deps.requests.transition(requestId, 'AWAITING_DECISION', approved ? 'IN_PROGRESS' : 'REFUSED', changes, [
    { type: 'decision.made', detail: { approved, basis: input.basis } },
  ]);
  await deps.workflow.completeTask(pending.taskToken, { approved });
  return request;
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
    ...riskFlags({ dueAt: request.deadline.dueAt, receivedAt: request.receivedAt }, now, policy),
  };
}
