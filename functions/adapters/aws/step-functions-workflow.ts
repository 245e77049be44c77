import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { WaitEndedError } from '../../domain/errors.ts';
import type { ExecutionStart, ExecutionStatus, Workflow } from '../../use-cases/ports.ts';
import { awsClient } from '../dependency-errors.ts';

/**
 * Step Functions' answers to a token whose wait is over (timed out, or answered before); the local runtime's endpoint
 * answers with the same names.
 */
function waitIsOver(error: unknown): boolean {
  return error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || ['TaskTimedOut', 'TaskDoesNotExist'].includes((error as Error).name);
}

/** Answers a waiting task (`send`); an answer to a wait that is over is WaitEndedError. */
async function answering(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (waitIsOver(error)) throw new WaitEndedError('the workflow no longer waits on this task', { cause: error });
    throw error;
  }
}

/** Talks to Step Functions in AWS, and to the local runtime's Step Functions endpoint (AWS_ENDPOINT_URL_SFN) locally. */
export class StepFunctionsWorkflow implements Workflow {
  constructor(
    /** Read when needed: answering a task needs the token alone. */
    private readonly stateMachineArn: () => string,
    private readonly sfn: SFNClient = awsClient(new SFNClient({}), 'Step Functions'),
  ) {}

  async start(input: ExecutionStart): Promise<void> {
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn(),
          // Named after the request: a re-delivered message cannot start a second execution.
          name: input.requestId,
          input: JSON.stringify({ Payload: input }),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }

  async completeTask(taskToken: string, output: Record<string, unknown>): Promise<void> {
    await answering(() => this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
  }

  async failTask(taskToken: string, error: string, cause: string): Promise<void> {
    await answering(() => this.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause })));
  }

  async running(): Promise<Set<string>> {
    const names = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn(), statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
      for (const execution of page.executions ?? []) if (execution.name) names.add(execution.name);
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  async status(requestId: string): Promise<ExecutionStatus> {
    // arn:…:stateMachine:<name> → arn:…:execution:<name>:<execution name>
    const executionArn = `${this.stateMachineArn().replace(':stateMachine:', ':execution:')}:${requestId}`;
    try {
      const execution = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return (execution.status ?? 'MISSING') as ExecutionStatus;
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return 'MISSING';
      throw error;
    }
  }
}
