import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * Where failures outside the workflow's own NeedsAttention path surface: a topic mailed to the operator's contact
 * address; a mail for every execution that failed, timed out or was stopped (Step Functions' own status event, which
 * costs nothing, where three alarms cost $0.30 a month); and one alarmed dead-letter queue for the asynchronous
 * invocations nothing else watches — SES → mail intake, the deadline watch and the retention purge (an alarm is
 * $0.10 a month; one queue tells them apart by its messages, see `derbes mail redrive`).
 */
export class FailureAlarms extends Construct {
  readonly topic: sns.Topic;
  /**
   * Failed asynchronous invocations, kept 14 days (their events hold mail metadata: encrypted with the key). Its
   * construct id is the one mail intake's own queue had, so an upgraded stack keeps that queue and the failures
   * waiting in it: a new id would replace the queue and delete them.
   */
  readonly failedInvocations: sqs.Queue;

  constructor(scope: Construct, id: string, props: { operatorEmail: string; key: kms.Key }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'derbes alarms', masterKey: props.key, enforceSSL: true });
    // The operator confirms this subscription once, from the mail AWS sends after the deploy.
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.operatorEmail));
    // CloudWatch publishes to the encrypted topic; EventBridge writes to the encrypted dead-letter queue.
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      props.key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'], // in a key policy, * means this key
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    }
    this.failedInvocations = new sqs.Queue(this, 'IntakeFailures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failedInvocations).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of failed invocations; `derbes mail redrive` reads it, nothing consumes it.',
    });
    this.alarm(
      'FailedInvocationsWaiting',
      'an asynchronous invocation failed after its retries and waits in the failed-invocations queue (the FailedInvocationsQueueUrl output; kept 14 days; this alarm mails for each 5 minutes in which failures arrived, whatever waits there already). ' +
        'Mail to the support address that intake could not take in (its raw message stays in the bucket): fix the cause (the EmailIntake log, by error code), then ' +
        '`derbes mail redrive --queue <FailedInvocationsQueueUrl> --function <IntakeFunctionName>` hands it to intake again. ' +
        'A failed run of the deadline watch or the retention purge: its next run repeats it (15 minutes, an hour); the redrive deletes and counts it. ' +
        'If such runs keep failing, read that function\'s log. What the redrive does not recognise stays in the queue, named by its message id.',
      // Messages arriving, not messages waiting: an alarm mails only when it enters ALARM, and a failure left in the
      // queue (a scheduled run nobody re-drove) would otherwise keep it there and silence every later one — mail
      // intake's too. Lambda and EventBridge write with SendMessage, which this metric counts.
      this.failedInvocations.metricNumberOfMessagesSent({ period: Duration.minutes(5), statistic: 'Sum' }),
    );
  }

  /**
   * Executions that failed (outside NeedsAttention, or it gave up), timed out or were stopped: each one mailed, naming
   * the execution (the request's reference) and how it ended — nothing of the request's content.
   */
  watchStateMachine(stateMachine: sfn.StateMachine): void {
    new events.Rule(this, 'ExecutionsEnded', {
      description: 'derbes: a request workflow failed, timed out or was stopped',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [stateMachine.stateMachineArn] },
      },
      targets: [
        new eventTargets.SnsTopic(this.topic, {
          message: events.RuleTargetInput.fromText(
            `derbes: the workflow of request ${events.EventField.fromPath('$.detail.name')} ended ${events.EventField.fromPath('$.detail.status')} at ` +
              `${events.EventField.fromPath('$.time')}: the request has no path to an answer until you redrive it (${events.EventField.fromPath('$.detail.executionArn')}).`,
          ),
        }),
      ],
    });
  }

  private alarm(id: string, description: string, metric: cloudwatch.IMetric): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `derbes: ${description}`,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
  }
}
