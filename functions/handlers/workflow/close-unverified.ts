import { dependencies } from '../../composition.ts';
import { closeUnverified } from '../../use-cases/verification.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

export const handler = reportingErrors('close-unverified', async (event: unknown): Promise<void> => {
  const { requestId } = parsePayload(RequestIdPayload, event, 'close-unverified');
  await closeUnverified(await dependencies(), requestId);
});
