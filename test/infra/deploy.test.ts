import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../functions/config/settings.ts';
import { activation, type ActiveRuleSet } from '../../functions/handlers/custom-resources/receipt-rule-set.ts';
import { createApp } from '../../infra/app.ts';
import { REPO_ROOT } from '../../infra/constructs/derbes-function.ts';
import { deploymentRegion, SES_RECEIVING } from '../../infra/regions.ts';
import { appTemplate } from '../support/app-template.ts';

let template: Template;
const scratch = (name: string) => join(REPO_ROOT, '.scratch', name);

/** The demo profile with changes, as a file next to its demo data. */
function profileWith(changes: Record<string, unknown>): string {
  const demo = JSON.parse(readFileSync(join(REPO_ROOT, 'profiles/demo.json'), 'utf8')) as Record<string, unknown>;
  const file = join(mkdtempSync(join(tmpdir(), 'derbes-deploy-')), 'profile.json');
  writeFileSync(file, JSON.stringify({ ...demo, ...changes }));
  return file;
}

beforeAll(async () => {
  template = Template.fromJSON((await appTemplate('cdk.out.deploy-test')).template);
});

const sesOnlyForThisRule = Match.objectLike({
  StringEquals: Match.objectLike({
    'aws:SourceAccount': Match.anyValue(),
    'aws:SourceArn': Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp(':receipt-rule-set/Derbes-inbound:receipt-rule/support-mailbox')])]) }),
  }),
});

describe('what SES may do', () => {
  it('writes raw mail, uses the key and invokes intake only for this account and this receipt rule', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'ses.amazonaws.com' }, Action: 's3:PutObject', Condition: sesOnlyForThisRule })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'ses.amazonaws.com' }, Condition: sesOnlyForThisRule })]) },
    });
    for (const [, policy] of Object.entries(template.findResources('AWS::KMS::Key'))) {
      for (const statement of policy.Properties.KeyPolicy.Statement as Array<{ Principal?: { Service?: string }; Condition?: unknown }>) {
        if (statement.Principal?.Service === 'ses.amazonaws.com') expect(statement.Condition).toBeDefined();
      }
    }
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'ses.amazonaws.com' } }));
    expect(permissions).toHaveLength(1);
    expect(permissions[0]!.Properties.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
    expect(JSON.stringify(permissions[0]!.Properties.SourceArn)).toContain(':receipt-rule-set/Derbes-inbound:receipt-rule/support-mailbox');
  });

  it('activates the rule set through a custom resource that is told whether it may replace another', () => {
    template.hasResourceProperties('Custom::ActiveReceiptRuleSet', { RuleSetName: 'Derbes-inbound', ReplaceActive: 'false' });
    template.hasResourceProperties('AWS::SES::ReceiptRuleSet', { RuleSetName: 'Derbes-inbound' });
  });
});

describe('activating the receipt rule set', () => {
  const event = (type: 'Create' | 'Update' | 'Delete', props: { replace?: boolean; physicalId?: string } = {}) =>
    ({
      RequestType: type,
      ResourceProperties: { ServiceToken: 'x', RuleSetName: 'Derbes-inbound', ReplaceActive: String(props.replace ?? false) },
      ...(props.physicalId ? { PhysicalResourceId: props.physicalId } : {}),
    }) as unknown as CloudFormationCustomResourceEvent;
  const account = (active?: string): ActiveRuleSet & { current?: string } => {
    const state = {
      current: active,
      active: async () => state.current,
      activate: async (name: string | undefined) => void (state.current = name),
    };
    return state;
  };

  it('refuses to replace an active set unless the profile says so, and says how to go on', async () => {
    const ses = account('company-routing');
    await expect(activation(event('Create'), ses)).rejects.toThrow(/"company-routing".*replaceActiveReceiptRuleSet/s);
    expect(ses.current).toBe('company-routing');
  });

  it('with permission, replaces it and gives it back when the stack is deleted', async () => {
    const ses = account('company-routing');
    const { physicalResourceId } = await activation(event('Create', { replace: true }), ses);
    expect(ses.current).toBe('Derbes-inbound');
    await activation(event('Delete', { physicalId: physicalResourceId }), ses);
    expect(ses.current).toBe('company-routing');
  });

  it('in an account with no active set, activates its own and deactivates it on delete', async () => {
    const ses = account(undefined);
    const { physicalResourceId } = await activation(event('Create'), ses);
    expect(ses.current).toBe('Derbes-inbound');
    // An update keeps what it remembered.
    expect((await activation(event('Update', { physicalId: physicalResourceId }), ses)).physicalResourceId).toBe(physicalResourceId);
    await activation(event('Delete', { physicalId: physicalResourceId }), ses);
    expect(ses.current).toBeUndefined();
  });

  it('leaves alone a set someone activated after it', async () => {
    const ses = account(undefined);
    const { physicalResourceId } = await activation(event('Create'), ses);
    ses.current = 'activated-later';
    await activation(event('Delete', { physicalId: physicalResourceId }), ses);
    expect(ses.current).toBe('activated-later');
  });
});

