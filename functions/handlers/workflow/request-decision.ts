import * as z from '../../domain/schema.ts';
import { dependencies } from '../../composition.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import { requestDecision } from '../../use-cases/workflow-steps.ts';
import { parsePayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

const payload = onFirstUse(() => z.object({ requestId: z.string().check(z.minLength(1)), taskToken: z.string().check(z.minLength(1)) }));

/** Invoked by the callback task: the execution waits for the operator's decision or the timeout. */
export const handler = reportingErrors('request-decision', async (event: unknown): Promise<void> => {
  const { requestId, taskToken } = parsePayload(payload, event, 'request-decision');
  await requestDecision(await dependencies(), requestId, taskToken);
});
