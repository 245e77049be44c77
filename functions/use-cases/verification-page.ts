import { InvalidTokenError } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { hashSecretCode, isWellFormedCode } from '../domain/secret-code.ts';
import { awaitsConfirmation } from './confirm-verification.ts';
import type { Dependencies } from './dependencies.ts';

/**
 * What a confirmation link is for, read without using the code, so the page can name it (references and types,
 * nothing personal) before the person presses the button: the requests still waiting on it, the one it was mailed
 * for first, then the others in the order they were received. A used or expired code, or one whose requests are all
 * closed or confirmed, is InvalidTokenError.
 */
export async function requestsOfCode(deps: Dependencies, code: string): Promise<DataSubjectRequest[]> {
  if (!isWellFormedCode(code)) throw new InvalidTokenError('verification code is malformed');
  const link = await deps.verifications.peek(hashSecretCode(code), deps.clock.now());
  const requests = await Promise.all(link.waiting.map((requestId) => deps.requests.get(requestId)));
  const waiting = requests
    .filter((request) => awaitsConfirmation(request) && !request.verifiedAt)
    .sort((a, b) => Number(b.id === link.owner) - Number(a.id === link.owner) || Date.parse(a.receivedAt) - Date.parse(b.receivedAt));
  if (!waiting.length) throw new InvalidTokenError('every request of this link is closed or confirmed');
  return waiting;
}
