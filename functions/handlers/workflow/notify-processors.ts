import { dependencies } from '../../composition.ts';
import { notifyProcessors } from '../../use-cases/fulfilment.ts';
import { invocationEndsAt, type InvocationContext } from './invocation.ts';
import { parsePayload, requestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

export const handler = reportingErrors('notify-processors', async (event: unknown, context: InvocationContext): Promise<{ notified: number; failed: number }> => {
  const { requestId } = parsePayload(requestIdPayload, event, 'notify-processors');
  const deps = await dependencies();
  return notifyProcessors(deps, await deps.requests.get(requestId), invocationEndsAt(context, deps.clock.now()));
});
