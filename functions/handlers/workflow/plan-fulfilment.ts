import { dependencies } from '../../composition.ts';
import { planFulfilment, type WorkflowPayload } from '../../use-cases/workflow-steps.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

export const handler = reportingErrors('plan-fulfilment', async (event: unknown): Promise<WorkflowPayload> => {
  const { requestId } = parsePayload(RequestIdPayload, event, 'plan-fulfilment');
  return planFulfilment(await dependencies(), requestId);
});
