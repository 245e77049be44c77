import * as z from '../../domain/schema.ts';
import { dependencies } from '../../composition.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import { notifyAndAnswer } from '../../use-cases/answer.ts';
import { invocationEndsAt, type InvocationContext } from './invocation.ts';
import { parsePayload } from './payload.ts';
import { reportingErrors } from '../report-errors.ts';

/** `sourceIds`: the sources the Map ran on, checked against what the request needs now. */
const payload = onFirstUse(() => z.object({ requestId: z.string().check(z.minLength(1)), sourceIds: z.optional(z.array(z.string())) }));

export const handler = reportingErrors('answer', async (event: unknown, context: InvocationContext): Promise<void> => {
  const { requestId, sourceIds } = parsePayload(payload, event, 'answer');
  const deps = await dependencies();
  await notifyAndAnswer(deps, requestId, invocationEndsAt(context, deps.clock.now()), sourceIds);
});
