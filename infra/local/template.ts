import { createHash } from 'node:crypto';
import { DIRECTORIES_METADATA, ENTRY_METADATA } from '../names.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}
export interface CfnTemplate {
  Resources: Record<string, Resource>;
}

export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';
export const functionArn = (logicalId: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
const stateMachineArn = (logicalId: string) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
export const roleArn = (logicalId: string) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/${logicalId}`;
/** As in AWS, a secret's ARN ends in six characters after its name; here they are derived from the name. */
export const secretArn = (name: string) =>
  `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${name}-${createHash('sha256').update(name).digest('base64url').replace(/[-_]/g, 'x').slice(0, 6)}`;
/** The secret's name, whether it is given by name or by ARN (with its six-character suffix). */
export function secretName(idOrArn: string): string {
  const match = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(idOrArn);
  return match ? match[1]! : idOrArn;
}
/** A user pool's id, as Cognito shapes it (`<region>_<id>`), and its ARN. */
export const userPoolId = (logicalId: string) => `${LOCAL_REGION}_${logicalId}`;
export const userPoolArn = (poolId: string) => `arn:aws:cognito-idp:${LOCAL_REGION}:${LOCAL_ACCOUNT}:userpool/${poolId}`;
/** An app client's id: 26 lower-case letters and digits, as Cognito's, derived from its logical id so it stays put. */
export const userPoolClientId = (logicalId: string) =>
  BigInt(`0x${createHash('sha256').update(`client:${logicalId}`).digest('hex')}`)
    .toString(36)
    .slice(0, 26);

/** A user pool and what its app clients and groups say, as the local issuer needs them. */
export interface LocalUserPool {
  id: string;
  arn: string;
  /** The tokens' `iss`, as Cognito's: https://cognito-idp.<region>.amazonaws.com/<pool id>. */
  issuer: string;
  mfaRequired: boolean;
  passwordPolicy: { minLength: number; lowercase: boolean; uppercase: boolean; digits: boolean; symbols: boolean; temporaryPasswordDays: number };
  groups: string[];
  clients: Map<string, { authFlows: string[]; idTokenMinutes: number; accessTokenMinutes: number; refreshTokenMinutes: number; authSessionMinutes: number; tokenRevocation: boolean }>;
}

/** A route's JWT authorizer: the issuer and audiences API Gateway checks tokens against. */
export interface LocalJwtAuthorizer {
  issuer: string;
  audience: string[];
}

/** The API Gateway id the local HTTP API stands in for (what `Ref` of the API resolves to). */
export const LOCAL_API_ID = 'local';

export interface LocalFunction {
  logicalId: string;
  entry: string;
  /** The function's own variables from the template, resolved; nothing else. */
  environment: Record<string, string>;
  roleLogicalId: string;
  /** Repository folders its bundle carries in its root (the console's pages). */
  directories: string[];
  timeoutSeconds: number;
  memorySize: number;
  /** Its LoggingConfig: Lambda's JSON log format and the application log level it keeps (TEXT: neither). */
  logging: { format: 'JSON'; applicationLogLevel: string } | { format: 'Text' };
}
export interface AsyncInvokeConfig {
  retryAttempts: number;
  maxEventAgeSeconds: number;
  /** The name of the queue Lambda sends the failure record to once the retries are spent or the event is too old. */
  onFailureQueue?: string;
}
export interface LocalTable {
  name: string;
  properties: Record<string, Json>;
}

/** One statement of an IAM policy, with its intrinsic functions resolved to local ARNs. */
export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, unknown>;
}

/** A resource-based permission to invoke a function (AWS::Lambda::Permission). */
export interface InvokePermission {
  functionLogicalId: string;
  principal: string;
  sourceArn?: string;
  sourceAccount?: string;
}

/**
 * An attribute the local runtime has no stand-in for (an alarm topic, a queue): policies may name it, and it
 * matches nothing here, so a grant on it allows nothing locally — as nothing local could use it.
 */
const UNRESOLVED = (logicalId: string, attribute: string) => `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:unresolved/${logicalId}.${attribute}`;

/**
 * Reads what the local runtime needs out of the template `cdk synth` produced: tables, functions with their
 * environment and role, IAM policies, the state machine definition, the HTTP routes and the mail receipt rule.
 * Intrinsic functions are resolved against local names, so the same wiring runs here as in AWS.
 */
export class LocalTemplate {
  private readonly resources: Record<string, Resource>;

  constructor(
    template: CfnTemplate,
    private readonly publicUrl: string,
  ) {
    this.resources = template.Resources;
  }

  private ofType(type: string): Array<[string, Resource]> {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  private physicalName(logicalId: string): string {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`template has no resource ${logicalId}`);
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return typeof resource.Properties?.TableName === 'string' ? resource.Properties.TableName : logicalId;
      case 'AWS::S3::Bucket':
        return logicalId.toLowerCase(); // bucket names must be lower case
      case 'AWS::StepFunctions::StateMachine':
        return stateMachineArn(logicalId);
      case 'AWS::SecretsManager::Secret':
        return secretArn(logicalId); // Ref of a secret is its ARN; locally its name is its logical id
      case 'AWS::ApiGatewayV2::Api':
        return LOCAL_API_ID;
      case 'AWS::Cognito::UserPool':
        return userPoolId(logicalId);
      case 'AWS::Cognito::UserPoolClient':
        return userPoolClientId(logicalId);
      default:
        return logicalId;
    }
  }

  private attribute(logicalId: string, attribute: string, lenient: boolean): string {
    const type = this.resources[logicalId]?.Type;
    const name = () => this.physicalName(logicalId);
    const arns: Record<string, () => string> = {
      'AWS::Lambda::Function.Arn': () => functionArn(logicalId),
      'AWS::ApiGatewayV2::Api.ApiEndpoint': () => this.publicUrl,
      'AWS::DynamoDB::Table.Arn': () => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name()}`,
      'AWS::S3::Bucket.Arn': () => `arn:aws:s3:::${name()}`,
      'AWS::KMS::Key.Arn': () => `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/${logicalId}`,
      'AWS::Logs::LogGroup.Arn': () => `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${logicalId}:*`,
      'AWS::IAM::Role.Arn': () => roleArn(logicalId),
      'AWS::Events::Rule.Arn': () => `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${logicalId}`,
      'AWS::StepFunctions::StateMachine.Name': () => logicalId,
      'AWS::Cognito::UserPool.Arn': () => userPoolArn(name()),
      'AWS::Cognito::UserPool.ProviderURL': () => `cognito-idp.${LOCAL_REGION}.amazonaws.com/${name()}`,
      'AWS::Cognito::UserPool.ProviderName': () => `cognito-idp.${LOCAL_REGION}.amazonaws.com/${name()}`,
      // Dead-letter queues of asynchronous invocations (not run locally, but named in schedules and policies).
      'AWS::SQS::Queue.Arn': () => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name()}`,
    };
    const resolved = arns[`${type}.${attribute}`];
    if (resolved) return resolved();
    if (lenient) return UNRESOLVED(logicalId, attribute);
    throw new Error(`the local runtime cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
  }

  /**
   * Resolves Ref, Fn::GetAtt and Fn::Join the way CloudFormation would, with local names. `lenient` (for
   * policies) turns attributes without a local stand-in into ARNs that match nothing instead of failing.
   */
  resolve(value: Json, lenient = false): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, lenient));
    if (value === null || typeof value !== 'object') return value;
    if ('Ref' in value) {
      const ref = value.Ref as string;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return LOCAL_REGION;
      if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      if (lenient && !this.resources[ref]) return UNRESOLVED(ref, 'Ref');
      return this.physicalName(ref);
    }
    if ('Fn::GetAtt' in value) {
      const [logicalId, attribute] = value['Fn::GetAtt'] as [string, string];
      return this.attribute(logicalId, attribute, lenient);
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((p) => String(this.resolve(p, lenient))).join(separator);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v, lenient)]));
  }

  tables(): LocalTable[] {
    return this.ofType('AWS::DynamoDB::Table').map(([logicalId, r]) => ({ name: this.physicalName(logicalId), properties: r.Properties ?? {} }));
  }

  /** Secrets the stack creates; locally their name is their logical id. */
  secrets(): string[] {
    return this.ofType('AWS::SecretsManager::Secret').map(([logicalId]) => logicalId);
  }

  buckets(): string[] {
    return this.ofType('AWS::S3::Bucket').map(([logicalId]) => this.physicalName(logicalId));
  }

  /** The derbes functions (those carrying the entry metadata); CDK's own helpers have no local home. */
  functions(): Map<string, LocalFunction> {
    const functions = new Map<string, LocalFunction>();
    for (const [logicalId, r] of this.ofType('AWS::Lambda::Function')) {
      const entry = r.Metadata?.[ENTRY_METADATA];
      if (typeof entry !== 'string') continue;
      const props = r.Properties ?? {};
      const variables = ((props.Environment as Record<string, Json> | undefined)?.Variables ?? {}) as Record<string, Json>;
      functions.set(logicalId, {
        logicalId,
        entry,
        environment: this.resolve(variables) as Record<string, string>,
        roleLogicalId: this.roleOf(props.Role ?? null, `function ${logicalId}`),
        directories: Array.isArray(r.Metadata?.[DIRECTORIES_METADATA]) ? (r.Metadata[DIRECTORIES_METADATA] as string[]) : [],
        timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
        memorySize: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
        logging: loggingOf(props.LoggingConfig),
      });
    }
    return functions;
  }

  private roleOf(role: Json, owner: string): string {
    const getAtt = role && typeof role === 'object' && !Array.isArray(role) ? (role['Fn::GetAtt'] as [string, string] | undefined) : undefined;
    if (!getAtt || this.resources[getAtt[0]]?.Type !== 'AWS::IAM::Role') throw new Error(`${owner}: its role is not a role of this template`);
    return getAtt[0];
  }

  /**
   * Every statement of the identity policies attached to a role: its inline policies and the AWS::IAM::Policy
   * resources naming it. Managed policies (by ARN) are listed separately: their text is not in the template.
   */
  rolePolicy(roleLogicalId: string): { statements: PolicyStatement[]; managedPolicyArns: string[] } {
    const role = this.resources[roleLogicalId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`template has no role ${roleLogicalId}`);
    const documents: Json[] = ((role.Properties?.Policies ?? []) as Array<Record<string, Json>>).map((p) => p.PolicyDocument ?? null);
    for (const [, policy] of this.ofType('AWS::IAM::Policy')) {
      const roles = (policy.Properties?.Roles ?? []) as Json[];
      if (roles.some((r) => r && typeof r === 'object' && !Array.isArray(r) && r.Ref === roleLogicalId)) documents.push(policy.Properties!.PolicyDocument ?? null);
    }
    const statements = documents.flatMap((document) => {
      const resolved = this.resolve(document, true) as { Statement?: PolicyStatement | PolicyStatement[] } | null;
      const statement = resolved?.Statement ?? [];
      return Array.isArray(statement) ? statement : [statement];
    });
    const managedPolicyArns = (this.resolve(role.Properties?.ManagedPolicyArns ?? [], true) as string[]).map(String);
    return { statements, managedPolicyArns };
  }

  /** Who may invoke which function besides IAM principals: API Gateway, SES, EventBridge (AWS::Lambda::Permission). */
  invokePermissions(): InvokePermission[] {
    return this.ofType('AWS::Lambda::Permission').flatMap(([, r]) => {
      const props = this.resolve((r.Properties ?? {}) as Json, true) as Record<string, string>;
      if (props.Action !== 'lambda:InvokeFunction' && props.Action !== 'lambda:*') return [];
      const functionId = /:function:([^:]+)$/.exec(props.FunctionName ?? '')?.[1];
      if (!functionId) return [];
      return [{ functionLogicalId: functionId, principal: props.Principal!, sourceArn: props.SourceArn, sourceAccount: props.SourceAccount }];
    });
  }

  stateMachine(): { arn: string; definition: Record<string, unknown>; roleLogicalId: string } {
    const [machine] = this.ofType('AWS::StepFunctions::StateMachine');
    if (!machine) throw new Error('template has no state machine');
    const [logicalId, r] = machine;
    const definition = JSON.parse(String(this.resolve(r.Properties!.DefinitionString!))) as Record<string, unknown>;
    return { arn: stateMachineArn(logicalId), definition, roleLogicalId: this.roleOf(r.Properties!.RoleArn ?? null, `state machine ${logicalId}`) };
  }

  /** Route key → the logical id of the function its integration invokes. */
  httpRoutes(): Map<string, string> {
    const routes = new Map<string, string>();
    for (const [, route] of this.ofType('AWS::ApiGatewayV2::Route')) {
      const target = this.resolve(route.Properties!.Target!) as string; // integrations/<IntegrationLogicalId>
      const integration = this.resources[target.replace('integrations/', '')];
      const uri = this.resolve(integration?.Properties?.IntegrationUri ?? null);
      routes.set(String(route.Properties!.RouteKey), logicalIdOfFunctionArn(String(uri)));
    }
    return routes;
  }

  /** Route key → the JWT authorizer its route carries (routes without one are absent). */
  routeAuthorizers(): Map<string, LocalJwtAuthorizer> {
    const authorizers = new Map<string, LocalJwtAuthorizer>();
    for (const [, route] of this.ofType('AWS::ApiGatewayV2::Route')) {
      if (route.Properties!.AuthorizationType !== 'JWT') continue;
      const authorizerId = (route.Properties!.AuthorizerId as { Ref?: string } | undefined)?.Ref;
      const authorizer = authorizerId ? this.resources[authorizerId] : undefined;
      if (authorizer?.Type !== 'AWS::ApiGatewayV2::Authorizer') throw new Error(`route ${String(route.Properties!.RouteKey)}: its JWT authorizer is not in the template`);
      const config = this.resolve(authorizer.Properties!.JwtConfiguration ?? null) as { Issuer?: string; Audience?: string[] } | null;
      if (!config?.Issuer || !config.Audience?.length) throw new Error(`authorizer ${authorizerId}: a JWT authorizer needs an issuer and an audience`);
      authorizers.set(String(route.Properties!.RouteKey), { issuer: config.Issuer, audience: config.Audience });
    }
    return authorizers;
  }

  /** The user pools, with their app clients (token lifetimes, sign-in flows) and groups. */
  userPools(): LocalUserPool[] {
    const minutes = (value: Json | undefined, unit: Json | undefined, fallbackMinutes: number) => {
      if (typeof value !== 'number') return fallbackMinutes;
      return value * ({ seconds: 1 / 60, minutes: 1, hours: 60, days: 1440 } as Record<string, number>)[String(unit ?? 'hours')]!;
    };
    return this.ofType('AWS::Cognito::UserPool').map(([logicalId, pool]) => {
      const id = userPoolId(logicalId);
      const props = pool.Properties ?? {};
      const policy = ((props.Policies as Record<string, Json> | undefined)?.PasswordPolicy ?? {}) as Record<string, Json>;
      const refersHere = (value: Json | undefined) => JSON.stringify(value) === JSON.stringify({ Ref: logicalId });
      const clients = new Map(
        this.ofType('AWS::Cognito::UserPoolClient')
          .filter(([, c]) => refersHere(c.Properties?.UserPoolId))
          .map(([clientLogicalId, c]) => {
            const p = c.Properties ?? {};
            const units = (p.TokenValidityUnits ?? {}) as Record<string, Json>;
            return [
              userPoolClientId(clientLogicalId),
              {
                authFlows: (p.ExplicitAuthFlows ?? []) as string[],
                idTokenMinutes: minutes(p.IdTokenValidity, units.IdToken, 60),
                accessTokenMinutes: minutes(p.AccessTokenValidity, units.AccessToken, 60),
                refreshTokenMinutes: minutes(p.RefreshTokenValidity, units.RefreshToken ?? 'days', 30 * 1440),
                authSessionMinutes: typeof p.AuthSessionValidity === 'number' ? p.AuthSessionValidity : 3,
                // Cognito's default for a client: revocation on.
                tokenRevocation: p.EnableTokenRevocation !== false,
              },
            ] as const;
          }),
      );
      return {
        id,
        arn: userPoolArn(id),
        issuer: `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${id}`,
        mfaRequired: props.MfaConfiguration === 'ON',
        passwordPolicy: {
          minLength: typeof policy.MinimumLength === 'number' ? policy.MinimumLength : 8,
          lowercase: policy.RequireLowercase === true,
          uppercase: policy.RequireUppercase === true,
          digits: policy.RequireNumbers === true,
          symbols: policy.RequireSymbols === true,
          temporaryPasswordDays: typeof policy.TemporaryPasswordValidityDays === 'number' ? policy.TemporaryPasswordValidityDays : 7,
        },
        groups: this.ofType('AWS::Cognito::UserPoolGroup')
          .filter(([, g]) => refersHere(g.Properties?.UserPoolId))
          .map(([, g]) => String(g.Properties!.GroupName)),
        clients,
      };
    });
  }

  /**
   * Scheduled rules: how often, which function they invoke, and the rule's ARN (the source of the invocation). A rule
   * on an event pattern (executions that ended badly, mailed to the operator's topic) has no local home, as the
   * topic and the alarms have none.
   */
  schedules(): Array<{ everyMs: number; functionLogicalId: string; ruleArn: string }> {
    const units: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };
    return this.ofType('AWS::Events::Rule').flatMap(([logicalId, r]) => {
      if (r.Properties?.EventPattern && !r.Properties.ScheduleExpression) return [];
      const rate = /^rate\((\d+) (\w+)\)$/.exec(String(r.Properties?.ScheduleExpression ?? ''));
      if (!rate || !units[rate[2]!]) throw new Error(`rule ${logicalId}: the local runtime runs rate(...) schedules only`);
      const targets = this.resolve(r.Properties!.Targets!, true) as Array<{ Arn: string }>;
      return targets
        .filter((t) => /:function:/.test(t.Arn))
        .map((t) => ({ everyMs: Number(rate[1]) * units[rate[2]!]!, functionLogicalId: logicalIdOfFunctionArn(t.Arn), ruleArn: this.attribute(logicalId, 'Arn', false) }));
    });
  }

  /**
   * How Lambda treats a function's asynchronous invocations (its AWS::Lambda::EventInvokeConfig, else Lambda's
   * defaults: two retries, six hours): how often a failed one is retried, how old an event may grow before it is
   * given up, and the queue (its name) that then receives Lambda's failure record, if any.
   */
  asyncInvokeConfig(functionLogicalId: string): AsyncInvokeConfig {
    const refersToFunction = (value: Json | undefined) => JSON.stringify(value) === JSON.stringify({ Ref: functionLogicalId });
    const [, config] = this.ofType('AWS::Lambda::EventInvokeConfig').find(([, c]) => refersToFunction(c.Properties?.FunctionName)) ?? [];
    const props = config?.Properties ?? {};
    const destination = ((props.DestinationConfig as Record<string, Json> | undefined)?.OnFailure as Record<string, Json> | undefined)?.Destination;
    const arn = destination === undefined ? undefined : String(this.resolve(destination));
    if (arn !== undefined && !arn.startsWith('arn:aws:sqs:')) throw new Error(`function ${functionLogicalId}: the local runtime keeps failed invocations for SQS destinations only`);
    return {
      retryAttempts: typeof props.MaximumRetryAttempts === 'number' ? props.MaximumRetryAttempts : 2,
      maxEventAgeSeconds: typeof props.MaximumEventAgeInSeconds === 'number' ? props.MaximumEventAgeInSeconds : 21_600,
      ...(arn && { onFailureQueue: arn.split(':').pop()! }),
    };
  }

  /** The SES receipt rule: which recipients, where the raw message goes, which function reads it. */
  receiptRule(): { recipients: string[]; bucket: string; prefix: string; functionLogicalId: string; ruleArn: string } {
    const [rule] = this.ofType('AWS::SES::ReceiptRule');
    if (!rule) throw new Error('template has no SES receipt rule');
    const props = this.resolve(rule[1].Properties!.Rule!) as { Name?: string; Recipients: string[]; Actions: Array<Record<string, Record<string, string>>> };
    // SES invokes the function as this rule (the source ARN a Lambda permission may name).
    const ruleSetRef = rule[1].Properties!.RuleSetName as Json;
    const ruleSetId = typeof ruleSetRef === 'object' && ruleSetRef && 'Ref' in ruleSetRef ? String(ruleSetRef.Ref) : undefined;
    const ruleSetName = ruleSetId ? String(this.resources[ruleSetId]?.Properties?.RuleSetName ?? ruleSetId) : String(this.resolve(ruleSetRef));
    const ruleArn = `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:receipt-rule-set/${ruleSetName}:receipt-rule/${props.Name ?? rule[0]}`;
    const s3 = props.Actions.find((a) => a.S3Action)?.S3Action;
    const lambda = props.Actions.find((a) => a.LambdaAction)?.LambdaAction;
    if (!s3 || !lambda) throw new Error('the receipt rule needs an S3 action and a Lambda action');
    return { recipients: props.Recipients, bucket: s3.BucketName!, prefix: s3.ObjectKeyPrefix ?? '', functionLogicalId: logicalIdOfFunctionArn(lambda.FunctionArn!), ruleArn };
  }
}

export function logicalIdOfFunctionArn(arn: string): string {
  const match = /:function:([^:]+)$/.exec(arn);
  if (!match) throw new Error(`not a local function ARN: ${arn}`);
  return match[1]!;
}

/** A function's LoggingConfig as Lambda applies it: JSON keeps INFO and above unless told otherwise. */
function loggingOf(config: Json | undefined): LocalFunction['logging'] {
  const { LogFormat, ApplicationLogLevel } = (config ?? {}) as Record<string, Json>;
  if (LogFormat !== 'JSON') return { format: 'Text' };
  return { format: 'JSON', applicationLogLevel: typeof ApplicationLogLevel === 'string' ? ApplicationLogLevel : 'INFO' };
}
