import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { NotPermittedError, PlanOutdatedError, TRANSIENT_ERROR_CODES } from '../../functions/domain/errors.ts';
import { LEFT_UNTICKED } from '../../functions/domain/workflow-steps.ts';
import type { DerbesFunction } from './derbes-function.ts';

export interface WorkflowFunctions {
  requestVerification: DerbesFunction;
  closeUnverified: DerbesFunction;
  planFulfilment: DerbesFunction;
  requestDecision: DerbesFunction;
  escalateDecision: DerbesFunction;
  applyDecision: DerbesFunction;
  applyToSource: DerbesFunction;
  answer: DerbesFunction;
  needsAttention: DerbesFunction;
}

/**
 * The execution document is `{ "Payload": WorkflowPayload }` (identifiers and timings, no personal data).
 * Keeping it under `Payload` makes `$.Payload.<timeout>` resolve to the same value whether a
 * Step Functions engine reads TimeoutSecondsPath from the state input (AWS) or from the task's Parameters
 * (aws-local-stepfunctions), so one definition behaves the same in both homes.
 */
const PAYLOAD = '$.Payload';

/** Lambda's own transient failures: the service, not the function, failed, and the call can simply be made again. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
/** The function itself ran out of time or memory (Step Functions reports Lambda.Unknown; newer runtimes Sandbox.Timedout). */
export const FUNCTION_CRASH_ERRORS = ['Lambda.Unknown', 'Sandbox.Timedout'];

/**
 * How every task retries before a failure is handed to a person. Each step is safe to run again: it checks the
 * request's status before acting, and a mail is sent once per request and kind.
 *  - Lambda's transient errors: quickly, as AWS recommends (2 s, doubling, 6 times).
 *  - derbes' named transient errors (an SMTP relay's 4xx, SES or DynamoDB throttling, timeouts, a dependency's 5xx):
 *    from 5 s, doubling up to 5 minutes, 8 times — about a quarter of an hour, long enough for greylisting and a
 *    throttled account, short enough that the operator hears of a lasting fault the same hour.
 *  - a crash or time-out of the function itself: once more.
 * Full jitter spreads the retries of many executions that failed together.
 */
const RETRIES: sfn.RetryProps[] = [
  { errors: LAMBDA_TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6, maxDelay: Duration.minutes(1), jitterStrategy: sfn.JitterType.FULL },
  { errors: [...TRANSIENT_ERROR_CODES], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 8, maxDelay: Duration.minutes(5), jitterStrategy: sfn.JitterType.FULL },
  { errors: FUNCTION_CRASH_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 1 },
];

/** How long a request that needs attention waits for the operator to resume it before the execution gives up. */
export const ATTENTION_WAIT = Duration.days(90);

type Protectable = sfn.TaskStateBase | sfn.Map;

/**
 * Gives a state the shared retries and a Catch for everything else. `failTo` is where an error that survived the
 * retries goes; specific catches (`States.Timeout` of a callback wait) come first, as Step Functions requires
 * States.ALL to be the last catcher.
 */
function protect<T extends Protectable>(
  state: T,
  failTo: sfn.IChainable,
  options: { retry?: boolean; retryAll?: sfn.RetryProps; catches?: Array<[string[], sfn.IChainable]>; failurePath?: string } = {},
): T {
  if (options.retry !== false) for (const retry of RETRIES) state.addRetry(retry);
  if (options.retryAll) state.addRetry({ ...options.retryAll, errors: [sfn.Errors.ALL] });
  for (const [errors, handler] of options.catches ?? []) state.addCatch(handler, { errors, resultPath: sfn.JsonPath.DISCARD });
  state.addCatch(failTo, { errors: [sfn.Errors.ALL], resultPath: options.failurePath ?? '$.Payload.failure' });
  return state;
}

/**
 * The one way a step calls a function: the payload in, the result back into the payload, bounded time. `payload`
 * adds fixed fields the definition sets (trusted, unlike what a callback's release says) to the request's id.
 */
function invokeStep(scope: Construct, id: string, fn: DerbesFunction, options: { inputPath?: string; resultPath?: string; payload?: Record<string, unknown> } = {}) {
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn.function,
    // With payloadResponseOnly the function receives the state's effective input and returns its result as is.
    inputPath: options.inputPath ?? PAYLOAD,
    ...(options.payload && { payload: sfn.TaskInput.fromObject({ requestId: sfn.JsonPath.stringAt('$.requestId'), ...options.payload }) }),
    payloadResponseOnly: true,
    resultPath: options.resultPath ?? sfn.JsonPath.DISCARD,
    // Without it a task may wait forever in AWS (and only 60 s in the local engine).
    taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    // The shared RETRIES below include these and TooManyRequestsException, which the default leaves out.
    retryOnServiceExceptions: false,
  });
}

/**
 * A task that hands its function a token and waits for SendTaskSuccess, bounded by a timeout computed from the due
 * date (by a previous step, or as the execution started). The timeout value is also passed in the payload, at the
 * same `$.Payload.<name>` path, so both Step Functions engines resolve it alike.
 */
