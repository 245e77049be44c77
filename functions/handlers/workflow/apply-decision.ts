import { dependencies } from '../../composition.ts';
import { applyDecision } from '../../use-cases/operator.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

export const handler = reportingErrors('apply-decision', async (event: unknown): Promise<{ approved: boolean }> => {
  const { requestId } = parsePayload(RequestIdPayload, event, 'apply-decision');
  return applyDecision(await dependencies(), requestId);
});
