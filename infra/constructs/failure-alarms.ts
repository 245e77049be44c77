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
 * costs nothing, where three alarms cost $0.30 a month); and dead-letter queues (each alarmed) for the asynchronous
 * invocations nothing else watches — SES → intake (re-driven from its own queue), and one for the scheduled
 * functions (deadline watch, retention purge), whose failed runs the next run repeats.
 */
export class FailureAlarms extends Construct {
  readonly topic: sns.Topic;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: { operatorEmail: string; key: kms.Key },
  ) {
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
  }

  /** A queue that keeps failed invocations 14 days (their events hold mail metadata: encrypted with the key), alarmed. */
  deadLetterQueue(id: string, what: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of failed invocations; its messages are re-driven by the operator, not consumed.',
    });
    this.alarm(`${id}NotEmpty`, `${what}: failed invocations are waiting in ${id}; re-drive them once the cause is fixed`, queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }));
    return queue;
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
