/**
 * Runs inside each function's worker thread, as Lambda's Node.js runtime runs inside a sandbox: loads the
 * function's bundle once (its own module instance, its own process.env), then serves invocations one message
 * at a time. Bundled on its own by the local runtime; imports nothing of derbes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { enableCompileCache, flushCompileCache } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

interface Setup {
  bundle: string;
  functionName: string;
  functionArn: string;
  memorySize: number;
}
interface Invocation {
  id: number;
  /** The event as JSON, as Lambda passes it. */
  event: string;
  requestId: string;
  deadline: number;
}
type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const setup = workerData as Setup;

/** The id of the invocation a log entry is written in (invocations run side by side here). */
const invocationId = new AsyncLocalStorage<string>();
const LEVELS = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 } as const;
type Level = keyof typeof LEVELS;

/**
 * The console as Lambda's Node.js runtime patches it, in the function's log format (AWS_LAMBDA_LOG_FORMAT: JSON, else
 * text): one line per entry on stdout, with its time, level and invocation id; entries below AWS_LAMBDA_LOG_LEVEL
 * (unset: all) dropped. In JSON a lone argument is kept as it is (an object stays an object under `message`, an Error
 * becomes its type, message, stack lines and own fields); several are formatted into one text, and the first Error
 * among them adds its type, message and stack.
 */
const asJson = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
const minimum = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() as Level] ?? LEVELS.TRACE;
const errorFields = (error: Error) => ({
  errorType: error.constructor?.name ?? 'UnknownError',
  errorMessage: error.message,
  stackTrace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
});
const withErrors = (_key: string, value: unknown) => (value instanceof Error ? { ...errorFields(value), ...value } : value);

function entry(level: Level, message: unknown, params: unknown[]): string {
  const timestamp = new Date().toISOString();
  const requestId = invocationId.getStore();
  if (!asJson) return [timestamp, requestId, level, format(message, ...params)].join('\t');
  const head = { timestamp, level, requestId };
  if (!params.length) {
    try {
      return JSON.stringify({ ...head, message }, withErrors);
    } catch {
      return JSON.stringify({ ...head, message: format(message) }); // a cycle, a BigInt
    }
  }
  const error = params.find((p): p is Error => p instanceof Error);
  return JSON.stringify({ ...head, message: format(message, ...params), ...(error && errorFields(error)) });
}

const methods = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', log: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'FATAL' } as const;
for (const [method, level] of Object.entries(methods) as [keyof typeof methods, Level][]) {
  (console as Console & { fatal?: Console['error'] })[method] =
    LEVELS[level] < minimum ? () => undefined : (message?: unknown, ...params: unknown[]) => void process.stdout.write(`${entry(level, message, params).replace(/\n/g, '\r')}\n`);
}

/** A failed invocation's error, logged as Lambda's runtime logs it: the error alone in JSON, after "Invoke Error" in text. */
function logInvokeError(thrown: unknown): void {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  if (asJson) console.error(error);
  else console.error('Invoke Error', `\t${JSON.stringify({ errorType: error.name, errorMessage: error.message, ...error, stack: error.stack?.split('\n') })}`);
}

// V8's code cache beside the bundles: the next cold start of any function compiles less.
enableCompileCache(join(dirname(setup.bundle), '.compile-cache'));
const loaded = (await import(pathToFileURL(setup.bundle).href)) as { handler?: Handler };
flushCompileCache();
if (typeof loaded.handler !== 'function') throw new Error(`${setup.functionName} exports no handler`);
const handler = loaded.handler;

parentPort!.on('message', (invocation: Invocation) => {
  const context = {
    functionName: setup.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: setup.functionArn,
    memoryLimitInMB: String(setup.memorySize),
    awsRequestId: invocation.requestId,
    logGroupName: `/aws/lambda/${setup.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - Date.now()),
  };
  // Everything the invocation does, its failure included, is logged under its id.
  invocationId.run(invocation.requestId, () =>
    Promise.resolve()
      .then(() => handler(JSON.parse(invocation.event) as unknown, context))
      .then(
        // Lambda hands back the result as JSON (the host parses it).
        (result) => parentPort!.postMessage({ id: invocation.id, result: JSON.stringify(result === undefined ? null : result) ?? 'null' }),
        (error: Error) => {
          logInvokeError(error);
          parentPort!.postMessage({ id: invocation.id, error: { name: error?.name ?? 'Error', message: error?.message ?? String(error) } });
        },
      ),
  );
});
parentPort!.postMessage({ ready: true });
