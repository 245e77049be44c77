import { InvalidTokenError } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { hashVerificationCode, isWellFormedCode } from '../domain/verification-code.ts';
import type { Dependencies } from './dependencies.ts';

/**
 * The request a confirmation link is for, read without using the code, so the page can name it (reference and
 * types, nothing personal) before the person presses the button. A used or expired code is InvalidTokenError.
 */
export async function requestOfCode(deps: Dependencies, code: string): Promise<DataSubjectRequest> {
  if (!isWellFormedCode(code)) throw new InvalidTokenError('verification code is malformed');
  const record = await deps.verifications.peek(hashVerificationCode(code), deps.clock.now());
  return deps.requests.get(record.requestId);
}
