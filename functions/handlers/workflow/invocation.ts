import type { Context } from 'aws-lambda';

/** What a step reads of its Lambda context (the local runtime's worker hands one with the same method). */
export type InvocationContext = Pick<Context, 'getRemainingTimeInMillis'>;

/** When Lambda stops this invocation (its function's time-out), on the use cases' clock. */
export function invocationEndsAt(context: InvocationContext, now: Date): Date {
  return new Date(now.getTime() + context.getRemainingTimeInMillis());
}
