import { dependencies } from '../../composition.ts';
import { closeUnverified } from '../../use-cases/verification.ts';
import { parsePayload, requestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

export const handler = reportingErrors('close-unverified', async (event: unknown): Promise<void> => {
  const { requestId } = parsePayload(requestIdPayload, event, 'close-unverified');
  await closeUnverified(await dependencies(), requestId);
});
