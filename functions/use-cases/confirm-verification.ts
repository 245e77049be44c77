import { InvalidTokenError, WaitEndedError } from '../domain/errors.ts';
import { hashSecretCode, isWellFormedCode } from '../domain/secret-code.ts';
import type { Dependencies } from './dependencies.ts';

/**
 * The person pressed "Confirm" (a POST — mail scanners only GET). The link is claimed once; each request waiting on
 * it is marked verified (once) and its workflow released. A crash part-way leaves the link claimed but not
 * completed: pressing again finishes the job and confirms nothing twice. A completed, expired or unknown link is
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
    if ((await deps.requests.markVerified(requestId, verification.confirmedAt!)) === 'closed') continue;
    confirmed.push(requestId);
    const taskToken = await deps.verifications.task(requestId);
    if (!taskToken) continue;
    await releaseVerificationWait(deps, taskToken, verification.confirmedAt!);
  }
  await deps.verifications.complete(codeHash, deps.clock.now());
  if (!confirmed.length) throw new InvalidTokenError('every request of this link is closed');
  return confirmed;
}

/**
 * Releases a request's wait for verification with the time it was confirmed. A wait already over (answered before,
 * or timed out) has nothing left to release.
 */
export async function releaseVerificationWait(deps: Pick<Dependencies, 'workflow'>, taskToken: string, verifiedAt: string): Promise<void> {
  try {
    await deps.workflow.completeTask(taskToken, { verifiedAt });
  } catch (error) {
    if (!(error instanceof WaitEndedError)) throw error;
  }
}
