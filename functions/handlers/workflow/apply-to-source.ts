import { z } from 'zod';
import { dependencies } from '../../composition.ts';
import { applyToSource } from '../../use-cases/fulfilment.ts';
import { parsePayload } from './payload.ts';

const Payload = z.object({ requestId: z.string().min(1), sourceId: z.string().min(1) });

/** One Map iteration: one data source. Errors propagate so Step Functions retries this source alone. */
export async function handler(event: unknown): Promise<{ sourceId: string; outcomes: Record<string, string> }> {
  const { requestId, sourceId } = parsePayload(Payload, event, 'apply-to-source');
  return applyToSource(dependencies(), requestId, sourceId);
}
