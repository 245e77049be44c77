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

/** An Error as Lambda's JSON format writes it: its type, message and stack as lines, and its own fields. */
const withErrors = (_key: string, value: unknown) =>
  value instanceof Error ? { errorType: value.constructor?.name ?? 'UnknownError', errorMessage: value.message, stackTrace: value.stack?.split('\n') ?? [], ...value } : value;

/**
 * One entry as Lambda's Node.js runtime writes it in the JSON log format: a lone argument is kept as it is (an object
 * stays an object under `message`); several are formatted into one text, the first Error among them also as fields.
 */
function jsonEntry(level: Level, message: unknown, params: unknown[]): string {
  const entry: Record<string, unknown> = { timestamp: new Date().toISOString(), level, requestId: invocationId.getStore() };
  if (!params.length) {
    try {
      return JSON.stringify({ ...entry, message }, withErrors);
    } catch {
      return JSON.stringify({ ...entry, message: format(message) }); // a cycle, a BigInt
    }
  }
  const error = params.find((p) => p instanceof Error);
  return JSON.stringify({ ...entry, message: format(message, ...params), ...(error && (withErrors('', error) as object)) });
}

// As Lambda's runtime does for a function with the JSON log format: every console method writes JSON entries, and
// those below the function's application log level are dropped.
if (process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON') {
  const threshold = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() as Level] ?? LEVELS.INFO;
  const methods = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', log: 'INFO', warn: 'WARN', error: 'ERROR' } as const;
  for (const [method, level] of Object.entries(methods) as [keyof typeof methods, Level][]) {
    const stream = LEVELS[level] >= LEVELS.WARN ? process.stderr : process.stdout;
    console[method] = LEVELS[level] < threshold ? () => undefined : (message?: unknown, ...params: unknown[]) => void stream.write(`${jsonEntry(level, message, params)}\n`);
  }
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
  invocationId
    .run(invocation.requestId, () => Promise.resolve().then(() => handler(JSON.parse(invocation.event) as unknown, context)))
    .then(
    // Lambda hands back the result as JSON (the host parses it).
    (result) => parentPort!.postMessage({ id: invocation.id, result: JSON.stringify(result === undefined ? null : result) ?? 'null' }),
    (error: Error) => {
      // As Lambda's runtime does, the error is logged with the invocation, then returned as errorType and errorMessage.
      const failure = { errorType: error?.name, errorMessage: error?.message };
      if (process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON') process.stderr.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level: 'ERROR', requestId: invocation.requestId, message: 'Invoke Error', ...failure })}\n`);
      else console.error(`${new Date().toISOString()}\t${invocation.requestId}\tERROR\tInvoke Error\t${JSON.stringify(failure)}`);
      parentPort!.postMessage({ id: invocation.id, error: { name: error?.name ?? 'Error', message: error?.message ?? String(error) } });
    },
  );
});
parentPort!.postMessage({ ready: true });
