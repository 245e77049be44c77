import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { FunctionHost } from './function-host.ts';
import { logicalIdOfFunctionArn } from './template.ts';

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

interface ExecutionRecord {
  name: string;
  arn: string;
  input: Json;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: string;
  stopDate?: string;
  error?: string;
  /** The last top-level state entered and its input: where a restart resumes. */
  checkpoint?: { state: string; input: Json };
  /** A callback task waiting for SendTaskSuccess/Failure. */
  pendingTask?: { token: string; state: string; deadline: number };
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

function readPath(document: Json, path: string): Json | undefined {
  let value: Json | undefined = document;
  for (const key of path.replace(/^\$\.?/, '').split('.').filter(Boolean)) {
    value = value && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
  }
  return value;
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

function replacePlaceholder(value: Json, token: string): Json {
  if (value === TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => replacePlaceholder(v, token));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replacePlaceholder(v, token)]));
  return value;
}

/**
 * Runs the synthesized state machine with aws-local-stepfunctions and speaks the few Step Functions API calls
 * the functions make (StartExecution, SendTaskSuccess, SendTaskFailure, DescribeExecution) over the AWS JSON
 * protocol, so the functions use the real SDK client against it. Executions are checkpointed to a file: after
 * a restart each running execution resumes at the state it was in, and a waiting callback keeps its token.
 */
export class StepFunctionsHost {
  private readonly executions = new Map<string, ExecutionRecord>();
  /** Waiting callback tasks by token; `release` drops the wait's timer on stop, leaving the task to resume later. */
  private readonly waiters = new Map<string, { resolve: (output: Json) => void; reject: (error: Error) => void; release: () => void }>();
  private readonly running = new Map<string, () => void>();
  private readonly settled = new Set<Promise<unknown>>();
  private server?: Server;
  private stopping = false;

  constructor(
    private readonly definition: Definition,
    readonly stateMachineArn: string,
    private readonly functions: FunctionHost,
    private readonly stateFile: string,
  ) {
    if (existsSync(stateFile)) {
      for (const record of JSON.parse(readFileSync(stateFile, 'utf8')) as ExecutionRecord[]) this.executions.set(record.name, record);
    }
    this.assertSupported(definition.States);
    // Validates the synthesized definition once; resumed runs start mid-way, which a validator calls unreachable states.
    new StateMachine(definition as never, { validationOptions: { checkPaths: false, checkArn: false } });
  }

