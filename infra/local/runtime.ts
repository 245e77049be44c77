import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import S3rver from 's3rver';
import { loadProfileFile } from '../../functions/config/load-profile.ts';
import type { OperatorProfile } from '../../functions/config/profile-schema.ts';
import type { SesVerdicts } from '../../functions/domain/email/index.ts';
import { Settings } from '../../functions/config/settings.ts';
import { createApp, STACK_NAME } from '../app.ts';
import { REPO_ROOT } from '../constructs/derbes-function.ts';
import { DynamoDbLocal } from './dynamodb-local.ts';
import { freePort } from './free-port.ts';
import { FunctionHost } from './function-host.ts';
import { HttpGateway } from './http-gateway.ts';
import type { RuntimeSettings } from './settings.ts';
import { SecretsHost } from './secrets-host.ts';
import { SmtpIntake, type DnsResolver } from './smtp-intake.ts';
import { StepFunctionsHost } from './step-functions-host.ts';
import { LOCAL_REGION, LocalTemplate, type CfnTemplate } from './template.ts';

const S3RVER_KEY = 'S3RVER';

export interface RunningSystem {
  url: string;
  smtpPort: number;
  dataDir: string;
  outboxDir?: string;
  dynamoDbEndpoint: string;
  resumedExecutions: number;
  secrets: SecretsHost;
  stepFunctions: StepFunctionsHost;
  /** Resolves once every message the SMTP front door has accepted so far has been through the intake function. */
  mailIntakeIdle(): Promise<void>;
  /** Hands a raw message to the intake function as SES would, with the given verdicts; returns its result. */
  deliverMail(raw: Uint8Array, verdicts: SesVerdicts): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * `npm start`: synthesizes the CDK app, then runs what the template describes on this machine —
 * DynamoDB Local, an S3 API (s3rver), the state machine, the HTTP API and an SMTP front door — with the
 * functions' own handlers.
 */
export async function startLocalSystem(settings: RuntimeSettings, options: { dnsResolver?: DnsResolver; log?: (line: string) => void } = {}): Promise<RunningSystem> {
  const log = options.log ?? ((line: string) => console.log(line));
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch((error: Error) => console.error(`[stop] ${error.message}`));
  };
  try {
    mkdirSync(settings.dataDir, { recursive: true });
    const profile = loadProfileFile(settings.profilePath);

    const outdir = join(settings.dataDir, 'cdk.out');
    createApp({ profilePath: settings.profilePath, outdir, skipBundling: true }).app.synth();
    const templatePath = join(outdir, `${STACK_NAME}.template.json`);
    const publicUrl = (settings.publicUrl ?? `http://localhost:${settings.port}`).replace(/\/+$/, '');
    const template = new LocalTemplate(JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate, publicUrl);

    const dynamo = new DynamoDbLocal(settings.dynamoDbPort || (await freePort()), join(settings.dataDir, 'dynamodb'));
    stoppers.push(() => dynamo.stop());
    await dynamo.start();
    await dynamo.ensureTables(template.tables());
    if (profile.demo) await seedDemoData(dynamo, settings.profilePath, settings.dataDir, settings.resetDemoData);

    const s3Port = settings.s3Port || (await freePort());
    const s3 = new S3rver({ port: s3Port, address: '127.0.0.1', directory: join(settings.dataDir, 's3'), silent: true, configureBuckets: localBuckets(template, profile).map((name) => ({ name })) });
    await s3.run();
    stoppers.push(() => s3.close());
    const s3Endpoint = `http://127.0.0.1:${s3Port}`;

    const functions = new FunctionHost(template.functions());
    const machine = template.stateMachine();
    const stepFunctions = new StepFunctionsHost(machine.definition as never, machine.arn, functions, join(settings.dataDir, 'stepfunctions', 'executions.json'));
    const sfnEndpoint = await stepFunctions.listen(settings.sfnPort);
    stoppers.push(() => stepFunctions.stop());

    const secretNames = [
      ...template.secrets(),
      ...profile.sources.flatMap((s) => (s.kind === 'http' ? [s.secretName] : [])),
      ...profile.processors.flatMap((p) => (p.notify.kind === 'webhook' ? [p.notify.secretName] : [])),
    ];
    const secrets = new SecretsHost(join(settings.dataDir, 'secrets.json'), secretNames);
    const secretsEndpoint = await secrets.listen(settings.secretsPort);
    stoppers.push(() => secrets.stop());

    const outboxDir = settings.mailRelayUrl ? undefined : join(settings.dataDir, 'outbox');
    Object.assign(
      process.env,
      functions.environment({
        AWS_REGION: LOCAL_REGION,
        // s3rver accepts only its own key; DynamoDB Local (shared database) accepts any.
        AWS_ACCESS_KEY_ID: S3RVER_KEY,
        AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_S3: s3Endpoint,
        AWS_ENDPOINT_URL_SFN: sfnEndpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsEndpoint,
        [Settings.profileFile]: settings.profilePath,
        [Settings.publicUrl]: publicUrl,
        [Settings.mailTransport]: settings.mailRelayUrl ? 'smtp' : 'outbox',
        ...(settings.mailRelayUrl ? { [Settings.mailRelayUrl]: settings.mailRelayUrl } : { [Settings.outboxDir]: outboxDir! }),
      }),
    );
    await functions.loadAll();
    const resumedExecutions = stepFunctions.resume();

    const receiptRule = template.receiptRule();
    const smtp = new SmtpIntake(
      receiptRule,
      new S3Client({ endpoint: s3Endpoint, region: LOCAL_REGION, forcePathStyle: true, credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY } }),
      functions,
      options.dnsResolver,
    );
    const smtpPort = await smtp.listen(settings.smtpPort, settings.host);
    stoppers.push(() => smtp.stop());