describe('failures reach the operator', () => {
  it('mails every failed, timed-out and aborted execution and alarms on the dead-letter queue, to the contact address', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'dpo@derbes.local' });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const [stateMachine] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    const ended = Object.values(template.findResources('AWS::Events::Rule')).map((r) => r.Properties).filter((r) => r.EventPattern?.source?.[0] === 'aws.states');
    expect(ended).toHaveLength(1);
    expect(ended[0].EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: stateMachine }] },
    });
    expect(ended[0].Targets).toEqual([expect.objectContaining({ Arn: { Ref: topics[0] }, InputTransformer: expect.objectContaining({ InputPathsMap: expect.objectContaining({ 'detail-name': '$.detail.name' }) }) })]);
    // The topic lets EventBridge publish, and the key lets it encrypt for the topic.
    template.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' })]) } });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    // One queue for every failed asynchronous invocation, and its alarm, which says what a message there means.
    expect(queues).toHaveLength(1);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesSent', Statistic: 'Sum', Threshold: 1, AlarmActions: [{ Ref: topics[0] }] });
    expect(JSON.stringify(alarms[0].Dimensions)).toContain(queues[0]);
    expect(alarms[0].AlarmDescription).toMatch(/^derbes: .*derbes mail redrive --queue <FailedInvocationsQueueUrl>.*deadline watch or the retention purge: its next run repeats it/);
    expect(alarms[0].AlarmDescription.length).toBeLessThanOrEqual(1024);
  });

  it('sends failed SES → intake invocations, failed watch runs and failed retention purges to the one queue, which the outputs name', () => {
    const [queue] = Object.keys(template.findResources('AWS::SQS::Queue'));
    const queueArn = { 'Fn::GetAtt': [queue, 'Arn'] };
    const functionOf = (ref: unknown) => JSON.stringify(ref);
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map((c) => c.Properties);
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    const named = (prefix: string) => functions.filter(([id]) => id.startsWith(prefix)).map(([id]) => id);
    const [intake, watch, purge] = ['EmailIntake', 'DeadlineWatch', 'RetentionPurge'].map((prefix) => {
      const ids = named(prefix);
      expect(ids, prefix).toHaveLength(1);
      return ids[0]!;
    });
    expect(configs).toHaveLength(3);
    expect(configs.map((config) => functionOf(config.FunctionName)).sort()).toEqual([intake, watch, purge].map((id) => functionOf({ Ref: id })).sort());
    for (const config of configs) {
      expect(config.DestinationConfig).toEqual({ OnFailure: { Destination: queueArn } });
      expect(config.MaximumRetryAttempts).toBe(2);
    }
    const schedules = Object.values(template.findResources('AWS::Events::Rule')).map((r) => r.Properties).filter((r) => r.ScheduleExpression);
    expect(schedules.map((schedule) => functionOf(schedule.Targets[0].Arn)).sort()).toEqual([watch, purge].map((id) => functionOf({ 'Fn::GetAtt': [id, 'Arn'] })).sort());
    for (const schedule of schedules) expect(schedule.Targets).toEqual([expect.objectContaining({ DeadLetterConfig: { Arn: queueArn }, RetryPolicy: expect.objectContaining({ MaximumRetryAttempts: 2 }) })]);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.FailedInvocationsQueueUrl?.Value).toEqual({ Ref: queue });
    expect(outputs.IntakeFailuresQueueUrl).toBeUndefined();
  });

  it('lets EventBridge write to the queue only for the two schedules, and nothing else write to it but the three functions', () => {
    const [queue] = Object.keys(template.findResources('AWS::SQS::Queue'));
    const queuePolicies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).map((p) => p.Properties);
    expect(queuePolicies).toHaveLength(1);
    expect(queuePolicies[0].Queues).toEqual([{ Ref: queue }]);
    const rules = Object.entries(template.findResources('AWS::Events::Rule')).filter(([, r]) => r.Properties.ScheduleExpression).map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    const allows = (queuePolicies[0].PolicyDocument.Statement as Array<{ Effect: string; Principal?: unknown; Action: unknown; Condition?: { ArnEquals?: Record<string, unknown> } }>).filter((s) => s.Effect === 'Allow');
    expect(allows.map((s) => s.Principal)).toEqual(rules.map(() => ({ Service: 'events.amazonaws.com' })));
    expect(allows.map((s) => s.Action)).toEqual(rules.map(() => 'sqs:SendMessage'));
    expect(allows.map((s) => s.Condition?.ArnEquals?.['aws:SourceArn']).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      rules.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    // Which roles may send to it at all: exactly the three functions whose failures it keeps (their whole grants are in stack.test.ts).
    const senders = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes(`"${queue}"`))
      .flatMap((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).map((role) => role.Ref.replace(/Role[0-9A-F]{8}$/, '')));
    expect(senders.sort()).toEqual(['DeadlineWatch', 'EmailIntake', 'RetentionPurge'].sort());
  });

  it('keeps the person-key secret like the consent table it keys', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret', { Properties: { Description: Match.stringLikeRegexp('person keys') } });
    expect(Object.values(secrets).map((s) => s.DeletionPolicy)).toEqual(['Retain']);
  });
});

