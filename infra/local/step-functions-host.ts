import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { jsonError, type ServiceRequest, type ServiceResponse } from './aws-endpoint.ts';
import { BUILD_CACHE } from './build-cache.ts';
import type { Denials, RolePolicy } from './iam.ts';
import type { Meter } from './meter.ts';
import { functionArn, logicalIdOfFunctionArn } from './template.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Definition = Record<string, unknown> & { StartAt: string; States: Record<string, StateDefinition> };
interface StateDefinition {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  ItemProcessor?: { States: Record<string, StateDefinition> };
  Iterator?: { States: Record<string, StateDefinition> };
}

/** Where `$$.Task.Token` lands in a task's parameters; swapped for a freshly issued token per task. */
const TOKEN_PLACEHOLDER = 'derbes-local-task-token-placeholder';
const CALLBACK_RESOURCE = /:states:::lambda:invoke\.waitForTaskToken$/;
// setTimeout cannot wait longer than this; longer waits are re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Definitions the engine's validator has passed (a file each, named by the definition's hash). */
const VALIDATED_DEFINITIONS = join(BUILD_CACHE, 'validated-definitions');

/**
 * A callback task: the hashes of its tokens, its deadline, whether its function has finished, and how it ended.
 * The token itself lives in memory only (a checkpoint holds nothing that answers the task): after a restart the
 * function that had not finished is given a new token, and the tokens handed on before stay valid by their hash.
 */
interface PendingTask {
  tokenHashes: string[];
  state: string;
  deadline: number;
  /** The function that hands the token on (mails a link, registers a decision) returned; a restart before that invokes it again. */
  functionDone?: boolean;
  /** SendTaskSuccess/Failure arrived: kept until the next state is entered, so a restart in between replays it. */
  outcome?: { output: Json } | { error: string; cause: string };
}

export interface ExecutionRecord {
  name: string;
  arn: string;
  input: Json;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: string;
  stopDate?: string;
  error?: string;
  /** The last top-level state entered and its input: where a restart resumes. */
  checkpoint?: { state: string; input: Json };
  pendingTask?: PendingTask;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** How the host reaches a function: as the Lambda service would, returning its result or its error (by name). */
export interface FunctionInvoker {
  invoke(logicalId: string, event: unknown): Promise<unknown>;
}

function readPath(document: Json, path: string): Json | undefined {
  let value: Json | undefined = document;
  for (const key of path.replace(/^\$\.?/, '').split('.').filter(Boolean)) {
    value = value && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
  }
  return value;
}

/**
 * A task's TimeoutSecondsPath, read as Step Functions does: one that does not point to a positive integer fails the
 * execution with States.Runtime, which no Retry or Catch takes (the engine reads these two flags).
 */
function timeoutAt(input: Json, path: string): number {
  const seconds = readPath(input, path);
  if (typeof seconds === 'number' && Number.isInteger(seconds) && seconds >= 1) return seconds;
  throw Object.assign(new TaskError('States.Runtime', `TimeoutSecondsPath '${path}' does not point to a positive integer`), { isRetryable: false, isCatchable: false });
}

/**
 * The definition the engine runs. aws-local-stepfunctions races each task against a single setTimeout of the
 * state's TimeoutSeconds(Path); past 2^31-1 ms (24.8 days) Node fires that timer after 1 ms, so a callback
 * waiting for a decision due in six weeks timed out at once. The host enforces a callback task's real
 * deadline itself (re-armed timers, kept across restarts), so the engine's own timer for those tasks is set
 * to the longest it can wait.
 */
function engineDefinition<T extends { States: Record<string, StateDefinition> }>(definition: T): T {
  const states = Object.fromEntries(
    Object.entries(definition.States).map(([name, state]) => {
      let copy: StateDefinition = state;
      if (state.Type === 'Task' && CALLBACK_RESOURCE.test(state.Resource ?? '')) {
        const { TimeoutSecondsPath: _path, ...rest } = state;
        copy = { ...rest, TimeoutSeconds: Math.floor(MAX_TIMER_MS / 1000) };
      }
      if (copy.ItemProcessor) copy = { ...copy, ItemProcessor: engineDefinition(copy.ItemProcessor) };
      if (copy.Iterator) copy = { ...copy, Iterator: engineDefinition(copy.Iterator) };
      return [name, copy];
    }),
  );
  return { ...definition, States: states };
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

function replacePlaceholder(value: Json, token: string): Json {
  if (value === TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => replacePlaceholder(v, token));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replacePlaceholder(v, token)]));
  return value;
}

