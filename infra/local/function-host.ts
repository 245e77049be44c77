import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { FunctionBundles } from './function-bundles.ts';
import type { Meter } from './meter.ts';
import { functionArn, type LocalFunction } from './template.ts';

/** An error a function returned (errorType, errorMessage), or one Lambda reports for it (a time-out, a crash). */
export class FunctionError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Lambda's invocation payload quotas, in bytes of the event's and the result's JSON: an event over 6 MB is refused
 * before the function runs, and a result over 6 MB fails the invocation after it ran (the error names 100 bytes more).
 * These are the synchronous limits; the events invoked asynchronously here (SES's, EventBridge's) are far smaller.
 */
export const MAX_EVENT_BYTES = 6_291_456;
export const MAX_RESULT_BYTES = 6_291_556;

interface Sandbox {
  worker: Worker;
  ready: Promise<void>;
  inFlight: Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>;
  /** An invocation in it timed out: it takes no new ones and ends once nothing runs in it. */
  retired: boolean;
}

/**
 * Runs each function of the template as Lambda would: its own bundle in its own worker thread (its own module
 * instance), started on first use, with only its own template environment plus what the local runtime must add —
 * the endpoints of the local AWS services, its own credentials (which the endpoints check against its role), and
 * LAMBDA_TASK_ROOT. A setting a function lacks in the template is missing here too. Its heap is held to the
 * template's MemorySize: past it the sandbox ends and what ran in it fails with Runtime.OutOfMemory. An invocation
 * that outlives the template's Timeout fails with Sandbox.Timedout and its sandbox is ended, so a runaway invocation
 * cannot take the machine; a sandbox that crashes fails what it was running and is replaced on the next invocation.
 * An event or a result past Lambda's payload quota fails as it fails in Lambda (see MAX_EVENT_BYTES).
 */
export class FunctionHost {
  private readonly sandboxes = new Map<string, Sandbox>();
  private nextId = 1;
  private stopped = false;

  constructor(
    private readonly functions: Map<string, LocalFunction>,
    private readonly bundles: FunctionBundles,
    private readonly environmentOf: (fn: LocalFunction) => Record<string, string>,
    private readonly meter?: Meter,
  ) {}

  /** The logical ids of the template's functions. */
  ids(): string[] {
    return [...this.functions.keys()];
  }

  /** What the function sees as process.env. */
  environment(logicalId: string): Record<string, string> {
    const fn = this.functions.get(logicalId);
    if (!fn) throw new Error(`no derbes function ${logicalId} in the template`);
    return {
      ...fn.environment,
      // What Lambda sets for a function with the JSON log format, which its runtime reads (see lambda-runtime.ts).
      ...(fn.logging.format === 'JSON' && { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: fn.logging.applicationLogLevel }),
      ...this.environmentOf(fn),
      AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      LAMBDA_TASK_ROOT: this.bundles.taskRoot,
    };
  }

