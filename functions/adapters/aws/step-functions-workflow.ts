import { ExecutionAlreadyExists, SFNClient, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Workflow } from '../../use-cases/ports.ts';

/** Talks to Step Functions in AWS, and to the local runtime's Step Functions endpoint (AWS_ENDPOINT_URL_SFN) locally. */
export class StepFunctionsWorkflow implements Workflow {
  private readonly sfn = new SFNClient({});
  constructor(private readonly stateMachineArn: string) {}

  async start(requestId: string): Promise<void> {
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          // Named after the request: a re-delivered message cannot start a second execution.
          name: requestId,
          input: JSON.stringify({ Payload: { requestId } }),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }

  async completeTask(taskToken: string, output: Record<string, unknown>): Promise<void> {
    await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }
}