/**
 * Runs the synthesized state machine with aws-local-stepfunctions and answers the Step Functions calls the
 * functions make (StartExecution, SendTaskSuccess, SendTaskFailure, DescribeExecution) over the AWS JSON protocol.
 *
 * Each running execution has its own checkpoint file (`running/<name>.json`), rewritten when it enters a
 * top-level state or its callback task changes; a finished execution moves to `finished/`, off the hot path.
 * After a restart each running execution resumes at the state it was in: a callback task whose function had not
 * finished is invoked again with the same token, one that was already answered continues with that answer, and
 * the others keep waiting with their token and deadline. Lambda tasks are invoked only as the state machine's
 * role allows (lambda:InvokeFunction).
 */
export class StepFunctionsHost {
  private readonly executions = new Map<string, ExecutionRecord>();
  /** Every execution name ever used (running or finished): a name is unique per state machine. */
  private readonly names = new Set<string>();
  /** Waiting callback tasks by token hash; `release` drops the wait's timer on stop, leaving the task to resume later. */
  private readonly waiters = new Map<string, { settle: (outcome: NonNullable<PendingTask['outcome']>) => Promise<void>; release: () => void }>();
  /** The token a waiting task's function was last given: in memory only, never in a checkpoint. */
  private readonly tokens = new WeakMap<PendingTask, string>();
  private readonly running = new Map<string, () => void>();
  private readonly settled = new Set<Promise<unknown>>();
  private readonly runningDir: string;
  private readonly finishedDir: string;
  private readonly writingDir: string;
  /** Each execution's checkpoint writes: the last one queued, and the one that has not started yet, if any. */
  private readonly writes = new Map<string, { tail: Promise<void>; pending?: Promise<void> }>();
  /** Who waits for an execution's checkpoint loop to record the state it entered (see callbackTask). */
  private readonly entryListeners = new Map<string, Set<() => void>>();
  /** Executions whose checkpoint loop runs (from before the engine starts: it may call a task at once). */
  private readonly recording = new Set<string>();
  private stopping = false;

  constructor(
    private readonly definition: Definition,
    readonly stateMachineArn: string,
    private readonly functions: FunctionInvoker,
    stateDir: string,
    private readonly role: RolePolicy,
    private readonly denials: Denials,
    private readonly meter?: Meter,
  ) {
    this.runningDir = join(stateDir, 'running');
    this.finishedDir = join(stateDir, 'finished');
    this.writingDir = join(stateDir, 'writing');
    mkdirSync(this.runningDir, { recursive: true });
    mkdirSync(this.finishedDir, { recursive: true });
    // Half-written checkpoints of a run that was killed: the previous versions stand.
    rmSync(this.writingDir, { recursive: true, force: true });
    mkdirSync(this.writingDir, { recursive: true });
    this.migrateSingleFile(join(stateDir, 'executions.json'));
    for (const file of readdirSync(this.finishedDir)) if (file.endsWith('.json')) this.names.add(file.slice(0, -5));
    for (const file of readdirSync(this.runningDir)) {
      if (!file.endsWith('.json')) continue; // a .tmp left by a crash mid-write: the previous version stands
      const name = file.slice(0, -5);
      // Finished, but killed before the running file was removed.
      if (this.names.has(name)) unlinkSync(join(this.runningDir, file));
      else this.executions.set(name, this.withoutPlainToken(JSON.parse(readFileSync(join(this.runningDir, file), 'utf8')) as ExecutionRecord));
      this.names.add(name);
    }
    this.assertSupported(definition.States, true);
    this.validate(definition);
  }

