import { parseArgs } from 'node:util';

type Io = { out: (line: string) => void; err: (line: string) => void };

/** One failed invocation as Lambda's on-failure destination writes it to the queue. */
export interface FailedInvocation {
  receipt: string;
  /** The event intake was invoked with (SES's: metadata and verdicts; the raw mail stays in the bucket). */
  event: unknown;
}

export interface FailureQueue {
  /** Up to ten waiting failures, hidden from other readers for a while; none when the queue is empty. */
  receive(): Promise<FailedInvocation[]>;
  remove(receipt: string): Promise<void>;
}

/**
 * Hands every failed SES → intake invocation to intake again, synchronously, and removes it from the queue once
 * intake took it. One that fails again stays (and reappears after its visibility timeout, for the next run):
 * nothing is dropped. Intake is idempotent per message, so a mail that had half gone through makes one request.
 */
export async function redriveIntake(queue: FailureQueue, invokeIntake: (event: unknown) => Promise<void>): Promise<{ redriven: number; failed: number }> {
  let redriven = 0;
  let failed = 0;
  for (let batch = await queue.receive(); batch.length; batch = await queue.receive()) {
    for (const failure of batch) {
      try {
        await invokeIntake(failure.event);
        await queue.remove(failure.receipt);
        redriven++;
      } catch {
        failed++;
      }
    }
  }
  return { redriven, failed };
}

async function awsClients(queueUrl: string, functionName: string) {
  const { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const sqs = new SQSClient({});
  const lambda = new LambdaClient({});
  const queue: FailureQueue = {
    async receive() {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, VisibilityTimeout: 300 }));
      return Messages.map((m) => ({ receipt: m.ReceiptHandle!, event: (JSON.parse(m.Body ?? '{}') as { requestPayload?: unknown }).requestPayload }));
    },
    async remove(receipt) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt }));
    },
  };
  const invoke = async (event: unknown) => {
    const result = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }));
    if (result.FunctionError) throw new Error(`intake failed again (${result.FunctionError})`);
  };
  return { queue, invoke };
}

/** `derbes mail redrive --queue <IntakeFailuresQueueUrl> --function <IntakeFunctionName>` (both are stack outputs). */
export async function mailCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { queue: { type: 'string' }, function: { type: 'string' } } });
  const queueUrl = values.queue ?? process.env.DERBES_INTAKE_FAILURES_QUEUE_URL;
  const functionName = values.function ?? process.env.DERBES_INTAKE_FUNCTION;
  if (positionals[0] !== 'redrive' || !queueUrl || !functionName) {
    io.err('usage: derbes mail redrive --queue <IntakeFailuresQueueUrl> --function <IntakeFunctionName>   (stack outputs; AWS credentials as for cdk)');
    return 2;
  }
  const { queue, invoke } = await awsClients(queueUrl, functionName);
  const { redriven, failed } = await redriveIntake(queue, invoke);
  io.out(`re-driven ${redriven}, failed again ${failed}${failed ? ' (they stay in the queue; see the intake function log by error code)' : ''}`);
  return failed ? 1 : 0;
}
