import { dependencies } from '../../composition.ts';
import { notifyAndAnswer } from '../../use-cases/answer.ts';
import { invocationEndsAt, type InvocationContext } from './invocation.ts';
import { parsePayload, requestIdPayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

export const handler = reportingErrors('answer', async (event: unknown, context: InvocationContext): Promise<void> => {
  const { requestId } = parsePayload(requestIdPayload, event, 'answer');
  const deps = await dependencies();
  await notifyAndAnswer(deps, requestId, invocationEndsAt(context, deps.clock.now()));
});
