import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../functions/config/settings.ts';
import { CONSOLE_API_ROUTE_KEYS, HTTP_ROUTE_KEYS, OPERATOR_ROUTE_KEYS, PUBLIC_ROUTE_KEYS } from '../../functions/handlers/http/routes.ts';
import { createApp } from '../../infra/app.ts';
import type { DerbesStack } from '../../infra/derbes-stack.ts';
import { DerbesFunction, ENTRY_METADATA, REPO_ROOT } from '../../infra/constructs/derbes-function.ts';
import { appTemplate } from '../support/app-template.ts';

let template: Template;
let auditTableLogicalId: string;
let stackRef: DerbesStack;

beforeAll(async () => {
  // The synthesized template (cdk-nag included: an unacknowledged finding throws here and fails every test below),
  // and the same app's constructs, unsynthesized, to name their logical ids.
  template = Template.fromJSON((await appTemplate('cdk.out.test')).template);
  const { stack } = createApp({ skipBundling: true });
  stackRef = stack;
  auditTableLogicalId = stack.getLogicalId(stack.storage.audit.node.defaultChild as never);
});

const derbesFunctions = () => Object.entries(template.findResources('AWS::Lambda::Function', { Metadata: { [ENTRY_METADATA]: Match.anyValue() } }));

describe('stateful resources', () => {
  it("the audit digests' bucket locks each object in compliance mode for the profile's term, and only the watch writes there", () => {
    const digestsId = stackRef.getLogicalId(stackRef.storage.auditDigests.node.defaultChild as never);
    const bucket = template.findResources('AWS::S3::Bucket')[digestsId]!;
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 5 * 365 } } });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.DeletionPolicy).toBe('Retain');
    const writers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).some(
        (statement) => [statement.Action].flat().some((action) => action.startsWith('s3:Put') || action.startsWith('s3:Delete')) && JSON.stringify(statement.Resource).includes(digestsId),
      ),
    );
    expect(writers.map((policy) => JSON.stringify(policy.Properties.Roles))).toEqual([expect.stringContaining('DeadlineWatch')]);
  });

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
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({ IndexName: 'byDueDate', KeySchema: [{ AttributeName: 'openDue', KeyType: 'HASH' }, { AttributeName: 'dueAtUtc', KeyType: 'RANGE' }] }),
        // The report's index carries its facts only: nothing personal.
        Match.objectLike({ IndexName: 'byReceivedDate', Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['report'] } }),
        // A person's requests are found by key: a whole copy in the index would be billed at every write of the request.
        Match.objectLike({ IndexName: 'byPerson', Projection: { ProjectionType: 'KEYS_ONLY' } }),
        // Held mail, the latest first, while it waits for an operator: keys only, the list reads its page by key.
        Match.objectLike({ IndexName: 'byHeldAt', KeySchema: [{ AttributeName: 'heldList', KeyType: 'HASH' }, { AttributeName: 'heldAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }),
      ]),
      // Held mail leaves by itself HELD_MAIL_KEEP_DAYS after it arrived: the requests table's TTL, which only held mail carries.
      TimeToLiveSpecification: { AttributeName: 'expiresAtEpoch', Enabled: true },
    });
    // The audit chains' heads by the day they moved on, keys only: a head that moves again that day is no write of it.
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'byHeadMovedDay', KeySchema: [{ AttributeName: 'heads', KeyType: 'HASH' }, { AttributeName: 'movedAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }),
      ],
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
    expect(new Set(CONSOLE_API_ROUTE_KEYS.map(functionOf))).toEqual(new Set([functionByEntry('functions/handlers/operator-api.ts')]));
  });

  it('the gateway throttles the request route on its own, apart from the operator routes', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stage!.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    expect(stage!.Properties.RouteSettings).toEqual({ 'POST /api/requests': { throttlingRateLimit: 5, throttlingBurstLimit: 10 } });
  });
});

