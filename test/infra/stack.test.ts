import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../functions/config/settings.ts';
import { HTTP_ROUTE_KEYS, OPERATOR_ROUTE_KEYS, PUBLIC_ROUTE_KEYS } from '../../functions/handlers/http/routes.ts';
import { createApp } from '../../infra/app.ts';
import type { DerbesStack } from '../../infra/derbes-stack.ts';
import { ENTRY_METADATA, REPO_ROOT } from '../../infra/constructs/derbes-function.ts';

let template: Template;
let auditTableLogicalId: string;
let stackRef: DerbesStack;

beforeAll(() => {
  // Synthesis runs cdk-nag; an unacknowledged finding throws here and fails every test below.
  const { app, stack } = createApp({ skipBundling: true, outdir: join(REPO_ROOT, '.scratch', 'cdk.out.test') });
  app.synth();
  template = Template.fromStack(stack);
  stackRef = stack;
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

  it('the HTTP API declares exactly the routes the handlers serve, public ones to one function, operator ones to another', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual([...HTTP_ROUTE_KEYS].sort());
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }) });
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const functionOf = (routeKey: string) => {
      const route = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).find((r) => r.Properties.RouteKey === routeKey)!;
      const integrationId = JSON.stringify(route.Properties.Target).match(/"Ref":"(\w+)"/)![1]!;
      return JSON.stringify(integrations[integrationId]!.Properties.IntegrationUri).match(/"Fn::GetAtt":\["(\w+)"/)![1];
    };
    expect(new Set(PUBLIC_ROUTE_KEYS.map(functionOf))).toEqual(new Set([functionByEntry('functions/handlers/http-api.ts')]));
    expect(new Set(OPERATOR_ROUTE_KEYS.map(functionOf))).toEqual(new Set([functionByEntry('functions/handlers/operator-api.ts')]));
  });

  it('the gateway throttles the request route on its own, apart from the operator routes', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stage!.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    expect(stage!.Properties.RouteSettings).toEqual({ 'POST /api/requests': { throttlingRateLimit: 5, throttlingBurstLimit: 10 } });
  });
});

/** The logical id of the derbes function built from this handler module. */
function functionByEntry(entry: string): string {
  const found = derbesFunctions().find(([, fn]) => fn.Metadata[ENTRY_METADATA] === entry);
  if (!found) throw new Error(`no function for ${entry}`);
  return found[0];
}

/** Everything a function's role may do, as "action on resource" lines, resources named by the template's references. */
function capabilities(entry: string): string[] {
  const fn = template.findResources('AWS::Lambda::Function')[functionByEntry(entry)]!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const lines: string[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (!JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
      for (const action of [statement.Action].flat()) lines.push(`${action} ${JSON.stringify(statement.Resource)}`);
    }
  }
  return lines;
}
const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) => stackRef.getLogicalId(construct.node.defaultChild as never);

describe('what each role can do', () => {
  it('the public function creates requests, confirms verifications and serves downloads — and nothing of the operator\'s', () => {
    const can = capabilities('functions/handlers/http-api.ts');
    const storage = stackRef.storage;
    const on = (resource: string) => can.filter((line) => line.includes(resource)).map((line) => line.split(' ')[0]).sort();
    expect(on(logicalIdOf(storage.requests))).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    expect(can.some((line) => line.startsWith('dynamodb:DeleteItem'))).toBe(false);
    expect(can.some((line) => line.startsWith('ses:'))).toBe(false);
    expect(on(logicalIdOf(storage.rawMail))).toEqual([]);
    expect(can.filter((line) => line.startsWith('secretsmanager:')).some((line) => line.includes('OperatorKey'))).toBe(false);
    expect(can.filter((line) => line.startsWith('states:')).map((line) => line.split(' ')[0]).sort()).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
    expect(on(logicalIdOf(storage.packages))).toEqual(['s3:GetObject']);
    // A consent changes only once the address is verified, in the workflow: the public function cannot write one.
    expect(on(logicalIdOf(storage.consent))).toEqual([]);
    expect(on(logicalIdOf(storage.verifications))).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(on(logicalIdOf(storage.limits))).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  it('the operator function decides, extends, records consents and reads attachments, and starts nothing', () => {
    const can = capabilities('functions/handlers/operator-api.ts');
    const storage = stackRef.storage;
    const on = (resource: string) => can.filter((line) => line.includes(resource)).map((line) => line.split(' ')[0]).sort();
    expect(on(logicalIdOf(storage.requests))).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(can.filter((line) => line.startsWith('secretsmanager:')).some((line) => line.includes('OperatorKey'))).toBe(true);
    expect(on(logicalIdOf(storage.rawMail))).toEqual(['s3:GetObject']);
    expect(can.filter((line) => line.startsWith('states:')).map((line) => line.split(' ')[0])).toEqual(['states:SendTaskSuccess']);
    expect(can.some((line) => line.startsWith('ses:SendRawEmail'))).toBe(true);
    expect(on(logicalIdOf(storage.verifications))).toEqual([]);
    expect(on(logicalIdOf(storage.packages))).toEqual([]);
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

  it('each function that mails has the mail setting, SES and the sent-mail ledger; the operator API (extension and breach notices) and intake (third-party alerts) among them', () => {
    const actionsOf = (roleId: string) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
        .flatMap((policy) => (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((statement) => [statement.Action].flat()));
    const mailing = derbesFunctions().filter(([, fn]) => fn.Properties.Environment?.Variables?.[Settings.mailTransport] === 'ses');
    expect(mailing.map(([, fn]) => fn.Metadata[ENTRY_METADATA])).toEqual(expect.arrayContaining(['functions/handlers/operator-api.ts', 'functions/handlers/email-intake.ts']));
    for (const [id, fn] of mailing) {
      const actions = actionsOf(fn.Properties.Role['Fn::GetAtt'][0]);
      expect(actions, id).toEqual(expect.arrayContaining(['ses:SendRawEmail', 'dynamodb:GetItem', 'dynamodb:PutItem']));
    }
  });

  it('no function may update or delete audit entries', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
        if (!JSON.stringify(statement.Resource).includes(auditTableLogicalId)) continue;
        const actions = [statement.Action].flat();
        // Reading a chain's head (GetItem), appending (PutItem), reading trails and heads (Query): nothing else.
        expect(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']).toEqual(expect.arrayContaining(actions));
      }
    }
  });

  it('the state machine logs every event but no execution data (task tokens, payloads), is traced, and bounds the verification wait by a path', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
      TracingConfiguration: { Enabled: true },
    });
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(machine!.Properties.DefinitionString);
    expect(definition).toContain('\\"TimeoutSecondsPath\\":\\"$.Payload.verificationTimeoutSeconds\\"');
    expect(definition).toContain('waitForTaskToken');
  });
});
