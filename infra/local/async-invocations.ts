import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FailureQueue } from '../cli/commands/mail.ts';
import { functionArn, type AsyncInvokeConfig } from './template.ts';

/** An event Lambda has accepted for an asynchronous invocation and not finished with. */
interface AcceptedEvent {
  id: string;
  functionId: string;
  acceptedAt: string;
  event: unknown;
}

/** Writes a file whole or not at all: a stop mid-write leaves no half-written event behind. */
function writeWhole(file: string, text: string): void {
  writeFileSync(`${file}.partial`, text);
  renameSync(`${file}.partial`, file);
}

/**
 * Lambda's asynchronous invocation (InvocationType Event, as SES invokes mail intake), as the local runtime runs it.
 * The event is kept on disk before the caller is answered — Lambda's own event queue, which a crash does not empty —
 * then invoked; a failed invocation is retried as the function's EventInvokeConfig says, and once the retries are
 * spent (or the event is older than its maximum age) Lambda's failure record goes to the on-failure queue: here a
 * folder under DATA_DIR/sqs, one JSON file per message, which `failureQueue` reads as `derbes mail redrive` reads SQS.
 * Events kept but not finished when the runtime stopped are invoked again at the next start (`resume`).
 */
export class AsyncInvocations {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly events: string;
  private stopped = false;

  constructor(
    private readonly dataDir: string,
    private readonly invoke: (functionId: string, event: unknown) => Promise<unknown>,
    private readonly configOf: (functionId: string) => AsyncInvokeConfig,
    /** Before retry n (1, 2): Lambda waits a minute, then two; locally a second, then two, so a test sees the end. */
    private readonly retryDelayMs: (retry: number) => number = (retry) => 1000 * retry,
  ) {
    this.events = join(dataDir, 'lambda', 'async-events');
  }

  /** Keeps the event, then invokes it in the background: resolves once it is kept, as Lambda's 202 means. */
  async accept(functionId: string, event: unknown): Promise<void> {
    const accepted: AcceptedEvent = { id: randomUUID(), functionId, acceptedAt: new Date().toISOString(), event };
    mkdirSync(this.events, { recursive: true });
    writeWhole(join(this.events, `${accepted.id}.json`), JSON.stringify(accepted));
    this.run(accepted);
  }

  /** Invokes again every event accepted but not finished when the runtime last stopped; returns how many. */
  resume(): number {
    if (!existsSync(this.events)) return 0;
    const files = readdirSync(this.events).filter((name) => name.endsWith('.json'));
    for (const name of files) this.run(JSON.parse(readFileSync(join(this.events, name), 'utf8')) as AcceptedEvent);
    return files.length;
  }

  private run(accepted: AcceptedEvent): void {
    const run = this.attempts(accepted);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async attempts(accepted: AcceptedEvent): Promise<void> {
    const config = this.configOf(accepted.functionId);
    const expires = Date.parse(accepted.acceptedAt) + config.maxEventAgeSeconds * 1000;
    let failure: { condition: 'RetriesExhausted' | 'EventAgeExceeded'; error?: Error } = { condition: 'EventAgeExceeded' };
    let invocations = 0;
    for (let attempt = 1; attempt <= config.retryAttempts + 1 && Date.now() < expires; attempt++) {
      // A stopping runtime leaves the event kept, for the next start: its sandboxes are going, which is no failure of it.
      if (this.stopped) return;
      try {
        invocations++;
        await this.invoke(accepted.functionId, accepted.event);
        rmSync(join(this.events, `${accepted.id}.json`), { force: true });
        return;
      } catch (error) {
        if (this.stopped) return;
        failure = { condition: 'RetriesExhausted', error: error as Error };
        // The error's name and message only: the functions' errors carry codes and references, never addresses.
        console.error(`[lambda] asynchronous invocation of ${accepted.functionId} failed (attempt ${attempt} of ${config.retryAttempts + 1}): ${(error as Error).name}: ${(error as Error).message}`);
        if (attempt <= config.retryAttempts) await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs(attempt)));
      }
    }
    if (config.onFailureQueue) {
      const queue = join(this.dataDir, 'sqs', config.onFailureQueue);
      mkdirSync(queue, { recursive: true });
      writeWhole(join(queue, `${accepted.id}.json`), JSON.stringify(failureRecord(accepted, failure.condition, invocations, failure.error)));
      console.error(`[lambda] the event of ${accepted.functionId} went to its on-failure queue ${config.onFailureQueue} (${failure.condition}); the next start re-drives that queue`);
    } else {
      console.error(`[lambda] the event of ${accepted.functionId} was dropped (${failure.condition}): the function has no on-failure destination`);
    }
    rmSync(join(this.events, `${accepted.id}.json`), { force: true });
  }

  /**
   * A folder queue as `derbes mail redrive` reads SQS: each receive brings up to ten messages this reader has not
   * received yet (as a visibility timeout hides them), `remove` deletes one.
   */
  failureQueue(queueName: string): FailureQueue {
    const folder = join(this.dataDir, 'sqs', queueName);
    const received = new Set<string>();
    return {
      async receive() {
        if (!existsSync(folder)) return [];
        const fresh = readdirSync(folder)
          .filter((name) => name.endsWith('.json') && !received.has(name))
          .sort()
          .slice(0, 10);
        for (const name of fresh) received.add(name);
        return fresh.map((name) => ({ id: name.replace(/\.json$/, ''), receipt: join(folder, name), body: readFileSync(join(folder, name), 'utf8'), attributes: {} }));
      },
      async remove(receipt) {
        rmSync(receipt, { force: true });
      },
    };
  }

  /** Starts nothing more: what is kept and not finished waits for the next start. */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves once every accepted event has been invoked (retries included) or given up. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }
}

/** The record Lambda sends to an on-failure destination (its "invocation record"). */
function failureRecord(accepted: AcceptedEvent, condition: string, invocations: number, error: Error | undefined) {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: accepted.id, functionArn: `${functionArn(accepted.functionId)}:$LATEST`, condition, approximateInvokeCount: invocations },
    requestPayload: accepted.event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: error ? { errorType: error.name, errorMessage: error.message } : null,
  };
}
