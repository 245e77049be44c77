import { createHash } from 'node:crypto';
import { ConflictError, WaitEndedError, errorCodeOfFailure } from '../domain/errors.ts';
import type { Attention, DataSubjectRequest } from '../domain/request.ts';
import type { AuditEvent } from '../domain/audit.ts';
import type { Dependencies } from './dependencies.ts';
import type { ExecutionStatus } from './ports.ts';
import { loadMessages } from '../domain/messages.ts';
import { mailOperator } from './notify.ts';
import { amendAsItStands } from './amend-as-it-stands.ts';

/**
 * Writes `attention` (or clears it) on the request without touching its status, with its audit event. The status
 * may move between the read and the write (an operator's decision, the workflow's next step); then it is read again.
 * Any other conflict is not this write's to resolve: it is surfaced.
 */
async function setAttention(deps: Pick<Dependencies, 'requests'>, requestId: string, attention: Attention | undefined, event: AuditEvent): Promise<DataSubjectRequest> {
  return amendAsItStands(deps.requests, await deps.requests.get(requestId), { attention }, [event]);
}

/**
 * A step failed after its retries (the state machine's Catch brought the execution here): the failure goes into
 * the audit trail as a step name and an error code, the request is marked as needing attention, the operator is
 * told, and the execution waits — with this task's token — for the operator to resume it. The deadline watch makes
 * sure the person hears from us before the due date if it stays stuck.
 */
export async function recordFailure(deps: Pick<Dependencies, 'profile' | 'publicUrl' | 'requests' | 'attention' | 'mailer' | 'sentMail' | 'audit' | 'clock'>, input: { requestId: string; step: string; error: string; taskToken: string }): Promise<void> {
  const code = errorCodeOfFailure(input.error);
  const attention: Attention = { step: input.step, code, since: deps.clock.now().toISOString() };
  await deps.attention.put({ requestId: input.requestId, taskToken: input.taskToken, ...attention });
  const request = await setAttention(deps, input.requestId, attention, { type: 'workflow.failed', detail: { step: input.step, code } });
  // Each failure waits on its own task: its token tells this alert from one about a later failure of the request.
  const failure = createHash('sha256').update(input.taskToken).digest('hex').slice(0, 32);
  const m = await loadMessages(deps.profile.defaultLanguage);
  await mailOperator(deps, request, 'operatorAttention', { step: m.stepName(input.step), stepId: input.step, code }, `needs attention: ${input.step} failed (${code})`, failure);
}

/**
 * The deadline watch found an open request whose execution is not running (it failed outside any Catch, timed out,
 * was stopped by hand, or ended while the request stayed open): marked, recorded and reported to the operator.
 */
export async function markStopped(deps: Pick<Dependencies, 'profile' | 'publicUrl' | 'requests' | 'mailer' | 'sentMail' | 'audit' | 'clock'>, request: DataSubjectRequest, status: ExecutionStatus): Promise<DataSubjectRequest> {
  const code = `workflow_${status.toLowerCase()}`;
  const attention: Attention = { step: 'workflow', code, since: deps.clock.now().toISOString() };
  const marked = await setAttention(deps, request.id, attention, { type: 'workflow.failed', detail: { step: 'workflow', code } });
  const execution = (await loadMessages(deps.profile.defaultLanguage)).executionStatusName(status);
  await mailOperator(deps, marked, 'operatorWorkflowStopped', { execution }, `workflow stopped (${status})`, attention.since);
  return marked;
}

/**
 * The operator fixed the cause: the failed step runs again (ResumeAt). If the wait has already ended (the
 * execution gave up), the pending resume is put back and the operator is told.
 */
export async function resumeRequest(deps: Pick<Dependencies, 'requests' | 'attention' | 'workflow'>, requestId: string): Promise<{ reference: string; step: string }> {
  const pending = await deps.attention.take(requestId);
  try {
    await setAttention(deps, requestId, undefined, { type: 'workflow.resumed', detail: { step: pending.step } });
    await deps.workflow.completeTask(pending.taskToken, { resumed: true });
  } catch (error) {
    await deps.attention.put(pending);
    if (error instanceof WaitEndedError) throw new ConflictError(`the workflow of ${requestId} no longer waits to be resumed; redrive its execution`);
    throw error;
  }
  return { reference: requestId, step: pending.step };
}
