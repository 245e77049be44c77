import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../functions/config/settings.ts';
import { HTTP_ROUTE_KEYS } from '../../functions/handlers/http/routes.ts';
import { createApp } from '../../infra/app.ts';
import { ENTRY_METADATA, REPO_ROOT } from '../../infra/constructs/derbes-function.ts';

let template: Template;
let auditTableLogicalId: string;

beforeAll(() => {
  // Synthesis runs cdk-nag; an unacknowledged finding throws here and fails every test below.
  const { app, stack } = createApp({ skipBundling: true, outdir: join(REPO_ROOT, '.scratch', 'cdk.out.test') });
  app.synth();
  template = Template.fromStack(stack);
  auditTableLogicalId = stack.getLogicalId(stack.storage.audit.node.defaultChild as never);
});

const derbesFunctions = () => Object.entries(template.findResources('AWS::Lambda::Function', { Metadata: { [ENTRY_METADATA]: Match.anyValue() } }));

describe('stateful resources', () => {
  it('every table is on-demand, point-in-time recoverable and encrypted with the customer-managed key', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(tables.length).toBeGreaterThanOrEqual(4);
    for (const table of tables) {
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: expect.anything() });
    }
    const protectedTables = tables.filter((t) => !String(t.Properties.TableName ?? '').startsWith('derbes-demo'));
    for (const table of protectedTables) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
    }
  });

  it('finds what is due soon through an index, and expires verification codes by TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([Match.objectLike({ IndexName: 'byDueDate', KeySchema: [{ AttributeName: 'openDue', KeyType: 'HASH' }, { AttributeName: 'dueAtUtc', KeyType: 'RANGE' }] })]),
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'expiresAtEpoch', Enabled: true } });
  });

  it('keeps raw mail encrypted with the key, versioned, TLS-only and on a lifecycle', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 1095 })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('intake', () => {
  it('SES stores each message, then invokes the intake function asynchronously, and the rule set is activated', () => {
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      Rule: Match.objectLike({
        Recipients: ['privacy@derbes.local'],
        ScanEnabled: true,
        Actions: [Match.objectLike({ S3Action: Match.objectLike({ ObjectKeyPrefix: 'inbound/' }) }), Match.objectLike({ LambdaAction: Match.objectLike({ InvocationType: 'Event' }) })],
      }),
    });
    template.resourceCountIs('Custom::ActiveReceiptRuleSet', 1);
  });

  it('the HTTP API declares exactly the routes the handler serves, with access logs', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual([...HTTP_ROUTE_KEYS].sort());
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }) });
  });
});

describe('functions and workflow', () => {
  it('every function runs Node 24 on ARM with tracing, from a handler module that exists', () => {
    const functions = derbesFunctions();
    expect(functions.length).toBeGreaterThanOrEqual(7);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      expect(existsSync(join(REPO_ROOT, fn.Metadata[ENTRY_METADATA]))).toBe(true);
    }
  });

  it('functions read only settings the code knows, so names cannot drift', () => {
    const known = new Set<string>([...Object.values(Settings), 'NODE_OPTIONS']);
    for (const [id, fn] of derbesFunctions()) {
      for (const name of Object.keys(fn.Properties.Environment?.Variables ?? {})) expect(known.has(name), `${id} sets ${name}`).toBe(true);
    }
  });

  it('no function may update or delete audit entries', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
        if (!JSON.stringify(statement.Resource).includes(auditTableLogicalId)) continue;
        const actions = [statement.Action].flat();
        expect(actions.sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
      }
    }
  });

  it('the state machine logs everything, is traced, and bounds the verification wait by a path', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
      TracingConfiguration: { Enabled: true },
    });
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(machine!.Properties.DefinitionString);
    expect(definition).toContain('\\"TimeoutSecondsPath\\":\\"$.Payload.verificationTimeoutSeconds\\"');
    expect(definition).toContain('waitForTaskToken');
  });
});
