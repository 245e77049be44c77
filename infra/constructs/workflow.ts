import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { DerbesFunction } from './derbes-function.ts';

export interface WorkflowFunctions {
  acknowledge: DerbesFunction;
  requestVerification: DerbesFunction;
  collectFromSource: DerbesFunction;
  answer: DerbesFunction;
  closeUnverified: DerbesFunction;
}

/**
 * The execution document is `{ "Payload": WorkflowPayload }` (identifiers and timings, no personal data).
 * Keeping it under `Payload` makes `$.Payload.verificationTimeoutSeconds` resolve to the same value whether a
 * Step Functions engine reads TimeoutSecondsPath from the state input (AWS) or from the task's Parameters
 * (aws-local-stepfunctions), so one definition behaves the same in both homes.
 */
const PAYLOAD = '$.Payload';

/** The one way a step calls a function: the payload in, the result back into the payload, bounded time. */
function invokeStep(scope: Construct, id: string, fn: DerbesFunction, options: { inputPath?: string; resultPath?: string } = {}) {
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn.function,
    // With payloadResponseOnly the function receives the state's effective input and returns its result as is.
    inputPath: options.inputPath ?? PAYLOAD,
    payloadResponseOnly: true,
    resultPath: options.resultPath ?? sfn.JsonPath.DISCARD,
    // Without it a task may wait forever in AWS (and only 60 s in the local engine).
    taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
  });
}

export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, fns: WorkflowFunctions) {
    super(scope, id);

    const acknowledge = invokeStep(this, 'Acknowledge', fns.acknowledge, { resultPath: PAYLOAD });

    const awaitVerification = new tasks.LambdaInvoke(this, 'AwaitVerification', {
      lambdaFunction: fns.requestVerification.function,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        requestId: sfn.JsonPath.stringAt('$.Payload.requestId'),
        verificationTimeoutSeconds: sfn.JsonPath.numberAt('$.Payload.verificationTimeoutSeconds'),
        verificationExpiresAt: sfn.JsonPath.stringAt('$.Payload.verificationExpiresAt'),
        taskToken: sfn.JsonPath.taskToken,
      }),
      // Derived from the due date by Acknowledge: an unverified request is answered before it is due.
      taskTimeout: sfn.Timeout.at('$.Payload.verificationTimeoutSeconds'),
      resultPath: '$.Payload.verification',
    });

    const closeUnverified = invokeStep(this, 'CloseUnverified', fns.closeUnverified).next(new sfn.Succeed(this, 'ClosedUnverified'));
    awaitVerification.addCatch(closeUnverified, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });

    const collectOne = invokeStep(this, 'CollectFromSource', fns.collectFromSource, { inputPath: '$' });
    collectOne.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3 });
    // A source that keeps failing must not lose the others' results: record it and go on.
    collectOne.addCatch(
      new sfn.Pass(this, 'SourceFailed', {
        parameters: { 'sourceId.$': '$.sourceId', status: 'failed' },
      }),
      { errors: ['States.ALL'], resultPath: '$.error' },
    );
    const collect = new sfn.Map(this, 'CollectFromSources', {
      itemsPath: '$.Payload.sourceIds',
      itemSelector: { 'requestId.$': '$.Payload.requestId', 'sourceId.$': '$$.Map.Item.Value' },
      maxConcurrency: 4,
      resultPath: '$.Payload.collection',
    });
    collect.itemProcessor(collectOne);

    const answer = invokeStep(this, 'Answer', fns.answer).next(new sfn.Succeed(this, 'Answered'));

    const definition = acknowledge.next(awaitVerification).next(collect).next(answer);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN }),
        level: sfn.LogLevel.ALL,
        // Payloads hold identifiers and timings only, so the history may be logged in full.
        includeExecutionData: true,
      },
    });
    const stack = Stack.of(this);
    for (const fn of Object.values(fns)) {
      const functionLogicalId = stack.getLogicalId(fn.function.node.defaultChild as CfnElement);
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${functionLogicalId}.Arn>:*]`,
        reason: 'LambdaInvoke grants the function and its versions (ARN:*), so a published version can be invoked; it is still this one function.',
      });
    }
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing and CloudWatch Logs delivery actions (logs:CreateLogDelivery and related) support no resource-level permissions.',
    });
  }
}
