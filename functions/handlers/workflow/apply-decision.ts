import { dependencies } from '../../composition.ts';
import { withdrawForRequest } from '../../use-cases/consent.ts';
import { applyDecision } from '../../use-cases/operator.ts';
import { parsePayload, requestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

/**
 * Moves the request on after the operator's decision; an approved one begins its fulfilment here, as one nobody
 * decides on does as it is confirmed (its consent in RecordConsent) or in plan-fulfilment: the consent ledger changes
 * before the sources and processors are told.
 */
export const handler = reportingErrors('apply-decision', async (event: unknown): Promise<{ approved: boolean }> => {
  const { requestId } = parsePayload(requestIdPayload, event, 'apply-decision');
  const deps = await dependencies();
  const decision = await applyDecision(deps, requestId);
  if (decision.approved) await withdrawForRequest(deps, requestId);
  return decision;
});
