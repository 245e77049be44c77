import { DependencyTimeout, DerbesError, ServiceUnavailable, Throttled, type TransientError } from '../domain/errors.ts';

/** AWS error names that mean "slow down and come back": throttling and optimistic-concurrency clashes. */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'TransactionConflictException',
  'TransactionInProgressException',
]);
/** Timeouts as the SDK, fetch and Node name them. */
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
/** Connections that could not be made or broke. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

interface ForeignError {
  name?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/**
 * A named transient error for a failure of `what` that passes (throttling, server trouble, timeouts, broken
 * connections), or undefined when trying again would not help. The message names the dependency and the kind of
 * failure only: a foreign message may quote keys, addresses or item values.
 */
export function transientErrorFor(error: unknown, what: string): TransientError | undefined {
  if (error instanceof DerbesError || !error || typeof error !== 'object') return undefined;
  const foreign = error as ForeignError;
  const cause = (foreign.cause && typeof foreign.cause === 'object' ? foreign.cause : {}) as ForeignError;
  const names = [foreign.name, foreign.code, cause.code].filter((n): n is string => Boolean(n));
  const label = names[0] ?? 'error';
  if (names.some((n) => THROTTLING.has(n))) return new Throttled(`${what} throttled the call (${label})`);
  if (names.some((n) => TIMEOUTS.has(n))) return new DependencyTimeout(`${what} did not answer in time (${label})`);
  if (names.some((n) => UNREACHABLE.has(n))) return new ServiceUnavailable(`${what} could not be reached (${label})`);
  const status = foreign.$metadata?.httpStatusCode;
  if (foreign.$fault === 'server' || (status !== undefined && status >= 500)) return new ServiceUnavailable(`${what} answered with a server error (${label}${status ? ` ${status}` : ''})`);
  return undefined;
}

interface MiddlewareClient {
  middlewareStack: {
    add(middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
    remove(name: string): boolean;
  };
}

/**
 * Makes an AWS SDK client report failures that pass as named transient errors, after the SDK's own retries (the
 * initialize step wraps them all), so the workflow retries the step with back-off. Every other error passes as is:
 * the callers' `instanceof ConditionalCheckFailedException` and the like keep working.
 */
export function withTransientErrors<C>(client: C, what: string): C {
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw transientErrorFor(error, what) ?? error;
      }
    },
    { step: 'initialize', name: 'derbesTransientErrors' },
  );
  return client;
}

/**
 * An AWS SDK client as every adapter uses it: failures that pass reported as named transient errors (see
 * withTransientErrors), and without the SDK's logger middleware. That middleware hands the client's logger each
 * call's input and output, first copied with their sensitive members masked, and it copies them even when the logger
 * is the SDK's default, which writes nothing (no client here is given another): 2.5 % of the time a verification
 * function's worker was busy in a profile of bench:intake, in Lambda as here. Nothing is logged either way.
 */
export function awsClient<C>(client: C, what: string): C {
  if (!(client as unknown as MiddlewareClient).middlewareStack.remove('loggerMiddleware')) throw new Error(`the ${what} client has no loggerMiddleware to remove: the SDK changed`);
  return withTransientErrors(client, what);
}
