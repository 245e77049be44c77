import { InvalidTokenError, WaitEndedError } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { hashSecretCode, isWellFormedCode } from '../domain/secret-code.ts';
import type { Dependencies } from './dependencies.ts';
import { beginsOnConfirmation } from './fulfilment-plan.ts';
import type { VerificationRelease } from './ports.ts';

/**
 * The person pressed "Confirm" (a POST — mail scanners only GET). The link is claimed once; each request waiting on
 * it is marked verified (once) and its workflow released. A crash part-way leaves the link claimed but not
 * completed: pressing again finishes the job and confirms nothing twice. A request nobody decides on
 * (beginsOnConfirmation) is in progress from this write on. A completed, expired or unknown link is
 * InvalidTokenError. Returns the references confirmed.
 */
export async function confirmVerification(deps: Dependencies, code: string): Promise<string[]> {
  if (!isWellFormedCode(code)) throw new InvalidTokenError('verification code is malformed');
  const codeHash = hashSecretCode(code);
  const verification = await deps.verifications.claim(codeHash, deps.clock.now());
  // Mail the mailbox asked for does not count against what may be sent to it unasked.
  await deps.limits.refundRecipient(verification.recipientKey);
  const confirmed: string[] = [];
  for (const requestId of verification.waiting) {
    // The workflow moves the request on once released; the mark is what its steps check (see guards.ts).
    const { outcome, request } = await deps.requests.markVerified(requestId, verification.confirmedAt!, (current) => beginsOnConfirmation(deps, current));
    if (outcome === 'closed') continue;
    confirmed.push(requestId);
    const taskToken = await deps.verifications.task(requestId);
    if (!taskToken) continue;
    await releaseVerificationWait(deps, taskToken, request);
  }
  await deps.verifications.complete(codeHash, deps.clock.now());
  if (!confirmed.length) throw new InvalidTokenError('every request of this link is closed');
  return confirmed;
}

/**
 * Releases a confirmed request's wait for verification, saying whether it began as it was confirmed: then the
 * workflow goes on to its sources (recording its consent changes first, where its input says it has any) without a
 * planning step. What a release says only routes; the sources come from the execution's input, and every step that
 * changes data checks the request itself (assertMayChangeData), so a leaked task token changes nothing. A wait
 * already over (answered before, or timed out) has nothing left to release.
 */
export async function releaseVerificationWait(deps: Pick<Dependencies, 'workflow'>, taskToken: string, request: DataSubjectRequest): Promise<void> {
  const release: VerificationRelease = { verifiedAt: request.verifiedAt!, ...(request.status === 'IN_PROGRESS' ? { begun: true } : {}) };
  try {
    await deps.workflow.completeTask(taskToken, release);
  } catch (error) {
    if (!(error instanceof WaitEndedError)) throw error;
  }
}
