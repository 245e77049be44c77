import { InvalidTokenError } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { hashVerificationCode, isWellFormedCode } from '../domain/verification-code.ts';
import type { Dependencies } from './dependencies.ts';

/**
 * The person pressed "Confirm" (a POST — mail scanners only GET). The code is consumed first, so a second
 * press or a stolen old link fails; then the waiting workflow task is released.
 */
export async function confirmVerification(deps: Dependencies, code: string): Promise<DataSubjectRequest> {
  if (!isWellFormedCode(code)) throw new InvalidTokenError('verification code is malformed');
  const record = await deps.verifications.consume(hashVerificationCode(code), deps.clock.now());
  const verifiedAt = deps.clock.now().toISOString();
  const request = await deps.requests.transition(record.requestId, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt }, [
    { type: 'verification.confirmed', detail: {} },
  ]);
  await deps.workflow.completeTask(record.taskToken, { verifiedAt });
  return request;
}
