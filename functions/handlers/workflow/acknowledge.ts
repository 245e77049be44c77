import { dependencies } from '../../composition.ts';
import { acknowledge, type WorkflowPayload } from '../../use-cases/workflow-steps.ts';
import { parsePayload, RequestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

export const handler = reportingErrors('acknowledge', async (event: unknown): Promise<WorkflowPayload> => {
  const { requestId } = parsePayload(RequestIdPayload, event, 'acknowledge');
  return acknowledge(await dependencies(), requestId);
});
