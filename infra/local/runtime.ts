import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import S3rver from 's3rver';
import { loadProfileFile } from '../../functions/config/load-profile.ts';
import type { OperatorProfile } from '../../functions/config/profile-schema.ts';
import { Settings } from '../../functions/config/settings.ts';
import type { SesVerdicts } from '../../functions/domain/email/index.ts';
import { REPO_ROOT } from '../names.ts';
import { describeRedrive, redriveFailures } from '../cli/commands/mail.ts';
import { AsyncInvocations } from './async-invocations.ts';
import { AwsEndpoint, forwardTo } from './aws-endpoint.ts';
import { cognitoProtocol, dynamoDbProtocol, s3Protocol, s3Upstream, secretsManagerProtocol, sesProtocol, stepFunctionsProtocol } from './aws-protocols.ts';
import { startDatabase, type LocalDatabase, type StartingDatabase } from './dynamodb-local.ts';
import { freePort } from './free-port.ts';
import { bundleFunctions } from './function-bundles.ts';
import { FunctionError, FunctionHost } from './function-host.ts';
import { HttpGateway } from './http-gateway.ts';
import { createFirstAdmin } from './first-admin.ts';
import { IdentityHost } from './identity-host.ts';
import { JwtAuthorizer } from './jwt-authorizer.ts';
import { Denials, InvokePermissions, Principals, RolePolicy, type Denial, type Principal } from './iam.ts';
import { Meter } from './meter.ts';
import type { RuntimeSettings } from './settings.ts';
import { SecretsHost } from './secrets-host.ts';
import { SesHost } from './ses-host.ts';
import { SmtpIntake, type DnsResolver } from './smtp-intake.ts';
import { StepFunctionsHost } from './step-functions-host.ts';
import { synthesize } from './synthesis.ts';
import { functionArn, LOCAL_ACCOUNT, LOCAL_API_ID, LOCAL_REGION, LocalTemplate, type CfnTemplate } from './template.ts';

/** s3rver accepts only its own key; DynamoDB Local (shared database) accepts any. The runtime's own (admin) clients use it. */
const S3RVER_KEY = 'S3RVER';

export interface RunningSystem {
  url: string;
  smtpPort: number;
  dataDir: string;
  outboxDir?: string;
  dynamoDbEndpoint: string;
  resumedExecutions: number;
  secrets: SecretsHost;
  /** The operators' user pool(s), with the sign-in flow the console uses. */
  identity: IdentityHost;
  /** The console's first admin, made on the first start only (with the one-time password to sign in with). */
  firstAdmin?: { email: string; temporaryPassword: string };
  stepFunctions: StepFunctionsHost;
  functions: FunctionHost;
  /**
   * What an operator's own tools use: an administrator's credentials (allowed every action), the local AWS
   * endpoints, the names of the stack's resources (REQUESTS_TABLE, …) as the functions see them, and the profile.
   */
  adminEnvironment: Record<string, string>;
  /** The local AWS endpoints the functions call, by service, each checking IAM. */
  awsEndpoints: Record<string, string>;
  /** Calls refused since start (IAM, function invoke permissions), newest last. */
  accessDenials(): Denial[];
  /** Resolves once every function's worker has started (they start in the background after start-up, unless `warmFunctions` is false). */
  warm(): Promise<void>;
  /**
   * Resolves once every message the SMTP front door has accepted so far has been through the intake function (retries
   * included), and the start's re-drive of failed intake is done.
   */
  mailIntakeIdle(): Promise<void>;
  /** Hands a raw message to the intake function as SES would, with the given verdicts; returns its result. */
  deliverMail(raw: Uint8Array, verdicts: SesVerdicts): Promise<unknown>;
  stop(): Promise<void>;
}

export interface StartOptions {
  dnsResolver?: DnsResolver;
  log?: (line: string) => void;
  /** Changes the synthesized template before it is run (a test removes a grant to see the flow refused). */
  editTemplate?: (template: CfnTemplate) => CfnTemplate;
  /**
   * The data folder's DynamoDB Local, already starting (`derbes start` spawns it before it loads the rest of the
   * runtime); or a namespace of a DynamoDB Local another process runs (a test run's, shared by its test files).
   */
  database?: StartingDatabase;
  /**
   * Start every function's worker in the background as the runtime starts (the default), so a user's first request
   * meets no cold start; false starts each on its first invocation, as Lambda does — a test that uses a few of the
   * functions then does not pay for starting all of them.
   */
  warmFunctions?: boolean;
}