describe('where it is deployed', () => {
  it('refuses a region where SES cannot receive mail, naming those that can, with the source', () => {
    expect(() => deploymentRegion('eu-north-1', undefined)).toThrow(/SES cannot receive mail in eu-north-1; choose one of: .*eu-central-1 \(Europe \(Frankfurt\)\).*docs\.aws\.amazon\.com/);
    expect(deploymentRegion(undefined, 'eu-west-1')).toBe('eu-west-1');
    expect(deploymentRegion('us-east-1', 'eu-west-1')).toBe('us-east-1');
    expect(deploymentRegion(undefined, undefined)).toBeUndefined();
    expect(SES_RECEIVING.source).toContain('https://docs.aws.amazon.com/general/latest/gr/ses.html');
  });

  it('`cdk synth` asks for a region when none is chosen', () => {
    expect(() => createApp({ skipBundling: true, requireRegion: true, outdir: scratch('cdk.out.no-region') })).toThrow(/choose where to deploy/);
  });

  it('puts links on the company domain with its certificate, and tells where to point it', () => {
    const profile = profileWith({ deployment: { region: 'eu-central-1', customDomain: { name: 'privacy.example.kz' } } });
    const { app, stack } = createApp({ profilePath: profile, skipBundling: true, outdir: scratch('cdk.out.domain') });
    app.synth();
    const withDomain = Template.fromStack(stack);
    withDomain.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: 'privacy.example.kz', ValidationMethod: 'DNS' });
    withDomain.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'privacy.example.kz' });
    withDomain.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { Stage: '$default' });
    const urls = Object.values(withDomain.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment?.Variables?.[Settings.publicUrl]).filter(Boolean);
    // Every function that puts a link in mail or on a page: RequestVerification, Answer and the public HTTP function.
    expect(urls.length).toBeGreaterThanOrEqual(3);
    expect(new Set(urls)).toEqual(new Set(['https://privacy.example.kz']));
    expect(stack.region).toBe('eu-central-1');
  });
});
