import { ENTRY_METADATA } from '../constructs/derbes-function.ts';

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

export interface LocalFunction {
  logicalId: string;
  entry: string;
  environment: Record<string, string>;
}
export interface LocalTable {
  name: string;
  properties: Record<string, Json>;
}

/**
 * Reads what the local runtime needs out of the template `cdk synth` produced: tables, functions with their
 * environment, the state machine definition, the HTTP routes and the mail receipt rule. Intrinsic functions are
 * resolved against local names, so the same wiring runs here as in AWS.
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
      default:
        return logicalId;
    }
  }

  /** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub-free values the way CloudFormation would, with local names. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    if ('Ref' in value) {
      const ref = value.Ref as string;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return LOCAL_REGION;
      if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      return this.physicalName(ref);
    }
    if ('Fn::GetAtt' in value) {
      const [logicalId, attribute] = value['Fn::GetAtt'] as [string, string];
      const type = this.resources[logicalId]?.Type;
      if (type === 'AWS::Lambda::Function' && attribute === 'Arn') return functionArn(logicalId);
      if (type === 'AWS::ApiGatewayV2::Api' && attribute === 'ApiEndpoint') return this.publicUrl;
      if (type === 'AWS::DynamoDB::Table' && attribute === 'Arn') return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${this.physicalName(logicalId)}`;
      // Dead-letter queues of asynchronous invocations (not run locally, but named in schedules and policies).
      if (type === 'AWS::SQS::Queue' && attribute === 'Arn') return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.physicalName(logicalId)}`;
      throw new Error(`the local runtime cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((p) => String(this.resolve(p))).join(separator);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  tables(): LocalTable[] {
    return this.ofType('AWS::DynamoDB::Table').map(([logicalId, r]) => ({ name: this.physicalName(logicalId), properties: r.Properties ?? {} }));
  }

  /** Secrets the stack creates; locally their name is their logical id (what Ref resolves to). */
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
      const variables = ((r.Properties?.Environment as Record<string, Json> | undefined)?.Variables ?? {}) as Record<string, Json>;
      functions.set(logicalId, { logicalId, entry, environment: this.resolve(variables) as Record<string, string> });
    }
    return functions;
  }

  stateMachine(): { arn: string; definition: Record<string, unknown> } {
    const [machine] = this.ofType('AWS::StepFunctions::StateMachine');
    if (!machine) throw new Error('template has no state machine');
    const [logicalId, r] = machine;
    const definition = JSON.parse(String(this.resolve(r.Properties!.DefinitionString!))) as Record<string, unknown>;
    return { arn: stateMachineArn(logicalId), definition };
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

  /** Scheduled rules: how often, and which function they invoke. */
  schedules(): Array<{ everyMs: number; functionLogicalId: string }> {
    const units: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };
    return this.ofType('AWS::Events::Rule').flatMap(([logicalId, r]) => {
      const rate = /^rate\((\d+) (\w+)\)$/.exec(String(r.Properties?.ScheduleExpression ?? ''));
      if (!rate || !units[rate[2]!]) throw new Error(`rule ${logicalId}: the local runtime runs rate(...) schedules only`);
      const targets = this.resolve(r.Properties!.Targets!) as Array<{ Arn: string }>;
      return targets.map((t) => ({ everyMs: Number(rate[1]) * units[rate[2]!]!, functionLogicalId: logicalIdOfFunctionArn(t.Arn) }));
    });
  }

  /** The SES receipt rule: which recipients, where the raw message goes, which function reads it. */
  receiptRule(): { recipients: string[]; bucket: string; prefix: string; functionLogicalId: string } {
    const [rule] = this.ofType('AWS::SES::ReceiptRule');
    if (!rule) throw new Error('template has no SES receipt rule');
    const props = this.resolve(rule[1].Properties!.Rule!) as { Recipients: string[]; Actions: Array<Record<string, Record<string, string>>> };
    const s3 = props.Actions.find((a) => a.S3Action)?.S3Action;
    const lambda = props.Actions.find((a) => a.LambdaAction)?.LambdaAction;
    if (!s3 || !lambda) throw new Error('the receipt rule needs an S3 action and a Lambda action');
    return { recipients: props.Recipients, bucket: s3.BucketName!, prefix: s3.ObjectKeyPrefix ?? '', functionLogicalId: logicalIdOfFunctionArn(lambda.FunctionArn!) };
  }
}

export function logicalIdOfFunctionArn(arn: string): string {
  const match = /:function:([^:]+)$/.exec(arn);
  if (!match) throw new Error(`not a local function ARN: ${arn}`);
  return match[1]!;
}
