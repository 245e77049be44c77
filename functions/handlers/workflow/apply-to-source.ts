import * as z from '../../domain/schema.ts';
import { dependencies } from '../../composition.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import { applyToSource } from '../../use-cases/fulfilment.ts';
import { parsePayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

const payload = onFirstUse(() => z.object({ requestId: z.string().check(z.minLength(1)), sourceId: z.string().check(z.minLength(1)) }));

/** One Map iteration: one data source. Errors propagate so Step Functions retries this source alone. */
export const handler = reportingErrors('apply-to-source', async (event: unknown): Promise<{ sourceId: string; outcomes: Record<string, string> }> => {
  const { requestId, sourceId } = parsePayload(payload, event, 'apply-to-source');
  return applyToSource(await dependencies(), requestId, sourceId);
});
