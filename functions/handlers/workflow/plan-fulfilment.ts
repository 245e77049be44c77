import * as z from '../../domain/schema.ts';
import { dependencies } from '../../composition.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import { recordConsentOnBeginning, withdrawForRequest } from '../../use-cases/consent.ts';
import { planFulfilment, type WorkflowPayload } from '../../use-cases/workflow-steps.ts';
import { parsePayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

/** `begun` is set by the state machine's RecordConsent step, never by a callback's release. */
const payload = onFirstUse(() => z.object({ requestId: z.string().check(z.minLength(1)), begun: z.optional(z.literal(true)) }));

/**
 * Plans the request and, when nobody at the company decides first, begins its fulfilment here: a withdrawal or an
 * opt-out changes the consent ledger before the sources and processors are told (one state transition instead of
 * two; both are safe to run again, so a retry of the pair is too). As the RecordConsent step, for a request that
 * began as the person confirmed it, it records only the consent changes: that request has its plan already.
 */
export const handler = reportingErrors('plan-fulfilment', async (event: unknown): Promise<WorkflowPayload | void> => {
  const { requestId, begun } = parsePayload(payload, event, 'plan-fulfilment');
  const deps = await dependencies();
  if (begun) return recordConsentOnBeginning(deps, requestId);
  const plan = await planFulfilment(deps, requestId);
  if (!plan.needsDecision) await withdrawForRequest(deps, requestId);
  return plan;
});
