import * as z from '../../domain/schema.ts';
import { dependencies } from '../../composition.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import { recordFailure } from '../../use-cases/attention.ts';
import { reportingErrors } from '../report-errors.ts';
import { parsePayload } from './payload.ts';

const payload = onFirstUse(() => z.object({ requestId: z.string().check(z.minLength(1)), step: z.string().check(z.minLength(1)), error: z.string().check(z.minLength(1)), taskToken: z.string().check(z.minLength(1)) }));

/** Invoked by the NeedsAttention callback task: the execution waits until the operator resumes the failed step. */
export const handler = reportingErrors('needs-attention', async (event: unknown): Promise<void> => {
  await recordFailure(await dependencies(), parsePayload(payload, event, 'needs-attention'));
});
