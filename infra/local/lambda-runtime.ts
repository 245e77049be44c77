/**
 * Runs inside each function's worker thread, as Lambda's Node.js runtime runs inside a sandbox: loads the
 * function's bundle once (its own module instance, its own process.env), then serves invocations one message
 * at a time. Bundled on its own by the local runtime; imports nothing of derbes.
 */
import { enableCompileCache, flushCompileCache } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

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
  Promise.resolve()
    .then(() => handler(JSON.parse(invocation.event) as unknown, context))
    .then(
    // Lambda hands back the result as JSON (the host parses it).
    (result) => parentPort!.postMessage({ id: invocation.id, result: JSON.stringify(result === undefined ? null : result) ?? 'null' }),
    (error: Error) => {
      // As Lambda's runtime does, the error is logged with the invocation, then returned as errorType and errorMessage.
      console.error(`${new Date().toISOString()}\t${invocation.requestId}\tERROR\tInvoke Error\t${JSON.stringify({ errorType: error?.name, errorMessage: error?.message })}`);
      parentPort!.postMessage({ id: invocation.id, error: { name: error?.name ?? 'Error', message: error?.message ?? String(error) } });
    },
  );
});
parentPort!.postMessage({ ready: true });
