import { InvalidTokenError } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { hashSecretCode, isWellFormedCode } from '../domain/secret-code.ts';
import type { Dependencies } from './dependencies.ts';

/**
 * The requests a confirmation link is for, read without using the code, so the page can name them (references and
 * types, nothing personal) before the person presses the button. A used or expired code is InvalidTokenError.
 */
export async function requestsOfCode(deps: Dependencies, code: string): Promise<DataSubjectRequest[]> {
  if (!isWellFormedCode(code)) throw new InvalidTokenError('verification code is malformed');
  const link = await deps.verifications.peek(hashSecretCode(code), deps.clock.now());
  return Promise.all(link.waiting.map((requestId) => deps.requests.get(requestId)));
}
