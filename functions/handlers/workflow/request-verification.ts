import * as z from '../../domain/schema.ts';
import { dependencies } from '../../composition.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import { newSecretCode } from '../../domain/secret-code.ts';
import { requestVerification } from '../../use-cases/verification.ts';
import { parsePayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

const payload = onFirstUse(() => z.object({ requestId: z.string().check(z.minLength(1)), taskToken: z.string().check(z.minLength(1)), verificationExpiresAt: z.iso.datetime() }));

/** Invoked by the callback task: the execution waits until the person confirms or the timeout fires. */
export const handler = reportingErrors('request-verification', async (event: unknown): Promise<void> => {
  const { requestId, taskToken, verificationExpiresAt } = parsePayload(payload, event, 'request-verification');
  await requestVerification(await dependencies(), requestId, taskToken, new Date(verificationExpiresAt), newSecretCode);
});
