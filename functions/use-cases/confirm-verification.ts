import { InvalidTokenError, MAX_NAMED, ValidationError, WaitEndedError } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { hashSecretCode, isWellFormedCode } from '../domain/secret-code.ts';
import type { Dependencies } from './dependencies.ts';
import { LEFT_UNTICKED } from '../domain/workflow-steps.ts';
import { beginsOnConfirmation } from './fulfilment-plan.ts';
import type { VerificationRelease } from './ports.ts';

/** What a press of "Confirm" did: the requests it confirmed, and those waiting on the link it left unconfirmed. */
export interface Confirmation {
  confirmed: string[];
  notConfirmed: string[];
}

/**
 * The person pressed "Confirm" (a POST — mail scanners only GET). The link confirms exactly the requests the person
 * chose (`chosen`): on a page that lists one request, that one; on a page that lists several — the one it was mailed
 * for and those made for the address since, which joined it without a mail of their own — the ones they ticked, none
 * ticked beforehand, since any of them, the first included, may be a stranger's made in their name. Without a choice
 * (an API caller) it confirms the request it was mailed for. The others stay unconfirmed: nothing is done under them,
 * and they close now (see closeUnticked). The link is claimed once; each confirmed request is marked verified (once)
 * and its workflow released. A crash part-way leaves the link claimed but not completed: pressing again finishes the
 * job and confirms nothing twice. A request nobody decides on (beginsOnConfirmation) is in progress from this write on. A
 * completed, expired or unknown link, or one whose chosen requests are all closed, is InvalidTokenError; a chosen
 * reference not waiting on the link, or an empty choice, is a ValidationError.
 */
export async function confirmVerification(deps: Dependencies, code: string, chosen?: readonly string[]): Promise<Confirmation> {
  if (!isWellFormedCode(code)) throw new InvalidTokenError('verification code is malformed');
  if (chosen && !chosen.length) throw new ValidationError([{ field: 'references', message: 'tick at least one request', kind: 'required' }], 'confirmation');
  const codeHash = hashSecretCode(code);
  const verification = await deps.verifications.claim(codeHash, deps.clock.now());
  const strangers = (chosen ?? []).filter((requestId) => !verification.waiting.includes(requestId));
  if (strangers.length) {
    const named = strangers.slice(0, MAX_NAMED);
    const more = strangers.length - named.length;
    throw new ValidationError([{ field: 'references', message: `not waiting on this link: ${named.join(', ')}${more ? ` and ${more} more` : ''}` }], 'confirmation');
  }
  // Mail the mailbox asked for does not count against what may be sent to it unasked.
  await deps.limits.refundRecipient(verification.recipientKey);
  const wanted = new Set(chosen ?? [verification.owner]);
  const confirmed: DataSubjectRequest[] = [];
  const notConfirmed: DataSubjectRequest[] = [];
  for (const requestId of verification.waiting) {
    if (!wanted.has(requestId)) {
      const request = await deps.requests.get(requestId);
      if (awaitsConfirmation(request)) notConfirmed.push(request);
      continue;
    }
    // The workflow moves the request on once released; the mark is what its steps check (see guards.ts).
    const { outcome, request } = await deps.requests.markVerified(requestId, verification.confirmedAt!, (current) => beginsOnConfirmation(deps, current));
    if (outcome !== 'closed') confirmed.push(request);
  }
  // Every one is marked before any is released: an erasure that runs at once finds an access request confirmed with
  // it, and keeps the records for it (fulfilment.ts), whichever of the two the link lists first.
  for (const request of confirmed) {
    const taskToken = await deps.verifications.task(request.id);
    if (taskToken) await releaseVerificationWait(deps, taskToken, request);
  }
  for (const request of notConfirmed) await closeUnticked(deps, request);
  await deps.verifications.complete(codeHash, deps.clock.now());
  if (!confirmed.length) throw new InvalidTokenError('every request chosen on this link is closed');
  return { confirmed: confirmed.map((request) => request.id), notConfirmed: notConfirmed.map((request) => request.id) };
}

/**
 * The person pressed "None of these are mine" on the link's page (a POST, as for "Confirm"): every request the link
 * lists as still unconfirmed closes now, as one left unticked does (closeUnticked, no mail), its trail saying the
 * mailbox's owner disowned it. Whoever holds the link is that owner: it was mailed there. The link is used as a
 * confirmation uses it — claimed once, finished by a press again after a crash — and the address's budget is given
 * back as a confirmation gives it: mail it asked to stop is not mail it wanted, and a flood in its name must not
 * leave the person's own next request without its receipt (nor one withheld meanwhile: see retryWithheldReceipt).
 * Returns the requests it closed. A used, expired or unknown link, or one whose requests are all closed or
 * confirmed, is InvalidTokenError.
 */
export async function disownVerification(deps: Dependencies, code: string): Promise<string[]> {
  if (!isWellFormedCode(code)) throw new InvalidTokenError('verification code is malformed');
  const codeHash = hashSecretCode(code);
  const verification = await deps.verifications.claim(codeHash, deps.clock.now());
  await deps.limits.refundRecipient(verification.recipientKey);
  const disowned: DataSubjectRequest[] = [];
  for (const requestId of verification.waiting) {
    const request = await deps.requests.get(requestId);
    if (awaitsConfirmation(request) && !request.verifiedAt) disowned.push(request);
  }
  for (const request of disowned) await closeUnticked(deps, request, 'verification.disowned');
  await deps.verifications.complete(codeHash, deps.clock.now());
  if (!disowned.length) throw new InvalidTokenError('every request of this link is closed or confirmed');
  return disowned.map((request) => request.id);
}

/**
 * A request left unticked on the link just used (or disowned there) closes unconfirmed now, not when its wait would
 * time out (days later, listed as open meanwhile): its trail records why, then its wait ends with LEFT_UNTICKED,
 * which the workflow closes as it closes a wait that timed out — with no mail, as the trail tells CloseUnverified
 * (see closeUnverified). Recorded first, so a crash before the wait is ended loses nothing: its timeout closes it the
 * same way. One confirmed meanwhile by another link goes on as confirmed.
 */
async function closeUnticked(deps: Dependencies, request: DataSubjectRequest, why: 'verification.left_unticked' | 'verification.disowned' = 'verification.left_unticked'): Promise<void> {
  if (request.verifiedAt) return;
  await deps.audit.appendOnce(request.id, LEFT_UNTICKED, { type: why, detail: {} });
  const taskToken = await deps.verifications.task(request.id);
  if (!taskToken) return;
  try {
    await deps.workflow.failTask(taskToken, LEFT_UNTICKED, 'left unticked on a used confirmation link');
  } catch (error) {
    if (!(error instanceof WaitEndedError)) throw error;
  }
}

/** A request a link could still confirm: waiting for it, not closed (a press that crashed part-way marked some). */
export function awaitsConfirmation(request: DataSubjectRequest): boolean {
  return request.status === 'AWAITING_VERIFICATION' || request.status === 'RECEIVED';
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
