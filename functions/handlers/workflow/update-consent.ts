import { dependencies } from '../../composition.ts';
import { withdrawForRequest } from '../../use-cases/consent.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

/** Withdrawal and marketing opt-out change the consent ledger before the sources and processors are told. */
export const handler = reportingErrors('update-consent', async (event: unknown): Promise<{ withdrawn: string[] }> => {
  const { requestId } = parsePayload(RequestIdPayload, event, 'update-consent');
  return withdrawForRequest(await dependencies(), requestId);
});