  /**
   * Validates the synthesized definition, here rather than in each run: resumed runs start mid-way, which a validator
   * calls unreachable states. Once per definition on this checkout: the validator compiles its JSON schemas on every
   * call, seconds of CPU on a busy machine that every start would wait for.
   */
  private validate(definition: Definition): void {
    const marker = join(VALIDATED_DEFINITIONS, createHash('sha256').update(JSON.stringify(definition)).digest('hex'));
    if (existsSync(marker)) return;
    new StateMachine(definition as never, { validationOptions: { checkPaths: false, checkArn: false } });
    mkdirSync(VALIDATED_DEFINITIONS, { recursive: true });
    writeFileSync(marker, '');
  }

  /** Earlier versions kept a waiting task's token as it is; keep its hash only. */
  private withoutPlainToken(record: ExecutionRecord): ExecutionRecord {
    const task = record.pendingTask as (PendingTask & { token?: string }) | undefined;
    if (task?.token !== undefined) {
      task.tokenHashes = [tokenHash(task.token)];
      delete task.token;
      this.write(record, record.status === 'RUNNING' ? this.runningDir : this.finishedDir);
    }
    return record;
  }

  /** Earlier versions kept every execution in one file; split it once. */
  private migrateSingleFile(file: string): void {
    if (!existsSync(file)) return;
    for (const record of JSON.parse(readFileSync(file, 'utf8')) as ExecutionRecord[]) {
      delete (record.pendingTask as { token?: string } | undefined)?.token; // its hash only, as below
      this.write(record, record.status === 'RUNNING' ? this.runningDir : this.finishedDir);
    }
    rmSync(file);
  }

  private assertSupported(states: Record<string, StateDefinition>, topLevel: boolean): void {
    for (const [name, state] of Object.entries(states)) {
      const callback = CALLBACK_RESOURCE.test(state.Resource ?? '');
      if (state.Type === 'Task' && !callback && !/:function:/.test(state.Resource ?? '')) {
        throw new Error(`state ${name}: the local runtime runs Lambda tasks only, not ${state.Resource}`);
      }
      // Checkpoints are kept per top-level state; a callback inside a Map or Parallel could not be resumed.
      if (callback && !topLevel) throw new Error(`state ${name}: the local runtime resumes callback tasks at the top level only`);
      const nested = state.ItemProcessor?.States ?? state.Iterator?.States;
      if (nested) this.assertSupported(nested, false);
    }
  }

