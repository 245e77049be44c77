import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { DerbesFunction } from './derbes-function.ts';

export interface WorkflowFunctions {
  acknowledge: DerbesFunction;
  requestVerification: DerbesFunction;
  closeUnverified: DerbesFunction;
  planFulfilment: DerbesFunction;
  requestDecision: DerbesFunction;
  escalateDecision: DerbesFunction;
  applyDecision: DerbesFunction;
  updateConsent: DerbesFunction;
  applyToSource: DerbesFunction;
  notifyProcessors: DerbesFunction;
  answer: DerbesFunction;
}

/**
 * The execution document is `{ "Payload": WorkflowPayload }` (identifiers and timings, no personal data).
 * Keeping it under `Payload` makes `$.Payload.<timeout>` resolve to the same value whether a
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

/**
 * A task that hands its function a token and waits for SendTaskSuccess, bounded by a timeout the previous step
 * computed from the due date. The timeout value is also passed in the payload, at the same `$.Payload.<name>`
 * path, so both Step Functions engines resolve it alike.
 */
function callbackStep(scope: Construct, id: string, fn: DerbesFunction, fields: { timeout: string; result: string; extra?: Record<string, string> }) {
  const { timeout: timeoutField, result, extra = {} } = fields;
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn.function,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      requestId: sfn.JsonPath.stringAt('$.Payload.requestId'),
      [timeoutField]: sfn.JsonPath.numberAt(`$.Payload.${timeoutField}`),
      taskToken: sfn.JsonPath.taskToken,
      ...extra,
    }),
    taskTimeout: sfn.Timeout.at(`$.Payload.${timeoutField}`),
    resultPath: `$.Payload.${result}`,
  });
}

export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, fns: WorkflowFunctions) {
    super(scope, id);

    const acknowledge = invokeStep(this, 'Acknowledge', fns.acknowledge, { resultPath: PAYLOAD });

    const awaitVerification = callbackStep(this, 'AwaitVerification', fns.requestVerification, {
      timeout: 'verificationTimeoutSeconds',
      result: 'verification',
      extra: { verificationExpiresAt: sfn.JsonPath.stringAt('$.Payload.verificationExpiresAt') },
    });
    const closeUnverified = invokeStep(this, 'CloseUnverified', fns.closeUnverified).next(new sfn.Succeed(this, 'ClosedUnverified'));
    awaitVerification.addCatch(closeUnverified, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });

    const plan = invokeStep(this, 'PlanFulfilment', fns.planFulfilment, { resultPath: PAYLOAD });

    // Sources: each in its own Map iteration, retried alone; one that keeps failing is recorded, the others go on.
    const applyOne = invokeStep(this, 'ApplyToSource', fns.applyToSource, { inputPath: '$' });
    applyOne.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3 });
    applyOne.addCatch(new sfn.Pass(this, 'SourceFailed', { parameters: { 'sourceId.$': '$.sourceId', status: 'failed' } }), {
      errors: ['States.ALL'],
      resultPath: '$.error',
    });
    const applyToSources = new sfn.Map(this, 'ApplyToSources', {
      itemsPath: '$.Payload.sourceIds',
      itemSelector: { 'requestId.$': '$.Payload.requestId', 'sourceId.$': '$$.Map.Item.Value' },
      maxConcurrency: 4,
      resultPath: '$.Payload.sources',
    });
    applyToSources.itemProcessor(applyOne);
    const fulfil = invokeStep(this, 'UpdateConsent', fns.updateConsent)
      .next(applyToSources)
      .next(invokeStep(this, 'NotifyProcessors', fns.notifyProcessors))
      .next(invokeStep(this, 'Answer', fns.answer))
      .next(new sfn.Succeed(this, 'Answered'));

    // Operator decision: waits no longer than the due date allows, then answers the person and escalates.
    const awaitDecision = callbackStep(this, 'AwaitDecision', fns.requestDecision, { timeout: 'decisionTimeoutSeconds', result: 'decision' });
    const escalate = invokeStep(this, 'EscalateDecision', fns.escalateDecision, { resultPath: PAYLOAD });
    awaitDecision.addCatch(escalate, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    escalate.next(
      new sfn.Choice(this, 'KeepWaiting')
        .when(sfn.Condition.booleanEquals('$.Payload.giveUp', true), new sfn.Succeed(this, 'LeftWithOperator'))
        .otherwise(awaitDecision),
    );
    // The request's status follows the decision here, in the workflow, once the wait has really ended.
    awaitDecision
      .next(invokeStep(this, 'ApplyDecision', fns.applyDecision, { resultPath: '$.Payload.decision' }))
      .next(new sfn.Choice(this, 'Approved').when(sfn.Condition.booleanEquals('$.Payload.decision.approved', true), fulfil).otherwise(new sfn.Succeed(this, 'Refused')));

    const definition = acknowledge
      .next(awaitVerification)
      .next(plan)
      .next(new sfn.Choice(this, 'NeedsDecision').when(sfn.Condition.booleanEquals('$.Payload.needsDecision', true), awaitDecision).otherwise(fulfil));

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