/**
 * `npm start`: synthesizes the CDK app, then runs what the template describes on this machine — DynamoDB Local,
 * an S3 API (s3rver), the state machine, the HTTP API, SES and an SMTP front door — each function from its own
 * bundle in its own worker with its own environment, every AWS call checked against its role.
 */
export async function startLocalSystem(settings: RuntimeSettings, options: StartOptions = {}): Promise<RunningSystem> {
  const log = options.log ?? ((line: string) => console.log(line));
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch((error: Error) => console.error(`[stop] ${error.message}`));
  };
  try {
    mkdirSync(settings.dataDir, { recursive: true });
    const profile = loadProfileFile(settings.profilePath);

    // The database's JVM starts while the app is synthesized; neither needs the other.
    const { dynamo, started: dynamoStarted } = options.database ?? (await startDatabase(settings.dataDir, settings.dynamoDbPort));
    stoppers.push(() => dynamo.stop());

    const { template: synthesized, synthesized: fresh } = await synthesize(settings.profilePath, join(settings.dataDir, 'cdk.out'));
    const publicUrl = (settings.publicUrl ?? `http://localhost:${settings.port}`).replace(/\/+$/, '');
    const template = new LocalTemplate(options.editTemplate ? options.editTemplate(synthesized) : synthesized, publicUrl);
    const functionDefinitions = template.functions();
    const bundles = await bundleFunctions(functionDefinitions.values(), join(settings.dataDir, 'functions'), settings.profilePath);
    stoppers.push(async () => bundles.release());

    const s3Direct = `http://127.0.0.1:${await freePort()}`;

    // Each function signs its calls with its own key; the endpoints check them against its role's policy.
    const denials = new Denials();
    const principals = new Principals(denials);
    const principalOf = new Map<string, Principal>();
    let conditional = 0;
    for (const fn of functionDefinitions.values()) {
      const policy = new RolePolicy(fn.roleLogicalId, template.rolePolicy(fn.roleLogicalId).statements);
      conditional += policy.conditionalStatements;
      principalOf.set(fn.logicalId, principals.add(fn.logicalId, policy));
    }
    // The operator's own tools (and tests looking into the system) act as an administrator, as they would in AWS.
    const administrator = principals.add('operator', new RolePolicy('LocalAdministrator', [{ Effect: 'Allow', Action: '*', Resource: '*' }]));
    const awsEndpoints: Record<string, string> = {};
    const meter = settings.meterFile ? new Meter() : undefined;
    if (meter) stoppers.push(meter.writeTo(settings.meterFile!));
    const functions = new FunctionHost(functionDefinitions, bundles, (fn) => {
      const principal = principalOf.get(fn.logicalId)!;
      return {
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: principal.accessKeyId,
        AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: awsEndpoints.dynamodb!,
        AWS_ENDPOINT_URL_S3: awsEndpoints.s3!,
        AWS_ENDPOINT_URL_SFN: awsEndpoints.sfn!,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: awsEndpoints.secretsmanager!,
        AWS_ENDPOINT_URL_SES: awsEndpoints.ses!,
        AWS_ENDPOINT_URL_SESV2: awsEndpoints.ses!,
        AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: awsEndpoints['cognito-idp']!,
        // LOG_LEVEL, where set, stands for the template's application log level (as changing it in Lambda would).
        ...(settings.logLevel && fn.logging.format === 'JSON' && { AWS_LAMBDA_LOG_LEVEL: settings.logLevel }),
      };
    }, meter);
    stoppers.push(() => functions.stop());

    const machine = template.stateMachine();
    const stepFunctions = new StepFunctionsHost(
      machine.definition as never,
      machine.arn,
      functions,
      join(settings.dataDir, 'stepfunctions'),
      new RolePolicy(machine.roleLogicalId, template.rolePolicy(machine.roleLogicalId).statements),
      denials,
      meter,
    );
    stoppers.push(() => stepFunctions.stop());

    const secretNames = [
      ...template.secrets(),
      ...profile.sources.flatMap((s) => (s.kind === 'http' ? [s.secretName] : [])),
      ...profile.processors.flatMap((p) => (p.notify.kind === 'webhook' ? [p.notify.secretName] : [])),
    ];
    const secrets = new SecretsHost(join(settings.dataDir, 'secrets.json'), secretNames);
    const outboxDir = settings.mailRelayUrl ? undefined : join(settings.dataDir, 'outbox');
    const ses = new SesHost(settings.mailRelayUrl ? { kind: 'relay', url: settings.mailRelayUrl } : { kind: 'outbox', directory: outboxDir! }, join(settings.dataDir, 'ses-suppression.json'));
    stoppers.push(async () => ses.stop());
    const identity = new IdentityHost(join(settings.dataDir, 'identity'), template.userPools());

    const endpoints = [
      // In a shared database, every call goes to this runtime's namespace; DYNAMODB_PORT is then this endpoint's.
      { service: 'dynamodb', port: dynamo.accessKeyId ? settings.dynamoDbPort : 0, endpoint: new AwsEndpoint('dynamodb', principals, dynamoDbProtocol, forwardTo(dynamo.endpoint, { asAccessKey: dynamo.accessKeyId }), meter) },
      { service: 's3', port: settings.s3Port, endpoint: new AwsEndpoint('s3', principals, s3Protocol, s3Upstream(forwardTo(s3Direct, { dropSignature: true })), meter) },
      { service: 'sfn', port: settings.sfnPort, endpoint: new AwsEndpoint('sfn', principals, stepFunctionsProtocol(machine.arn), (r) => stepFunctions.handle(r), meter) },
      { service: 'secretsmanager', port: settings.secretsPort, endpoint: new AwsEndpoint('secretsmanager', principals, secretsManagerProtocol, (r) => secrets.handle(r), meter) },
      { service: 'ses', port: 0, endpoint: new AwsEndpoint('ses', principals, sesProtocol, (r) => ses.handle(r), meter) },
      { service: 'cognito-idp', port: settings.cognitoPort, endpoint: new AwsEndpoint('cognito-idp', principals, cognitoProtocol, (r) => identity.handle(r), meter) },
    ];
    for (const { service, port, endpoint } of endpoints) {
      awsEndpoints[service] = await endpoint.listen(port);
      stoppers.push(() => endpoint.stop());
    }
    // Where the operator's own tools reach the database: the database itself, or, in a shared one, the endpoint that
    // keeps their calls in this runtime's namespace.
    const databaseEndpoint = dynamo.accessKeyId ? awsEndpoints.dynamodb! : dynamo.endpoint;
    // Workers start now, while the database's JVM starts: the HTTP and mail functions first, as they take the
    // first requests, then the workflow's in its order; each only needs its endpoints to exist, not to answer yet.
    const receiptRule = template.receiptRule();
    const workflowFunctions = [...JSON.stringify(machine.definition).matchAll(/:function:([A-Za-z0-9_-]+)/g)].map((m) => m[1]!).filter((id) => functionDefinitions.has(id));
    const warm = options.warmFunctions === false ? Promise.resolve() : functions.warmAll([...template.httpRoutes().values(), receiptRule.functionLogicalId, ...workflowFunctions]);

    await dynamoStarted;
    await dynamo.ensureTables(template.tables());
    if (profile.demo) await seedDemoData(dynamo, settings.profilePath, settings.dataDir, settings.resetDemoData);
    const s3 = new S3rver({ port: Number(new URL(s3Direct).port), address: '127.0.0.1', directory: join(settings.dataDir, 's3'), silent: true, configureBuckets: localBuckets(template, profile).map((name) => ({ name })) });
    await s3.run();
    stoppers.push(() => s3.close());

    // API Gateway, SES and EventBridge invoke a function only as its resource policy (AWS::Lambda::Permission) allows.
    const permissions = new InvokePermissions(template.invokePermissions());
    const invokeAs = (service: string, source: { arn?: string; account?: string }) => (functionId: string, event: unknown) => {
      if (!permissions.allows(functionId, service, source)) {
        denials.record(service, { action: 'lambda:InvokeFunction', resource: functionArn(functionId) });
        return Promise.reject(new FunctionError('AccessDeniedException', `${service} is not allowed to invoke ${functionId} for ${source.arn ?? source.account}: no AWS::Lambda::Permission grants it`));
      }
      return functions.invoke(functionId, event);
    };

    const resumedExecutions = stepFunctions.resume();

    // SES invokes intake asynchronously: Lambda keeps each event on disk until intake took it, retries it, and puts
    // what still fails in the on-failure queue. Events left from the last run are invoked now; intake failures waiting
    // in that queue are re-driven, as `derbes mail redrive` re-drives them in AWS.
    const invokeAsIntakeSource = invokeAs('ses.amazonaws.com', { account: LOCAL_ACCOUNT, arn: receiptRule.ruleArn });
    const asyncInvocations = new AsyncInvocations(settings.dataDir, invokeAsIntakeSource, (functionId) => template.asyncInvokeConfig(functionId));
    stoppers.push(async () => asyncInvocations.stop());
    const resumedMail = asyncInvocations.resume();
    if (resumedMail) log(`  mail intake        ${resumedMail} accepted mails whose intake had not finished are handed to intake again`);
    const intakeFailures = template.asyncInvokeConfig(receiptRule.functionLogicalId).onFailureQueue;
    const redriven = intakeFailures
      ? redriveFailures(asyncInvocations.failureQueue(intakeFailures), receiptRule.functionLogicalId, async (event) => void (await functions.invoke(receiptRule.functionLogicalId, event))).then(
          (report) => {
            if (report.redriven || report.failedAgain.length || report.unrecognised.length || Object.keys(report.scheduled).length) for (const line of describeRedrive(report)) log(`  [redrive] ${line}`);
          },
          (error: Error) => console.error(`[redrive] ${intakeFailures}: ${error.name}: ${error.message}`),
        )
      : Promise.resolve();
    const smtp = new SmtpIntake(
      receiptRule,
      new S3Client({ endpoint: s3Direct, region: LOCAL_REGION, forcePathStyle: true, credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY } }),
      invokeAsIntakeSource,
      (functionId, event) => asyncInvocations.accept(functionId, event),
      options.dnsResolver,
    );
    const smtpPort = await smtp.listen(settings.smtpPort, settings.host);
    stoppers.push(() => smtp.stop());

    // Schedules: the template's rate, or WATCH_INTERVAL_SECONDS to see reminders sooner while trying things out.
    for (const schedule of template.schedules()) {
      const invoke = invokeAs('events.amazonaws.com', { arn: schedule.ruleArn });
      const timer = setInterval(() => {
        invoke(schedule.functionLogicalId, { source: 'aws.events', 'detail-type': 'Scheduled Event' }).catch((error: Error) => {
          console.error(`[schedule] ${schedule.functionLogicalId} failed: ${error.name}: ${error.message}`);
        });
      }, settings.watchIntervalSeconds ? settings.watchIntervalSeconds * 1000 : schedule.everyMs);
      stoppers.push(async () => clearInterval(timer));
    }

    // The console's routes carry the JWT authorizer; it reads the issuer's JWKS from the local Cognito endpoint.
    const jwks = async (issuer: string) => {
      const response = await fetch(`${awsEndpoints['cognito-idp']}${new URL(issuer).pathname}/.well-known/jwks.json`);
      if (!response.ok) throw new Error(`JWKS of ${issuer}: ${response.status}`);
      return (await response.json()) as { keys: [] };
    };
    const authorizers = new Map([...template.routeAuthorizers()].map(([routeKey, config]) => [routeKey, new JwtAuthorizer(config, jwks)]));
    const firstAdmin = await createFirstAdmin(identity, template.userPools(), profile.operator.contactEmail, join(settings.dataDir, 'identity'));

    // Last: /health answers only once everything above is up.
    const http = new HttpGateway(
      template.httpRoutes(),
      (functionId, event) => {
        const [method, path] = event.routeKey.split(' ') as [string, string];
        return invokeAs('apigateway.amazonaws.com', { arn: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${LOCAL_API_ID}/$default/${method}${path}` })(functionId, event);
      },
      authorizers,
    );
    const port = await http.listen(settings.port, settings.host);
    stoppers.push(() => http.stop());

    const adminEnvironment: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: administrator.accessKeyId,
      AWS_SECRET_ACCESS_KEY: administrator.secretAccessKey,
      // The database itself (DYNAMODB_PORT), as before any IAM endpoint: an administrator may do anything there anyway,
      // and its port stays the same across restarts, so a tool's long-lived client keeps working. (In a shared database,
      // the namespace's endpoint, on DYNAMODB_PORT too.)
      AWS_ENDPOINT_URL_DYNAMODB: databaseEndpoint,
      AWS_ENDPOINT_URL_S3: awsEndpoints.s3!,
      AWS_ENDPOINT_URL_SFN: awsEndpoints.sfn!,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: awsEndpoints.secretsmanager!,
      AWS_ENDPOINT_URL_SES: awsEndpoints.ses!,
      AWS_ENDPOINT_URL_SESV2: awsEndpoints.ses!,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: awsEndpoints['cognito-idp']!,
      ...Object.fromEntries(
        [...functionDefinitions.values()].flatMap((fn) => Object.entries(fn.environment).filter(([name]) => (Object.values(Settings) as string[]).includes(name))),
      ),
      // The profile as given, not the copy beside the functions' bundles.
      [Settings.profileFile]: settings.profilePath,
    };

    const url = `http://localhost:${port}`;
    log(`derbes is running for ${profile.operator.legalName} (${settings.profilePath.replace(`${REPO_ROOT}/`, '')})`);
    log(`  web form and API   ${url}   (health: ${url}/health)`);
    log(`  support mailbox    smtp://localhost:${smtpPort}  for ${receiptRule.recipients.join(', ')}`);
    log(`  outgoing mail      ${settings.mailRelayUrl ?? `${outboxDir} (.eml files)`}`);
    log(`  DynamoDB Local     ${databaseEndpoint}   S3 API ${s3Direct}   (direct, for your own tools)`);
    log(`  template           ${fresh ? 'synthesized now' : 'as synthesized before (no input changed)'}`);
    log(`  functions          ${functionDefinitions.size}, each in its own worker with its own role${bundles.rebuilt ? ' (bundled now)' : ''}${conditional ? `; ${conditional} IAM statements with conditions are taken as stated` : ''}`);
    const operatorKey = secrets.value(template.secrets().find((name) => name.includes('OperatorKey')) ?? '');
    if (operatorKey) log(`  operator API key   ${operatorKey}   (DERBES_OPERATOR_KEY for \`npx derbes decisions …\`; kept in secrets.json)`);
    log(`  operator console   ${url}/console   (sign in: ${url}/console/sign-in; people: \`npx derbes operators add|list|remove\`)`);
    if (firstAdmin) {
      log(`  first admin        ${firstAdmin.email}   one-time password ${firstAdmin.temporaryPassword}`);
      log('                     (shown this once: sign in, choose a password, add the code of an authenticator app)');
    }
    log(`  data               ${settings.dataDir}${resumedExecutions ? `   (${resumedExecutions} running executions resumed)` : ''}`);
    return {
      url,
      smtpPort,
      dataDir: settings.dataDir,
      outboxDir,
      dynamoDbEndpoint: databaseEndpoint,
      resumedExecutions,
      secrets,
      identity,
      ...(firstAdmin ? { firstAdmin } : {}),
      stepFunctions,
      functions,
      adminEnvironment,
      awsEndpoints,
      accessDenials: () => denials.list(),
      warm: () => warm,
      mailIntakeIdle: async () => {
        await redriven;
        await asyncInvocations.idle();
      },
      deliverMail: (raw, verdicts) => smtp.deliver(raw, verdicts),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The stack's buckets, and the company's S3 sources, which exist in AWS and are stood in for here. */
function localBuckets(template: LocalTemplate, profile: OperatorProfile): string[] {
  return [...new Set([...template.buckets(), ...profile.sources.flatMap((s) => (s.kind === 's3' ? [s.bucket] : []))])];
}

/**
 * A demo profile's sample records (`<profile>.data.json` beside it, table name → items), written on the first start
 * with this data folder only — an erasure or a correction tried in the demo stays done — or again with RESET_DEMO_DATA=1.
 */
async function seedDemoData(dynamo: LocalDatabase, profilePath: string, dataDir: string, reset: boolean): Promise<void> {
  const file = profilePath.replace(/\.json$/, '.data.json');
  if (!existsSync(file)) return;
  const marker = join(dataDir, 'demo-data-seeded', basename(file));
  if (existsSync(marker) && !reset) return;
  const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Array<Record<string, unknown>>>;
  const client = dynamo.client();
  for (const [table, items] of Object.entries(data)) {
    for (let i = 0; i < items.length; i += 25) {
      let request: BatchWriteItemCommand['input']['RequestItems'] = {
        [table]: items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: marshall(item) } })),
      };
      // BatchWriteItem may leave items unprocessed under load; keep sending them until none are left.
      while (request && Object.keys(request).length) {
        const result: { UnprocessedItems?: BatchWriteItemCommand['input']['RequestItems'] } = await client.send(new BatchWriteItemCommand({ RequestItems: request }));
        request = result.UnprocessedItems;
      }
    }
  }
  mkdirSync(dirname(marker), { recursive: true });
  writeFileSync(marker, `${new Date().toISOString()}\n`);
}
