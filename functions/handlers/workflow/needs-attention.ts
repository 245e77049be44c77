import * as z from 'zod';
import { dependencies } from '../../composition.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import { recordFailure } from '../../use-cases/attention.ts';
import { reportingErrors } from '../report-errors.ts';
import { parsePayload } from './payload.ts';

const payload = onFirstUse(() => z.object({ requestId: z.string().min(1), step: z.string().min(1), error: z.string().min(1), taskToken: z.string().min(1) }));

/** Invoked by the NeedsAttention callback task: the execution waits until the operator resumes the failed step. */
export const handler = reportingErrors('needs-attention', async (event: unknown): Promise<void> => {
  await recordFailure(await dependencies(), parsePayload(payload, event, 'needs-attention'));
});