    // Schedules: the template's rate, or WATCH_INTERVAL_SECONDS to see reminders sooner while trying things out.
    for (const schedule of template.schedules()) {
      const timer = setInterval(() => {
        functions.invoke(schedule.functionLogicalId, { source: 'aws.events', 'detail-type': 'Scheduled Event' }).catch((error: Error) => {
          console.error(`[schedule] ${schedule.functionLogicalId} failed: ${error.name}: ${error.message}`);
        });
      }, settings.watchIntervalSeconds ? settings.watchIntervalSeconds * 1000 : schedule.everyMs);
      stoppers.push(async () => clearInterval(timer));
    }

    // Last: /health answers only once everything above is up.
    const http = new HttpGateway(template.httpRoutes(), functions);
    const port = await http.listen(settings.port, settings.host);
    stoppers.push(() => http.stop());

    const url = `http://localhost:${port}`;
    log(`derbes is running for ${profile.operator.legalName} (${settings.profilePath.replace(`${REPO_ROOT}/`, '')})`);
    log(`  web form and API   ${url}   (health: ${url}/health)`);
    log(`  support mailbox    smtp://localhost:${smtpPort}  for ${receiptRule.recipients.join(', ')}`);
    log(`  outgoing mail      ${settings.mailRelayUrl ?? `${outboxDir} (.eml files)`}`);
    log(`  DynamoDB Local     ${dynamo.endpoint}   S3 API ${s3Endpoint}`);
    const operatorKey = secrets.value(process.env[Settings.operatorKeySecret] ?? '');
    if (operatorKey) log(`  operator API key   ${operatorKey}   (DERBES_OPERATOR_KEY for \`npx derbes decisions …\`; kept in secrets.json)`);
    log(`  data               ${settings.dataDir}${resumedExecutions ? `   (${resumedExecutions} running executions resumed)` : ''}`);
    return { url, smtpPort, dataDir: settings.dataDir, outboxDir, dynamoDbEndpoint: dynamo.endpoint, resumedExecutions, secrets, stepFunctions, mailIntakeIdle: () => smtp.idle(), deliverMail: (raw, verdicts) => smtp.deliver(raw, verdicts), stop: stopAll };
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
async function seedDemoData(dynamo: DynamoDbLocal, profilePath: string, dataDir: string, reset: boolean): Promise<void> {
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