function callbackStep(
  scope: Construct,
  id: string,
  fn: DerbesFunction,
  fields: { timeout: string | Duration; result: string; extra?: Record<string, string> },
) {
  const { timeout, result, extra = {} } = fields;
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn.function,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      requestId: sfn.JsonPath.stringAt('$.Payload.requestId'),
      ...(typeof timeout === 'string' ? { [timeout]: sfn.JsonPath.numberAt(`$.Payload.${timeout}`) } : {}),
      taskToken: sfn.JsonPath.taskToken,
      ...extra,
    }),
    taskTimeout: typeof timeout === 'string' ? sfn.Timeout.at(`$.Payload.${timeout}`) : sfn.Timeout.duration(timeout),
    resultPath: result,
    retryOnServiceExceptions: false,
  });
}

/**
 * Where every failure that survived its retries goes: the NeedsAttention step records it in the audit trail (an
 * error code, nothing personal), alerts the operator and marks the request, then waits for the operator to resume
 * it; ResumeAt runs the failed step again. The deadline watch meanwhile makes sure the person hears from us before
 * the due date. If even this path fails, or nobody resumes in ATTENTION_WAIT, the execution fails (an alarm).
 */
class AttentionPath {
  private readonly wait: tasks.LambdaInvoke;
  private readonly resumeAt: sfn.Choice;

  constructor(
    private readonly scope: Construct,
    fn: DerbesFunction,
  ) {
    const unattended = new sfn.Fail(scope, 'Unattended', {
      error: 'Derbes.Unattended',
      cause: 'A failure could not be handed to the operator, or no operator resumed the request in time.',
    });
    this.resumeAt = new sfn.Choice(scope, 'ResumeAt');
    this.resumeAt.otherwise(unattended);
    this.wait = callbackStep(scope, 'NeedsAttention', fn, {
      timeout: ATTENTION_WAIT,
      result: sfn.JsonPath.DISCARD,
      extra: { step: sfn.JsonPath.stringAt('$.Payload.failedStep'), error: sfn.JsonPath.stringAt('$.Payload.failure.Error') },
    });
    protect(this.wait, unattended);
    this.wait.next(this.resumeAt);
  }

  /** The state that a failure of `state` goes to: it names the step, then joins NeedsAttention. */
  handlerFor(state: Protectable): sfn.IChainable {
    const id = state.node.id;
    this.resumeAt.when(sfn.Condition.stringEquals('$.Payload.failedStep', id), state);
    return new sfn.Pass(this.scope, `${id}Failed`, { result: sfn.Result.fromString(id), resultPath: '$.Payload.failedStep' }).next(this.wait);
  }

  protect<T extends Protectable>(state: T, options: Parameters<typeof protect>[2] = {}): T {
    return protect(state, this.handlerFor(state), options);
  }
}

