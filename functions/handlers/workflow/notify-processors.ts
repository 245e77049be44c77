import { dependencies } from '../../composition.ts';
import { notifyProcessors } from '../../use-cases/fulfilment.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

export const handler = reportingErrors('notify-processors', async (event: unknown): Promise<{ notified: number; failed: number }> => {
  const { requestId } = parsePayload(RequestIdPayload, event, 'notify-processors');
  return notifyProcessors(await dependencies(), requestId);
});