  private assertSupported(states: Record<string, StateDefinition>): void {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && !CALLBACK_RESOURCE.test(state.Resource ?? '') && !/:function:/.test(state.Resource ?? '')) {
        throw new Error(`state ${name}: the local runtime runs Lambda tasks only, not ${state.Resource}`);
      }
      const nested = state.ItemProcessor?.States ?? state.Iterator?.States;
      if (nested) this.assertSupported(nested);
    }
  }

  private persist(): void {
    mkdirSync(dirname(this.stateFile), { recursive: true });
    const temporary = `${this.stateFile}.tmp`;
    writeFileSync(temporary, JSON.stringify([...this.executions.values()], null, 1));
    renameSync(temporary, this.stateFile); // atomic: a crash never leaves half a file
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Continues every execution that was running when the runtime last stopped. */
  resume(): number {
    const toResume = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    for (const record of toResume) this.run(record);
    return toResume.length;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const abort of this.running.values()) abort();
    // Waiting tasks keep their token and deadline on disk; only their timers go, so the process can end.
    for (const waiter of this.waiters.values()) waiter.release();
    await Promise.allSettled([...this.settled]);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  describe(name: string): ExecutionRecord | undefined {
    return this.executions.get(name);
  }

  startExecution(name: string, input: Json): ExecutionRecord {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ServiceError('InvalidName', `invalid execution name ${name}`);
    if (this.executions.has(name)) throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${name}'`);
    const record: ExecutionRecord = {
      name,
      arn: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      input,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
    };
    this.executions.set(name, record);
    this.persist();
    this.run(record);
    return record;
  }

  private run(record: ExecutionRecord): void {
    const startAt = record.checkpoint?.state ?? this.definition.StartAt;
    const input = record.checkpoint?.input ?? record.input;
    const machine = new StateMachine({ ...engineDefinition(this.definition), StartAt: startAt } as never, { validationOptions: { noValidate: true } });
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(record, this.definition.States) },
      context: {
        Execution: { Id: record.arn, Name: record.name, Input: record.input, StartTime: record.startDate },
        StateMachine: { Id: this.stateMachineArn },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
      noThrowOnAbort: true,
    } as never);
    this.running.set(record.name, execution.abort);

    const checkpoints = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered' && event.index === undefined) {
          record.checkpoint = { state: event.state.name, input: event.state.input as Json };
          this.persist();
        }
      }
    })();
    const done = execution.result.then(
      (output) => {
        if (this.stopping) return; // aborted by stop(): stays RUNNING and resumes next time
        record.status = 'SUCCEEDED';
        record.stopDate = new Date().toISOString();
        void output;
      },
      (error: Error) => {
        if (this.stopping) return;
        record.status = 'FAILED';
        record.stopDate = new Date().toISOString();
        record.error = `${error.name}: ${error.message}`;
        console.error(`[step functions] execution ${record.name} failed: ${record.error}`);
      },
    );
    const settled = Promise.allSettled([done, checkpoints]).then(() => {
      this.running.delete(record.name);
      if (!this.stopping) {
        delete record.pendingTask;
        this.persist();
      }
    });
    this.settled.add(settled);
    void settled.then(() => this.settled.delete(settled));
  }

  private taskHandlers(record: ExecutionRecord, states: Record<string, StateDefinition>): Record<string, (input: Json) => Promise<Json>> {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && CALLBACK_RESOURCE.test(state.Resource!)) {
        handlers[name] = (input) => this.callbackTask(record, name, state, input);
      } else if (state.Type === 'Task') {
        const logicalId = logicalIdOfFunctionArn(state.Resource!);
        handlers[name] = (input) => this.invoke(logicalId, input);
      }
      const nested = state.ItemProcessor?.States ?? state.Iterator?.States;
      if (nested) Object.assign(handlers, this.taskHandlers(record, nested));
    }
    return handlers;
  }

  /** A Lambda error reaches Retry/Catch under its error name, as Lambda reports errorType. */
  private async invoke(logicalId: string, input: Json): Promise<Json> {
    try {
      return (await this.functions.invoke(logicalId, input)) as Json;
    } catch (error) {
      throw new TaskError((error as Error).name || 'Error', (error as Error).message);
    }
  }

  private async callbackTask(record: ExecutionRecord, stateName: string, state: StateDefinition, input: Json): Promise<Json> {
    const resumed = record.pendingTask?.state === stateName ? record.pendingTask : undefined;
    let pending = resumed;
    if (!pending) {
      const timeout = state.TimeoutSeconds ?? (state.TimeoutSecondsPath ? Number(readPath(input, state.TimeoutSecondsPath)) : undefined);
      pending = { token: randomBytes(48).toString('base64url'), state: stateName, deadline: timeout ? Date.now() + timeout * 1000 : Number.MAX_SAFE_INTEGER };
      record.pendingTask = pending;
      this.persist();
    }
    const { token, deadline } = pending;
    // As in Step Functions, the token is live from the moment the task starts: the function hands it on (a code
    // in a mail, a pending decision) and the answer may come before the function itself has returned.
    const outcome = new Promise<Json>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(token);
        if (record.pendingTask?.token === token) delete record.pendingTask;
        this.persist();
      };
      const arm = () => {
        const left = deadline - Date.now();
        if (left <= 0) {
          finish();
          reject(new TaskError('States.Timeout', 'callback task timed out'));
        } else timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      };
      this.waiters.set(token, {
        resolve: (output) => (finish(), resolve(output)),
        reject: (error) => (finish(), reject(error)),
        // On stop: no timer, and the engine's own race settles (clearing its timer), but the token stays on disk.
        release: () => {
          clearTimeout(timer);
          reject(new TaskError('Derbes.RuntimeStopped', 'the local runtime stopped; the task resumes at the next start'));
        },
      });
      arm();
    });
    // Settled while the function still runs (a time-out, say): handled when returned below, not before.
    outcome.catch(() => undefined);
    if (!resumed) {
      const parameters = input as { FunctionName: string; Payload: Json };
      try {
        await this.invoke(logicalIdOfFunctionArn(parameters.FunctionName), replacePlaceholder(parameters.Payload, token));
      } catch (error) {
        // The function failed: the task fails with its error, unless it was already answered.
        this.waiters.get(token)?.reject(error as Error);
      }
    }
    return outcome;
  }

  sendTaskSuccess(token: string, output: Json): void {
    const waiter = this.waiters.get(token);
    if (!waiter) throw new ServiceError('TaskTimedOut', 'Task Timed Out or does not exist');
    waiter.resolve(output);
  }

  sendTaskFailure(token: string, error = 'TaskFailed', cause = ''): void {
    const waiter = this.waiters.get(token);
    if (!waiter) throw new ServiceError('TaskTimedOut', 'Task Timed Out or does not exist');
    waiter.reject(new TaskError(error, cause));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const action = String(req.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(body));
    };
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
      switch (action) {
        case 'StartExecution': {
          if (body.stateMachineArn !== this.stateMachineArn) throw new ServiceError('StateMachineDoesNotExist', `no state machine ${body.stateMachineArn}`);
          const record = this.startExecution(body.name ?? randomBytes(16).toString('hex'), JSON.parse(body.input ?? '{}') as Json);
          return reply(200, { executionArn: record.arn, startDate: Date.parse(record.startDate) / 1000 });
        }
        case 'SendTaskSuccess':
          this.sendTaskSuccess(body.taskToken!, JSON.parse(body.output ?? '{}') as Json);
          return reply(200, {});
        case 'SendTaskFailure':
          this.sendTaskFailure(body.taskToken!, body.error, body.cause);
          return reply(200, {});
        case 'ListExecutions': {
          // One page holds them all here; statusFilter as in AWS.
          const executions = [...this.executions.values()].filter((e) => !body.statusFilter || e.status === body.statusFilter);
          return reply(200, {
            executions: executions.map((e) => ({ executionArn: e.arn, stateMachineArn: this.stateMachineArn, name: e.name, status: e.status, startDate: Date.parse(e.startDate) / 1000 })),
          });
        }
        case 'DescribeExecution': {
          const record = [...this.executions.values()].find((e) => e.arn === body.executionArn);
          if (!record) throw new ServiceError('ExecutionDoesNotExist', `no execution ${body.executionArn}`);
          return reply(200, {
            executionArn: record.arn,
            stateMachineArn: this.stateMachineArn,
            name: record.name,
            status: record.status,
            startDate: Date.parse(record.startDate) / 1000,
            input: JSON.stringify(record.input),
          });
        }
        default:
          throw new ServiceError('UnknownOperationException', `the local runtime does not implement ${action}`);
      }
    } catch (error) {
      const type = error instanceof ServiceError ? error.type : 'InvalidRequestException';
      reply(400, { __type: type, message: (error as Error).message });
    }
  }
}
