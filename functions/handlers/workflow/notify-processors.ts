import { dependencies } from '../../composition.ts';
import { notifyProcessors } from '../../use-cases/fulfilment.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';

export async function handler(event: unknown): Promise<{ notified: number; failed: number }> {
  const { requestId } = parsePayload(RequestIdPayload, event, 'notify-processors');
  return notifyProcessors(dependencies(), requestId);
}