  private write(record: ExecutionRecord, directory: string): void {
    const file = join(directory, `${record.name}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(record));
    renameSync(`${file}.tmp`, file); // atomic: a crash leaves the previous checkpoint, never half of one
  }

  /**
   * Writes the record's checkpoint (a finished one to finished/, removing its running file) and resolves once a write
   * that holds the record as it is now is on disk; whoever acts on the checkpoint (hands out a token, answers a
   * SendTaskSuccess) waits for that. The event loop does not: the file is written in the background (on ext4, a
   * rename over a file waits for the new file's data), aside in writing/ and renamed into place, so running/ holds
   * whole checkpoints only and a crash leaves the previous one. One execution's writes run one at a time, in order;
   * changes made while one runs go to disk together, with the next.
   */
  private persist(record: ExecutionRecord): Promise<void> {
    const queue = this.writes.get(record.name) ?? { tail: Promise.resolve() };
    // A write queued and not started yet takes the record as it is when it starts: this change too.
    if (queue.pending) return queue.pending;
    const written = queue.tail
      .catch(() => undefined)
      .then(() => {
        queue.pending = undefined;
        return this.writeNow(record);
      });
    queue.pending = written;
    queue.tail = written;
    this.writes.set(record.name, queue);
    void written
      .catch(() => undefined)
      .then(() => {
        if (queue.tail === written) this.writes.delete(record.name);
      });
    return written;
  }

  private async writeNow(record: ExecutionRecord): Promise<void> {
    const text = JSON.stringify(record);
    const file = `${record.name}.json`;
    const staged = join(this.writingDir, file);
    await writeFile(staged, text);
    if (record.status === 'RUNNING') {
      await rename(staged, join(this.runningDir, file));
      return;
    }
    await rename(staged, join(this.finishedDir, file));
    await rm(join(this.runningDir, file), { force: true });
  }

  /**
   * Resolves once the execution's checkpoint loop, which may lag behind the engine, has recorded `state` as entered.
   * The engine logs a state's entry before it calls the state's task, so the loop gets there (or the run ends).
   */
  private async entryRecorded(record: ExecutionRecord, state: string): Promise<void> {
    while (record.checkpoint?.state !== state && this.recording.has(record.name) && !this.stopping) {
      await new Promise<void>((resolve) => {
        const listeners = this.entryListeners.get(record.name) ?? new Set();
        listeners.add(resolve);
        this.entryListeners.set(record.name, listeners);
      });
    }
  }

  private notifyEntry(name: string): void {
    const listeners = this.entryListeners.get(name);
    this.entryListeners.delete(name);
    for (const resolve of listeners ?? []) resolve();
  }

  /** A checkpoint nothing waits for; a failed write is reported, and the next one writes the record again. */
  private persistInBackground(record: ExecutionRecord): void {
    this.persist(record).catch((error: Error) => console.error(`[step functions] checkpoint of execution ${record.name} not written: ${error.message}`));
  }

  /** Continues every execution that was running when the runtime last stopped. */
  resume(): number {
    const toResume = [...this.executions.values()];
    for (const record of toResume) this.run(record);
    return toResume.length;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const abort of this.running.values()) abort();
    // Waiting tasks keep their token and deadline on disk; only their timers go, so the process can end.
    for (const waiter of this.waiters.values()) waiter.release();
    await Promise.allSettled([...this.settled]);
    await Promise.allSettled([...this.writes.values()].map((queue) => queue.tail));
  }

  /** A running execution from memory, a finished one from its file. */
  describe(name: string): ExecutionRecord | undefined {
    const running = this.executions.get(name);
    if (running) return running;
    const file = join(this.finishedDir, `${name}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ExecutionRecord) : undefined;
  }

  private finishedExecutions(): ExecutionRecord[] {
    return readdirSync(this.finishedDir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => JSON.parse(readFileSync(join(this.finishedDir, file), 'utf8')) as ExecutionRecord);
  }

  /**
   * The token the function of an execution's waiting callback task was given, as a holder of a leaked token would
   * have it; undefined when nothing waits or the task was resumed after a restart and its function not invoked yet.
   */
  liveTaskToken(name: string): string | undefined {
    const task = this.executions.get(name)?.pendingTask;
    return task && this.tokens.get(task);
  }

  /** The running executions (each is also a file under running/; one that has just finished is left out). */
  runningExecutions(): ExecutionRecord[] {
    return [...this.executions.values()].filter((e) => e.status === 'RUNNING');
  }

  startExecution(name: string, input: Json): ExecutionRecord {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ServiceError('InvalidName', `invalid execution name ${name}`);
    const existing = this.executions.get(name);
    // As in AWS: the same name and input while it runs is the same execution; anything else is refused.
    if (existing?.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(input)) return existing;
    if (this.names.has(name)) throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${name}'`);
    const record: ExecutionRecord = {
      name,
      arn: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      input,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
    };
    this.names.add(name);
    this.executions.set(name, record);
    // Its first file, written at once (a new file: no wait for an earlier one's data), before StartExecution answers.
    this.write(record, this.runningDir);
    this.run(record);
    return record;
  }

