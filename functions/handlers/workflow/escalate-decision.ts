import * as z from '../../domain/schema.ts';
import { dependencies } from '../../composition.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import { escalateDecision, type WorkflowPayload } from '../../use-cases/workflow-steps.ts';
import { parsePayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

const payload = onFirstUse(() => z.looseObject({ requestId: z.string().check(z.minLength(1)), escalations: z.optional(z.number().check(z.int(), z.nonnegative())) }));

export const handler = reportingErrors('escalate-decision', async (event: unknown): Promise<WorkflowPayload> => {
  return escalateDecision(await dependencies(), parsePayload(payload, event, 'escalate-decision'));
});
