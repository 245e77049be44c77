import { dependencies } from '../../composition.ts';
import { closeUnverified } from '../../use-cases/verification.ts';
import { parsePayload, requestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

/** Closes a request whose wait for verification ended; `confirmed` (a confirmation as it ended) sends it on to fulfilment. */
export const handler = reportingErrors('close-unverified', async (event: unknown): Promise<{ confirmed: boolean }> => {
  const { requestId } = parsePayload(requestIdPayload, event, 'close-unverified');
  return closeUnverified(await dependencies(), requestId);
});