  private run(record: ExecutionRecord): void {
    const resumedAt = record.checkpoint?.state;
    const startAt = resumedAt ?? this.definition.StartAt;
    const input = record.checkpoint?.input ?? record.input;
    this.recording.add(record.name);
    const machine = new StateMachine({ ...engineDefinition(this.definition), StartAt: startAt } as never, { validationOptions: { noValidate: true } });
    // The callback task a resumed run continues: taken by the first callback task it runs, if that is its state.
    let resumable = resumedAt !== undefined ? record.pendingTask : undefined;
    const takeResumable = (state: string) => {
      const task = resumable?.state === state ? resumable : undefined;
      resumable = undefined;
      return task;
    };
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(record, this.definition.States, takeResumable) },
      context: {
        Execution: { Id: record.arn, Name: record.name, Input: record.input, StartTime: record.startDate },
        StateMachine: { Id: this.stateMachineArn },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
      noThrowOnAbort: true,
    } as never);
    this.running.set(record.name, execution.abort);

    let resumedEntry = resumedAt !== undefined;
    const checkpoints = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') this.meter?.transition();
        if (event.type !== 'StateEntered' || event.index !== undefined) continue;
        if (resumedEntry) {
          // The state this run resumes: its checkpoint and callback task are on disk already.
          resumedEntry = false;
          continue;
        }
        record.checkpoint = { state: event.state.name, input: event.state.input as Json };
        // An answered callback task of another state is over. This loop may lag behind the engine, so a task not yet
        // answered belongs to a state entered after this event, and stays.
        if (record.pendingTask?.outcome && record.pendingTask.state !== event.state.name) delete record.pendingTask;
        this.persistInBackground(record);
        this.notifyEntry(record.name);
      }
    })().finally(() => {
      this.recording.delete(record.name);
      this.notifyEntry(record.name);
    });
    const done = execution.result.then(
      () => {
        if (this.stopping) return; // aborted by stop(): stays RUNNING and resumes next time
        record.status = 'SUCCEEDED';
        record.stopDate = new Date().toISOString();
      },
      (error: Error) => {
        if (this.stopping) return;
        record.status = 'FAILED';
        record.stopDate = new Date().toISOString();
        record.error = `${error.name}: ${error.message}`;
        console.error(`[step functions] execution ${record.name} failed: ${record.error}`);
      },
    );
    const settled = Promise.allSettled([done, checkpoints]).then(async () => {
      this.running.delete(record.name);
      if (this.stopping) return;
      delete record.pendingTask;
      // Described from memory until its file is in finished/.
      await this.persist(record).catch((error: Error) => console.error(`[step functions] execution ${record.name} finished, but its record was not written: ${error.message}`));
      this.executions.delete(record.name);
    });
    this.settled.add(settled);
    void settled.then(() => this.settled.delete(settled));
  }

  private taskHandlers(
    record: ExecutionRecord,
    states: Record<string, StateDefinition>,
    takeResumable: (state: string) => PendingTask | undefined,
  ): Record<string, (input: Json) => Promise<Json>> {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && CALLBACK_RESOURCE.test(state.Resource!)) {
        handlers[name] = (input) => this.callbackTask(record, name, state, input, takeResumable(name));
      } else if (state.Type === 'Task') {
        const logicalId = logicalIdOfFunctionArn(state.Resource!);
        handlers[name] = (input) => this.invoke(logicalId, input);
      }
      const nested = state.ItemProcessor?.States ?? state.Iterator?.States;
      if (nested) Object.assign(handlers, this.taskHandlers(record, nested, takeResumable));
    }
    return handlers;
  }

  /**
   * Invokes a function as the state machine's role: without lambda:InvokeFunction on it, the task fails as in AWS.
   * A function's error reaches Retry/Catch under its name, as Lambda reports errorType.
   */
  private async invoke(logicalId: string, input: Json): Promise<Json> {
    const resource = functionArn(logicalId);
    if (this.role.decide({ action: 'lambda:InvokeFunction', resource }) !== 'allow') {
      this.denials.record(`states.amazonaws.com (role ${this.role.roleName})`, { action: 'lambda:InvokeFunction', resource });
      throw new TaskError('Lambda.AWSLambdaException', `the state machine's role ${this.role.roleName} is not authorized to perform: lambda:InvokeFunction on resource: ${resource}`);
    }
    try {
      return (await this.functions.invoke(logicalId, input)) as Json;
    } catch (error) {
      throw new TaskError((error as Error).name || 'Error', (error as Error).message);
    }
  }

  /** `resumed`: the task as the checkpoint left it, when a resumed run continues it; a fresh entry (a retry too) starts a new one. */
  private async callbackTask(record: ExecutionRecord, stateName: string, state: StateDefinition, input: Json, resumed: PendingTask | undefined): Promise<Json> {
    let pending = resumed;
    if (!pending) {
      const timeout = state.TimeoutSeconds ?? (state.TimeoutSecondsPath ? timeoutAt(input, state.TimeoutSecondsPath) : undefined);
      pending = { tokenHashes: [], state: stateName, deadline: timeout ? Date.now() + timeout * 1000 : Number.MAX_SAFE_INTEGER };
      record.pendingTask = pending;
    }
    const task = pending;
    // A function still to be invoked gets a token; after a restart that is a new one, added beside the earlier ones.
    let token = this.tokens.get(task);
    if (!task.outcome && !task.functionDone && token === undefined) {
      // The checkpoint that names this state goes to disk with the token's hash: a restart resumes a pending task only
      // at its checkpoint's state, so a token written beside an older checkpoint would be dropped, and the task run anew.
      await this.entryRecorded(record, stateName);
      token = randomBytes(48).toString('base64url');
      this.tokens.set(task, token);
      task.tokenHashes.push(tokenHash(token));
      // The token's hash is on disk before the function hands the token on: after a restart it still answers the task.
      await this.persist(record);
      if (this.stopping) throw new TaskError('Derbes.RuntimeStopped', 'the local runtime stopped; the task resumes at the next start');
    }
    // Answered before a restart: continue with that answer.
    if (task.outcome) return this.settleWith(task.outcome);

    // As in Step Functions, the token is live from the moment the task starts: the function hands it on (a code
    // in a mail, a pending decision) and the answer may come before the function itself has returned.
    const outcome = new Promise<NonNullable<PendingTask['outcome']>>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const forget = () => task.tokenHashes.forEach((hash) => this.waiters.delete(hash));
      // The answer is on disk before the task goes on (a restart then replays it), and before SendTaskSuccess answers.
      const settle = (result: NonNullable<PendingTask['outcome']>): Promise<void> => {
        clearTimeout(timer);
        forget();
        task.outcome = result;
        return this.persist(record).then(
          () => resolve(result),
          (error: Error) => {
            resolve(result);
            throw error;
          },
        );
      };
      const settleInBackground = (result: NonNullable<PendingTask['outcome']>) =>
        void settle(result).catch((error: Error) => console.error(`[step functions] checkpoint of execution ${record.name} not written: ${error.message}`));
      const arm = () => {
        const left = task.deadline - Date.now();
        if (left <= 0) settleInBackground({ error: 'States.Timeout', cause: 'callback task timed out' });
        else timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      };
      const waiter = {
        settle,
        // On stop: no timer, and the engine's own race settles (clearing its timer), but the token hashes stay on disk.
        release: () => {
          clearTimeout(timer);
          forget();
          reject(new TaskError('Derbes.RuntimeStopped', 'the local runtime stopped; the task resumes at the next start'));
        },
      };
      for (const hash of task.tokenHashes) this.waiters.set(hash, waiter);
      arm();
    });
    // Settled while the function still runs (a time-out, say): handled when returned below, not before.
    outcome.catch(() => undefined);
    if (!task.functionDone) {
      const parameters = input as { FunctionName: string; Payload: Json };
      try {
        await this.invoke(logicalIdOfFunctionArn(parameters.FunctionName), replacePlaceholder(parameters.Payload, token!));
        if (record.pendingTask === task && !this.stopping) {
          task.functionDone = true;
          this.persistInBackground(record);
        }
      } catch (error) {
        // The function failed: the task fails with its error, unless it was already answered.
        if (!this.stopping) {
          await this.waiters
            .get(tokenHash(token!))
            ?.settle({ error: (error as Error).name, cause: (error as Error).message })
            .catch((failure: Error) => console.error(`[step functions] checkpoint of execution ${record.name} not written: ${failure.message}`));
        }
      }
    }
    return this.settleWith(await outcome);
  }

  private settleWith(outcome: NonNullable<PendingTask['outcome']>): Json {
    if ('output' in outcome) return outcome.output;
    throw new TaskError(outcome.error, outcome.cause);
  }

  /** Resolves once the answer is on disk. */
  async sendTaskSuccess(token: string, output: Json): Promise<void> {
    const waiter = this.waiters.get(tokenHash(token));
    if (!waiter) throw new ServiceError('TaskTimedOut', 'Task Timed Out or does not exist');
    await waiter.settle({ output });
  }

  /** Resolves once the answer is on disk. */
  async sendTaskFailure(token: string, error = 'TaskFailed', cause = ''): Promise<void> {
    const waiter = this.waiters.get(tokenHash(token));
    if (!waiter) throw new ServiceError('TaskTimedOut', 'Task Timed Out or does not exist');
    await waiter.settle({ error, cause });
  }

  /** One call of the Step Functions API (AWS JSON 1.0), already authorized by the endpoint in front. */
  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    const action = String(request.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
    const reply = (body: unknown): ServiceResponse => ({ status: 200, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(body) });
    try {
      const body = JSON.parse(request.body.toString('utf8') || '{}') as Record<string, string>;
      switch (action) {
        case 'StartExecution': {
          if (body.stateMachineArn !== this.stateMachineArn) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
          const record = this.startExecution(body.name ?? randomBytes(16).toString('hex'), JSON.parse(body.input ?? '{}') as Json);
          return reply({ executionArn: record.arn, startDate: Date.parse(record.startDate) / 1000 });
        }
        case 'SendTaskSuccess':
          await this.sendTaskSuccess(body.taskToken!, JSON.parse(body.output ?? '{}') as Json);
          return reply({});
        case 'SendTaskFailure':
          await this.sendTaskFailure(body.taskToken!, body.error, body.cause);
          return reply({});
        case 'ListExecutions': {
          // One page holds them all here; statusFilter as in AWS. Running ones are in memory, finished ones on disk.
          const executions = [...this.executions.values(), ...(body.statusFilter === 'RUNNING' ? [] : this.finishedExecutions().filter((e) => !this.executions.has(e.name)))].filter(
            (e) => !body.statusFilter || e.status === body.statusFilter,
          );
          return reply({
            executions: executions.map((e) => ({ executionArn: e.arn, stateMachineArn: this.stateMachineArn, name: e.name, status: e.status, startDate: Date.parse(e.startDate) / 1000 })),
          });
        }
        case 'DescribeExecution': {
          const name = String(body.executionArn ?? '').split(':').pop()!;
          const record = this.describe(name);
          if (!record || record.arn !== body.executionArn) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
          return reply({
            executionArn: record.arn,
            stateMachineArn: this.stateMachineArn,
            name: record.name,
            status: record.status,
            startDate: Date.parse(record.startDate) / 1000,
            ...(record.stopDate ? { stopDate: Date.parse(record.stopDate) / 1000 } : {}),
            input: JSON.stringify(record.input),
          });
        }
        default:
          throw new ServiceError('UnknownOperationException', `the local runtime does not implement ${action}`);
      }
    } catch (error) {
      const type = error instanceof ServiceError ? error.type : 'InvalidRequestException';
      return jsonError(400, type, (error as Error).message);
    }
  }
}