describe('operator identities', () => {
  it('a user pool without self sign-up, TOTP required for everyone, one group per role', () => {
    const pools = Object.values(template.findResources('AWS::Cognito::UserPool'));
    expect(pools).toHaveLength(1);
    const pool = pools[0]!;
    expect(pool.Properties.AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: true });
    expect(pool.Properties.MfaConfiguration).toBe('ON');
    expect(pool.Properties.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(pool.Properties.Policies.PasswordPolicy).toMatchObject({ MinimumLength: 12, RequireSymbols: true });
    expect(pool.DeletionPolicy).toBe('Retain');
    expect(Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName).sort()).toEqual(['admin', 'decider', 'viewer']);
    const clients = Object.values(template.findResources('AWS::Cognito::UserPoolClient'));
    expect(clients).toHaveLength(1);
    expect(clients[0]!.Properties).toMatchObject({
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      IdTokenValidity: 15,
      AccessTokenValidity: 15,
      PreventUserExistenceErrors: 'ENABLED',
      WriteAttributes: [],
    });
    // No OAuth flow: nothing could send a token to a callback address.
    expect(clients[0]!.Properties.AllowedOAuthFlowsUserPoolClient).not.toBe(true);
    expect(clients[0]!.Properties.AllowedOAuthFlows).toBeUndefined();
    expect(pool.Properties.UserAttributeUpdateSettings).toEqual({ AttributesRequireVerificationBeforeUpdate: ['email'] });
  });

  it('the JWT authorizer (issuer the pool, audience the console client) is on every /console/api/ route and on no other', () => {
    const authorizers = Object.entries(template.findResources('AWS::ApiGatewayV2::Authorizer'));
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0]!;
    const [poolId] = Object.keys(template.findResources('AWS::Cognito::UserPool'));
    const [clientId] = Object.keys(template.findResources('AWS::Cognito::UserPoolClient'));
    expect(authorizer.Properties.AuthorizerType).toBe('JWT');
    expect(JSON.stringify(authorizer.Properties.JwtConfiguration.Issuer)).toContain(`"Ref":"${poolId}"`);
    expect(authorizer.Properties.JwtConfiguration.Audience).toEqual([{ Ref: clientId }]);
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    const guarded = routes.filter((r) => r.Properties.AuthorizationType === 'JWT').map((r) => r.Properties.RouteKey as string);
    expect(guarded.sort()).toEqual([...CONSOLE_API_ROUTE_KEYS].sort());
    for (const route of routes.filter((r) => r.Properties.AuthorizationType === 'JWT')) expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
    for (const key of [...PUBLIC_ROUTE_KEYS, ...OPERATOR_ROUTE_KEYS]) expect(guarded).not.toContain(key);
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

/** A template value as a short name: a resource's logical id without its hash, an ARN from its service's resource part on. */
function shortName(value: unknown): string {
  const resolve = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, any>;
    if (o.Ref) return String(o.Ref).startsWith('AWS::') ? '' : String(o.Ref).replace(/[0-9A-F]{8}$/, '');
    if (o['Fn::GetAtt']) return String(o['Fn::GetAtt'][0]).replace(/[0-9A-F]{8}$/, '');
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(resolve).join(o['Fn::Join'][0]);
    throw new Error(`unexpected template value ${JSON.stringify(v)}`);
  };
  const name = resolve(value);
  return name.startsWith('arn:') ? name.split(':').slice(5).join(':') : name;
}

/** Every function's role as resource → the actions allowed on it, both sorted: the whole of what each role may do. */
function rolesInFull(): Record<string, Record<string, string>> {
  const roles: Record<string, Record<string, string>> = {};
  for (const [, fn] of derbesFunctions()) {
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const allowed: Record<string, Set<string>> = {};
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      if (!JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`)) continue;
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, string[]>> }>) {
        expect(statement.Effect).toBe('Allow');
        // An action granted under a condition shows it: "dynamodb:DeleteItem[ForAllValues:StringEquals dynamodb:LeadingKeys=OPEN_WORK]".
        const condition = Object.entries(statement.Condition ?? {}).flatMap(([test, keys]) => Object.entries(keys).map(([key, values]) => `${test} ${key}=${[values].flat().join('|')}`));
        for (const resource of [statement.Resource].flat()) {
          for (const action of [statement.Action].flat()) (allowed[shortName(resource)] ??= new Set()).add(condition.length ? `${action}[${condition.join(', ')}]` : action);
        }
      }
    }
    const entry = String(fn.Metadata[ENTRY_METADATA]).replace(/^functions\/handlers\//, '').replace(/\.ts$/, '');
    roles[entry] = Object.fromEntries(Object.keys(allowed).sort().map((resource) => [resource, [...allowed[resource]!].sort().join(' ')]));
  }
  return roles;
}

describe('what each role can do', () => {
  it('every role, in full: each function may do exactly this and nothing else', () => {
    // X-Ray's two actions support no resource (acknowledged for cdk-nag in DerbesFunction); everything else is named.
    // Every function appends to the audit trail, so every function that touches the tables encrypts with the key.
    // An index is queried only; secrets are read one by one; the company's source table is changed only by the
    // fulfilment step and the retention purge, and read by the operator API (who a breach affects).
    expect(rolesInFull()).toEqual({
      // Kept for executions started before every execution began at the verification step.
      'workflow/acknowledge': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        AcknowledgeLogs: 'logs:CreateLogStream logs:PutLogEvents',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'workflow/request-verification': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        PersonKey: 'secretsmanager:GetSecretValue',
        RequestVerificationLogs: 'logs:CreateLogStream logs:PutLogEvents',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageLimits: 'dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem',
        // Moves a new request to wait (the sent-mail ledger beside it needs the same two writes).
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageVerifications: 'dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem',
        // Ends its own wait for a request whose identity is confirmed already (attested at entry).
        WorkflowStateMachine: 'states:SendTaskSuccess',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'workflow/plan-fulfilment': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        PersonKey: 'secretsmanager:GetSecretValue',
        PlanFulfilmentLogs: 'logs:CreateLogStream logs:PutLogEvents',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageConsent: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'StorageConsent/index/byTermEnd': 'dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
      },
      'workflow/request-decision': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        PersonKey: 'secretsmanager:GetSecretValue',
        RequestDecisionLogs: 'logs:CreateLogStream logs:PutLogEvents',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'workflow/escalate-decision': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        EscalateDecisionLogs: 'logs:CreateLogStream logs:PutLogEvents',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'workflow/apply-decision': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        ApplyDecisionLogs: 'logs:CreateLogStream logs:PutLogEvents',
        PersonKey: 'secretsmanager:GetSecretValue',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageConsent: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'StorageConsent/index/byTermEnd': 'dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'workflow/apply-to-source': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        ApplyToSourceLogs: 'logs:CreateLogStream logs:PutLogEvents',
        'StorageAccessPackages/results/*': 's3:GetObject s3:PutObject',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'StorageRequests/index/byPerson': 'dynamodb:Query',
        'table/derbes-demo-customers': 'dynamodb:DeleteItem dynamodb:DescribeTable dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem',
      },
      // Kept for executions started before the Answer step told the processors itself.
      'workflow/notify-processors': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        NotifyProcessorsLogs: 'logs:CreateLogStream logs:PutLogEvents',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        // Closes a notice's follow-up: it may delete within the open work's partition only.
        StorageRequests: 'dynamodb:DeleteItem[ForAllValues:StringEquals dynamodb:LeadingKeys=OPEN_WORK] dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'workflow/answer': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        AnswerLogs: 'logs:CreateLogStream logs:PutLogEvents',
        PersonKey: 'secretsmanager:GetSecretValue',
        'StorageAccessPackages/packages/*': 's3:PutObject',
        'StorageAccessPackages/results/*': 's3:GetObject',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageConsent: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'StorageConsent/index/byTermEnd': 'dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        // Closes a notice's follow-up: it may delete within the open work's partition only.
        StorageRequests: 'dynamodb:DeleteItem[ForAllValues:StringEquals dynamodb:LeadingKeys=OPEN_WORK] dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageVerifications: 'dynamodb:PutItem',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'workflow/close-unverified': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        CloseUnverifiedLogs: 'logs:CreateLogStream logs:PutLogEvents',
        PersonKey: 'secretsmanager:GetSecretValue',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageLimits: 'dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'workflow/needs-attention': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        NeedsAttentionLogs: 'logs:CreateLogStream logs:PutLogEvents',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'http-api': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        HttpApiLogs: 'logs:CreateLogStream logs:PutLogEvents',
        PersonKey: 'secretsmanager:GetSecretValue',
        'StorageAccessPackages/packages/*': 's3:GetObject',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageLimits: 'dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem',
        // Files attached on the form, kept where mail attachments are: written, never read back here.
        'StorageRawMail/attachments/*': 's3:PutObject',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageVerifications: 'dynamodb:GetItem dynamodb:UpdateItem',
        // A used link releases the requests confirmed on it and ends the wait of those left unticked.
        WorkflowStateMachine: 'states:SendTaskFailure states:SendTaskSuccess states:StartExecution',
      },
      'operator-api': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        // The console's people: added, listed, given a role, removed (admin routes).
        IdentityOperators: 'cognito-idp:AdminAddUserToGroup cognito-idp:AdminCreateUser cognito-idp:AdminDeleteUser cognito-idp:AdminListGroupsForUser cognito-idp:ListUsers',
        OperatorApiLogs: 'logs:CreateLogStream logs:PutLogEvents',
        OperatorKey: 'secretsmanager:GetSecretValue',
        PersonKey: 'secretsmanager:GetSecretValue',
        // BatchGetItem: the chain heads the heads index lists, read by their keys 100 at a time.
        StorageAudit: 'dynamodb:BatchGetItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'StorageAudit/index/byHeadMovedDay': 'dynamodb:Query',
        'StorageAuditDigests/digests/*': 's3:GetObject',
        StorageConsent: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'StorageConsent/index/byTermEnd': 'dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageLimits: 'dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem',
        // Held mail made a request keeps its attachments with it, as intake keeps them. The download links the
        // console and the CLI follow are signed with this role, and a link may do what its signer may, no more: read
        // an attachment or a raw mail (S3 decrypting it with StorageKey), nothing else of the bucket, nothing written.
        'StorageRawMail/attachments/*': 's3:GetObject s3:PutObject',
        // The raw mail of a request, or of held mail, one click away in the console.
        'StorageRawMail/inbound/*': 's3:GetObject',
        // BatchGetItem: a page of held mail, read by the keys its index lists.
        StorageRequests: 'dynamodb:BatchGetItem dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem',
        'StorageRequests/index/byClosedDate': 'dynamodb:Query',
        'StorageRequests/index/byDueDate': 'dynamodb:Query',
        'StorageRequests/index/byHeldAt': 'dynamodb:Query',
        'StorageRequests/index/byPerson': 'dynamodb:Query',
        'StorageRequests/index/byReceivedDate': 'dynamodb:Query',
        WorkflowStateMachine: 'states:SendTaskSuccess states:StartExecution',
        'identity/derbes.local': 'ses:SendRawEmail',
        'table/derbes-demo-customers': 'dynamodb:DescribeTable dynamodb:Query',
      },
      'email-intake': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        AlarmsIntakeFailures: 'sqs:SendMessage',
        EmailIntakeLogs: 'logs:CreateLogStream logs:PutLogEvents',
        PersonKey: 'secretsmanager:GetSecretValue',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        // The mail buckets (limits.mailRequests…) and the hour's one alert about held mail.
        StorageLimits: 'dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem',
        'StorageRawMail/attachments/*': 's3:PutObject',
        'StorageRawMail/inbound/*': 's3:GetObject',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        WorkflowStateMachine: 'states:StartExecution',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'custom-resources/receipt-rule-set': {
        '*': 'ses:DescribeActiveReceiptRuleSet ses:SetActiveReceiptRuleSet xray:PutTelemetryRecords xray:PutTraceSegments',
        EmailReceivingActivationLogs: 'logs:CreateLogStream logs:PutLogEvents',
      },
      'deadline-watch': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        AlarmsIntakeFailures: 'sqs:SendMessage',
        DeadlineWatchLogs: 'logs:CreateLogStream logs:PutLogEvents',
        PersonKey: 'secretsmanager:GetSecretValue',
        // BatchGetItem: the chain heads the heads index lists, read by their keys 100 at a time.
        StorageAudit: 'dynamodb:BatchGetItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'StorageAudit/index/byHeadMovedDay': 'dynamodb:Query',
        'StorageAuditDigests/digests/*': 's3:PutObject',
        StorageConsent: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        'StorageConsent/index/byTermEnd': 'dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        StorageLimits: 'dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem',
        StorageRequests: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem',
        'StorageRequests/index/byDueDate': 'dynamodb:Query',
        // A receipt the hour's budget withheld is mailed again with a new confirmation link.
        StorageVerifications: 'dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem',
        WorkflowStateMachine: 'states:ListExecutions states:StartExecution',
        'execution:WorkflowStateMachine:*': 'states:DescribeExecution',
        'identity/derbes.local': 'ses:SendRawEmail',
      },
      'retention-purge': {
        '*': 'xray:PutTelemetryRecords xray:PutTraceSegments',
        AlarmsIntakeFailures: 'sqs:SendMessage',
        PersonKey: 'secretsmanager:GetSecretValue',
        RetentionPurgeLogs: 'logs:CreateLogStream logs:PutLogEvents',
        StorageAudit: 'dynamodb:GetItem dynamodb:PutItem dynamodb:Query',
        StorageKey: 'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
        'StorageRawMail/attachments/*': 's3:DeleteObject',
        'StorageRawMail/inbound/*': 's3:DeleteObject',
        StorageRequests: 'dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:Scan dynamodb:UpdateItem',
        'StorageRequests/index/byClosedDate': 'dynamodb:Query',
        'identity/derbes.local': 'ses:SendRawEmail',
        'table/derbes-demo-customers': 'dynamodb:DeleteItem dynamodb:DescribeTable dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem',
      },
    });
  });

  it.each(['acknowledge', 'notify-processors'])('the state machine may still invoke workflow/%s, which its definition no longer names, for executions started before', (entry) => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const roleId = machine!.Properties.RoleArn['Fn::GetAtt'][0] as string;
    const kept = functionByEntry(`functions/handlers/workflow/${entry}.ts`);
    const invokable = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
      .filter((statement) => [statement.Action].flat().includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invokable)).toContain(`"${kept}"`);
    expect(JSON.stringify(machine!.Properties.DefinitionString)).not.toContain(kept);
  });

  it('a function that only reads a table may decrypt with the key but not encrypt', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'ReadOnly');
    const key = new kms.Key(stack, 'Key');
    const table = new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, encryptionKey: key, encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED });
    const profilePath = join(REPO_ROOT, 'profiles', 'demo.json');
    const reader = new DerbesFunction(stack, 'Reader', { entry: 'functions/handlers/deadline-watch.ts', description: 'reads', profilePath });
    reader.useTable(Settings.requestsTable, table, key, ['GetItem', 'Query'], ['byDue']);
    const writer = new DerbesFunction(stack, 'Writer', { entry: 'functions/handlers/deadline-watch.ts', description: 'writes', profilePath });
    writer.useTable(Settings.requestsTable, table, key, ['GetItem', 'PutItem'], ['byDue']);
    const synthesized = Template.fromStack(stack);
    const actionsOf = (id: string) =>
      Object.entries(synthesized.findResources('AWS::IAM::Policy'))
        .filter(([policyId]) => policyId.startsWith(id))
        .flatMap(([, policy]) => (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((statement) => [statement.Action].flat()))
        .filter((action) => action.startsWith('kms:') || action.startsWith('dynamodb:'))
        .sort();
    expect(actionsOf('Reader')).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Query', 'kms:Decrypt', 'kms:DescribeKey']);
    expect(actionsOf('Writer')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
  });

  it('the public function creates requests, confirms verifications and serves downloads — and nothing of the operator\'s', () => {
    const can = capabilities('functions/handlers/http-api.ts');
    const storage = stackRef.storage;
    const on = (resource: string) => [...new Set(can.filter((line) => line.includes(resource)).map((line) => line.split(' ')[0]))].sort();
    expect(on(logicalIdOf(storage.requests))).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    expect(can.some((line) => line.startsWith('dynamodb:DeleteItem'))).toBe(false);
    expect(can.some((line) => line.startsWith('ses:'))).toBe(false);
    // Only to keep files attached on the form: it reads neither them nor anyone's mail.
    expect(on(logicalIdOf(storage.rawMail))).toEqual(['s3:PutObject']);
    expect(can.filter((line) => line.includes(logicalIdOf(storage.rawMail))).every((line) => line.includes('/attachments/'))).toBe(true);
    expect(can.filter((line) => line.startsWith('secretsmanager:')).some((line) => line.includes('OperatorKey'))).toBe(false);
    expect(can.filter((line) => line.startsWith('states:')).map((line) => line.split(' ')[0]).sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess', 'states:StartExecution']);
    expect(on(logicalIdOf(storage.packages))).toEqual(['s3:GetObject']);
    // A consent changes only once the address is verified, in the workflow: the public function cannot write one.
    expect(on(logicalIdOf(storage.consent))).toEqual([]);
    expect(on(logicalIdOf(storage.verifications))).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(on(logicalIdOf(storage.limits))).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  it('the operator function decides, extends, records consents and reads attachments, and starts only the requests it enters or admits', () => {
    const can = capabilities('functions/handlers/operator-api.ts');
    const storage = stackRef.storage;
    const on = (resource: string) => [...new Set(can.filter((line) => line.includes(resource)).map((line) => line.split(' ')[0]))].sort();
    // BatchGetItem: a page of held mail by the keys its index lists (the index itself queried only).
    expect(on(logicalIdOf(storage.requests))).toEqual(['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(can.filter((line) => line.startsWith('secretsmanager:')).some((line) => line.includes('OperatorKey'))).toBe(true);
    // PutObject on attachments alone: held mail made a request keeps its attachments with it, as intake does; raw mail is only read.
    expect(on(logicalIdOf(storage.rawMail))).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(can.filter((line) => line.startsWith('s3:PutObject'))).toEqual([expect.stringContaining('"/attachments/*"')]);
    // Held mail of up to 40 MB is read through mail intake's code, in intake's memory.
    const operatorFunction = template.findResources('AWS::Lambda::Function')[functionByEntry('functions/handlers/operator-api.ts')]!;
    const intakeFunction = template.findResources('AWS::Lambda::Function')[functionByEntry('functions/handlers/email-intake.ts')]!;
    expect(operatorFunction.Properties.MemorySize).toBe(intakeFunction.Properties.MemorySize);
    // StartExecution: a request received by phone, post or in person, entered by the operator, starts its workflow.
    expect(can.filter((line) => line.startsWith('states:')).map((line) => line.split(' ')[0]).sort()).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
    expect(can.some((line) => line.startsWith('ses:SendRawEmail'))).toBe(true);
    expect(on(logicalIdOf(storage.verifications))).toEqual([]);
    expect(on(logicalIdOf(storage.packages))).toEqual([]);
  });
});

describe('functions and workflow', () => {
  it('grants the verification step its SendTaskSuccess on the state machine itself, after it: the upgrade window the README names', () => {
    const machine = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machine).toHaveLength(1);
    const ends = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('RequestVerificationEndsItsWait'));
    expect(ends).toHaveLength(1);
    const [policyId, policy] = ends[0]!;
    // Scoped to the machine's own ARN, which makes the policy wait for the machine; so the machine cannot wait for it.
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{ Action: 'states:SendTaskSuccess', Effect: 'Allow', Resource: { Ref: machine[0] } }]);
    expect(policy.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^RequestVerification/) }]);
    expect(JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine')[machine[0]!])).not.toContain(policyId);
  });

  it("every function runs Node 24 on ARM with tracing and Lambda's JSON logs at INFO, from a handler module that exists", () => {
    const functions = derbesFunctions();
    expect(functions.length).toBeGreaterThanOrEqual(7);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' },
      });
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
      // Any of them may alert the operator, whose mail links to the request in the console.
      expect(fn.Properties.Environment.Variables[Settings.publicUrl], `${id} knows the console's address`).toBeDefined();
    }
  });

  it('no function may update or delete audit entries', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
        if (!JSON.stringify(statement.Resource).includes(auditTableLogicalId)) continue;
        const actions = [statement.Action].flat();
        // Reading a chain's head (GetItem; the heads the index lists, BatchGetItem), appending (PutItem), reading trails
        // and heads (Query): nothing else.
        expect(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']).toEqual(expect.arrayContaining(actions));
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
