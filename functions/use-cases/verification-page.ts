import { InvalidTokenError } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { hashSecretCode, isWellFormedCode } from '../domain/secret-code.ts';
import { awaitsConfirmation } from './confirm-verification.ts';
import type { Dependencies } from './dependencies.ts';

/**
 * What a confirmation link is for, read without using the code, so the page can name it (references and types,
 * nothing personal) before the person presses the button: the request the link was mailed for (`own`), and the
 * other requests for the address still waiting on it (`others`), which the person confirms only by ticking them. A
 * used or expired code, or one whose own request is closed, is InvalidTokenError.
 */
export async function requestsOfCode(deps: Dependencies, code: string): Promise<{ own: DataSubjectRequest; others: DataSubjectRequest[] }> {
  if (!isWellFormedCode(code)) throw new InvalidTokenError('verification code is malformed');
  const link = await deps.verifications.peek(hashSecretCode(code), deps.clock.now());
  const requests = await Promise.all(link.waiting.map((requestId) => deps.requests.get(requestId)));
  const own = requests.find((request) => request.id === link.owner);
  // Marked verified by a press that crashed part-way, it is still this link's to finish.
  if (!own || !(awaitsConfirmation(own) || own.verifiedAt)) throw new InvalidTokenError('the request this link was sent for is closed');
  return { own, others: requests.filter((request) => request.id !== link.owner && awaitsConfirmation(request) && !request.verifiedAt) };
}