  private sandbox(logicalId: string): Sandbox {
    if (this.stopped) throw new FunctionError('Lambda.ServiceException', 'the local runtime is stopping');
    const existing = this.sandboxes.get(logicalId);
    if (existing) return existing;
    const fn = this.functions.get(logicalId);
    const bundle = this.bundles.files.get(logicalId);
    if (!fn || !bundle) throw new Error(`no derbes function ${logicalId} in the template`);
    const worker = new Worker(this.bundles.runtime, {
      env: this.environment(logicalId),
      workerData: { bundle, functionName: fn.logicalId, functionArn: functionArn(fn.logicalId), memorySize: fn.memorySize },
      name: fn.logicalId,
      // Lambda gives a function MemorySize in all; its heap gets that, the rest of the process is the worker's own.
      resourceLimits: { maxOldGenerationSizeMb: fn.memorySize },
    });
    const inFlight: Sandbox['inFlight'] = new Map();
    let markReady!: () => void;
    let failReady!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (failReady = reject)));
    ready.catch(() => undefined);
    const sandbox: Sandbox = { worker, ready, inFlight, retired: false };
    const fail = (error: Error) => {
      if (this.sandboxes.get(logicalId) === sandbox) this.sandboxes.delete(logicalId);
      failReady(error);
      for (const call of inFlight.values()) call.reject(error);
      inFlight.clear();
    };
    worker.on('message', (message: { ready?: true; id?: number; result?: string; error?: { name: string; message: string } }) => {
      if (message.ready) return markReady();
      const call = inFlight.get(message.id!);
      if (!call) return;
      inFlight.delete(message.id!);
      if (message.error) call.reject(new FunctionError(message.error.name, message.error.message));
      else if (Buffer.byteLength(message.result!) > MAX_RESULT_BYTES) call.reject(new FunctionError('Function.ResponseSizeTooLarge', `Response payload size exceeded maximum allowed payload size (${MAX_RESULT_BYTES} bytes).`));
      else call.resolve(JSON.parse(message.result!));
    });
    // An exception nobody caught ends the sandbox, as it ends Lambda's runtime process.
    let initialised = false;
    void ready.then(
      () => (initialised = true),
      () => undefined,
    );
    worker.on('error', (error) => {
      console.error(`[lambda] ${logicalId} ${initialised ? 'crashed' : 'failed to start'}: ${error.name}: ${error.message}`);
      // Out of memory is Lambda's own error; otherwise a failed start reports the error its module threw, a crash later
      // that the runtime exited.
      if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') fail(new FunctionError('Runtime.OutOfMemory', `${logicalId}: the runtime exceeded its ${fn.memorySize} MB`));
      else fail(initialised ? new FunctionError('Runtime.ExitError', `${logicalId}: the runtime exited (${error.name}: ${error.message})`) : new FunctionError(error.name, error.message));
    });
    worker.on('exit', (code) => fail(new FunctionError('Runtime.ExitError', `${logicalId}: the runtime exited with code ${code}`)));
    this.sandboxes.set(logicalId, sandbox);
    return sandbox;
  }

  async invoke(logicalId: string, event: unknown): Promise<unknown> {
    const fn = this.functions.get(logicalId);
    if (!fn) throw new Error(`no derbes function ${logicalId} in the template`);
    // Lambda passes the event as JSON: its text goes to the worker, which parses it (a string is cheaper to pass
    // between threads than the object it holds).
    const payload = JSON.stringify(event ?? null);
    const size = Buffer.byteLength(payload);
    if (size > MAX_EVENT_BYTES) throw new FunctionError('RequestEntityTooLargeException', `${size} byte payload is too large for the RequestResponse invocation type (limit ${MAX_EVENT_BYTES} bytes)`);
    const sandbox = this.sandbox(logicalId);
    // Lambda's timeout counts the invocation, not the sandbox's start.
    await sandbox.ready;
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const id = this.nextId++;
    const started = performance.now();
    const billed = () => this.meter?.invocation(logicalId, fn.memorySize, performance.now() - started);
    // A retired sandbox ends once its last invocation ends (a retired one is never handed new ones).
    const endIfRetired = () => sandbox.retired && !sandbox.inFlight.size && void sandbox.worker.terminate();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sandbox.inFlight.delete(id);
        billed();
        reject(new FunctionError('Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`));
        // Lambda ends a sandbox whose invocation timed out. Here a sandbox serves concurrent invocations: the next ones
        // go to a new sandbox at once, and this one ends when nothing else runs in it — at the latest when the
        // others time out too, so a runaway invocation holds its memory and a core for one Timeout more at most.
        sandbox.retired = true;
        if (this.sandboxes.get(logicalId) === sandbox) this.sandboxes.delete(logicalId);
        endIfRetired();
      }, fn.timeoutSeconds * 1000);
      sandbox.inFlight.set(id, {
        resolve: (result) => (clearTimeout(timer), billed(), resolve(result), endIfRetired()),
        reject: (error) => (clearTimeout(timer), billed(), reject(error), endIfRetired()),
      });
      sandbox.worker.postMessage({ id, event: payload, requestId: randomUUID(), deadline });
    });
  }

  /**
   * Starts every function's sandbox now, in the background, so the first requests after a start do not wait for
   * one cold start after another along the workflow. A function that fails to start fails its invocations.
   */
  async warmAll(first: string[] = []): Promise<void> {
    // One after another: starting them all at once would slow the first request down more than it helps.
    for (const logicalId of new Set([...first, ...this.functions.keys()])) {
      if (this.stopped) return;
      await this.sandbox(logicalId).ready.catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.sandboxes.values()].map((s) => s.worker.terminate()));
    this.sandboxes.clear();
  }
}