export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, fns: WorkflowFunctions) {
    super(scope, id);

    const attention = new AttentionPath(this, fns.needsAttention);

    // Its result says whether the request was confirmed as the wait ended (then it is fulfilled, not closed).
    const closeUnverified = attention.protect(invokeStep(this, 'CloseUnverified', fns.closeUnverified, { resultPath: '$.Payload.closing' }));
    // Every execution starts here (a transition less than a step before it): the request's step moves it to wait and
    // mails the receipt; the timeout and the link's expiry come in the execution's input, computed as it started.
    // Its release (see releaseVerificationWait) says whether the request began as it was confirmed.
    const awaitVerification = attention.protect(
      callbackStep(this, 'AwaitVerification', fns.requestVerification, {
        timeout: 'verificationTimeoutSeconds',
        result: '$.Payload.verification',
        extra: { verificationExpiresAt: sfn.JsonPath.stringAt('$.Payload.verificationExpiresAt') },
      }),
      // A request left unticked on its used link ends its wait at once, closed as a wait that timed out (LEFT_UNTICKED).
      { catches: [[[sfn.Errors.TIMEOUT, LEFT_UNTICKED], closeUnverified]] },
    );

    const plan = attention.protect(invokeStep(this, 'PlanFulfilment', fns.planFulfilment, { resultPath: PAYLOAD }));

    // Sources: each in its own Map iteration, retried alone; one that keeps failing is recorded, the others go on,
    // and the answer names it while the operator is alerted (see answerRequest).
    const applyOne = protect(
      invokeStep(this, 'ApplyToSource', fns.applyToSource, { inputPath: '$' }),
      new sfn.Pass(this, 'SourceFailed', { parameters: { 'sourceId.$': '$.sourceId', status: 'failed' } }),
      // A company's own system may fail in ways derbes cannot name; each source gets a few more tries.
      { retryAll: { errors: [], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3 }, failurePath: '$.error' },
    );
    const applyToSources = new sfn.Map(this, 'ApplyToSources', {
      itemsPath: '$.Payload.sourceIds',
      itemSelector: { 'requestId.$': '$.Payload.requestId', 'sourceId.$': '$$.Map.Item.Value' },
      maxConcurrency: 4,
      resultPath: '$.Payload.sources',
    });
    applyToSources.itemProcessor(applyOne);
    // Retrying the whole Map would run every source again; its iterations retry themselves.
    attention.protect(applyToSources, { retry: false });
    // The consent ledger has changed by now (in RecordConsent or PlanFulfilment, or in ApplyDecision after an
    // approval). The Answer step tells the processors first (each notice once, by the trail), then the person: one
    // transition, not two. Where it finds the request not fit to answer (a release forged with a leaked token) or
    // needing a source its fulfilment did not run on (the profile changed since the start), the request is planned
    // again: PlanFulfilment refuses an unconfirmed one (to the operator) and fulfils or awaits a decision for the rest.
    const replan: Array<[string[], sfn.IChainable]> = [[[new NotPermittedError('').code, new PlanOutdatedError('').code], plan]];
    const fulfil = applyToSources.next(attention.protect(invokeStep(this, 'Answer', fns.answer), { catches: replan }));

    // Operator decision: waits no longer than the due date allows, then answers the person and escalates.
    const escalate = attention.protect(invokeStep(this, 'EscalateDecision', fns.escalateDecision, { resultPath: PAYLOAD }));
    const awaitDecision = attention.protect(callbackStep(this, 'AwaitDecision', fns.requestDecision, { timeout: 'decisionTimeoutSeconds', result: '$.Payload.decision' }), {
      catches: [[[sfn.Errors.TIMEOUT], escalate]],
    });
    escalate.next(
      new sfn.Choice(this, 'KeepWaiting')
        .when(sfn.Condition.booleanEquals('$.Payload.giveUp', true), new sfn.Succeed(this, 'LeftWithOperator'))
        .otherwise(awaitDecision),
    );
    // The request's status follows the decision here, in the workflow, once the wait has really ended: approved, it is
    // fulfilled; refused, or closed as not a request (mail nobody could classify that an operator found to be none),
    // the execution ends. The close's field is tested for presence first: a missing one fails a Choice.
    const notARequest = sfn.Condition.and(sfn.Condition.isPresent('$.Payload.decision.notARequest'), sfn.Condition.booleanEquals('$.Payload.decision.notARequest', true));
    awaitDecision
      .next(attention.protect(invokeStep(this, 'ApplyDecision', fns.applyDecision, { resultPath: '$.Payload.decision' })))
      .next(
        new sfn.Choice(this, 'Approved')
          .when(sfn.Condition.booleanEquals('$.Payload.decision.approved', true), fulfil)
          .when(notARequest, new sfn.Succeed(this, 'NotARequest'))
          .otherwise(new sfn.Succeed(this, 'Refused')),
      );

    closeUnverified.next(
      new sfn.Choice(this, 'ConfirmedAsWaitEnded')
        .when(sfn.Condition.booleanEquals('$.Payload.closing.confirmed', true), plan)
        .otherwise(new sfn.Succeed(this, 'ClosedUnverified')),
    );
    plan.next(new sfn.Choice(this, 'NeedsDecision').when(sfn.Condition.booleanEquals('$.Payload.needsDecision', true), awaitDecision).otherwise(fulfil));
    // Every request passes the wait, with no choice before it (a transition each): one whose identity is confirmed
    // already (attested by the operator who entered it) is released by the verification step itself, at once.
    // After it, a request that began as it was confirmed (nobody decides on it) goes to the sources its execution
    // started with — recording its consent changes first where the input says it has any — without a planning step;
    // any other is planned. The release only routes: a forged one reaches steps that check the request themselves.
    // Each field is tested for presence first: a missing one fails a Choice, and an execution started by the
    // previous release's intake (during a deploy) has no sources in its input.
    const present = (...paths: string[]) => paths.map((path) => sfn.Condition.isPresent(path));
    const begun = sfn.Condition.and(
      ...present('$.Payload.verification.begun', '$.Payload.sourceIds', '$.Payload.recordsConsent'),
      sfn.Condition.booleanEquals('$.Payload.verification.begun', true),
    );
    // RecordConsent runs the planning function's other entry: the ledger only (see recordConsentOnBeginning).
    const recordConsent = attention.protect(invokeStep(this, 'RecordConsent', fns.planFulfilment, { payload: { begun: true } }), {
      catches: [[[new NotPermittedError('').code], plan]],
    });
    recordConsent.next(applyToSources);
    const definition = awaitVerification.next(
      new sfn.Choice(this, 'BegunOnConfirmation')
        .when(sfn.Condition.and(begun, sfn.Condition.booleanEquals('$.Payload.recordsConsent', true)), recordConsent)
        .when(begun, applyToSources)
        .otherwise(plan),
    );

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN }),
        level: sfn.LogLevel.ALL,
        // Every event, without its data: a callback task's parameters hold its task token, which answers the wait to
        // whoever reads it, and the log group is kept a year. Which step failed and with what code is in the audit trail.
        includeExecutionData: false,
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
