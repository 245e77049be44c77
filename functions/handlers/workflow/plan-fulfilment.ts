import { dependencies } from '../../composition.ts';
import { withdrawForRequest } from '../../use-cases/consent.ts';
import { planFulfilment, type WorkflowPayload } from '../../use-cases/workflow-steps.ts';
import { parsePayload, requestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

/**
 * Plans the request and, when nobody at the company decides first, begins its fulfilment here: a withdrawal or an
 * opt-out changes the consent ledger before the sources and processors are told (one state transition instead of
 * two; both are safe to run again, so a retry of the pair is too).
 */
export const handler = reportingErrors('plan-fulfilment', async (event: unknown): Promise<WorkflowPayload> => {
  const { requestId } = parsePayload(requestIdPayload, event, 'plan-fulfilment');
  const deps = await dependencies();
  const plan = await planFulfilment(deps, requestId);
  if (!plan.needsDecision) await withdrawForRequest(deps, requestId);
  return plan;
});
