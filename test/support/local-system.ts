import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { freePort } from '../../infra/local/free-port.ts';
import { startLocalSystem, type RunningSystem, type StartOptions } from '../../infra/local/runtime.ts';
import type { DnsResolver } from '../../infra/local/smtp-intake.ts';
import { runtimeSettings } from '../../infra/local/settings.ts';
import { Settings } from '../../functions/config/settings.ts';
import { sharedDatabase } from './dynamodb.ts';

export interface SystemOptions {
  dataDir?: string;
  /** Fixed internal ports, for a restart in the same process: the functions' clients keep their endpoints, as in Lambda. */
  internalPorts?: { dynamodb: number; s3: number; sfn: number; secrets: number };
  profile?: string;
  mailRelayUrl?: string;
  /** Run the scheduled deadline watch this often (seconds) instead of every 15 minutes. */
  watchIntervalSeconds?: number;
  /** DNS answers for SPF, DKIM and DMARC checks of incoming mail. */
  dnsResolver?: DnsResolver;
  /** Write the demo profile's sample records again (RESET_DEMO_DATA=1). */
  resetDemoData?: boolean;
  /** Changes the synthesized template before it runs. */
  editTemplate?: StartOptions['editTemplate'];
  /**
   * Its own DynamoDB Local in the data folder, started and stopped with it, as `npm start` runs it (a restart test
   * restarts the database too). By default the runtime's tables are a namespace of the test run's DynamoDB Local,
   * named after the data folder (a restart with the same folder finds them again).
   */
  ownDatabase?: boolean;
  /** Count the calls of the functions in this file, as `bench:intake` does (METER_FILE; infra/local/meter.ts). */
  meterFile?: string;
}

/**
 * The real local runtime on free ports in a temporary data folder (or a given one, to test restarts), its tables in
 * the test run's DynamoDB Local unless it asks for its own. A free port
 * can be taken by a parallel test file before the runtime binds it; such a start is retried on other ports.
 * The test process gets the runtime's admin environment (direct endpoints, the stack's resource names), as an
 * operator's own tools would, to look into tables and buckets. Each function's worker starts on its first invocation,
 * as in Lambda: a file pays for the functions it uses, not for all of them.
 */
export async function startTestSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  for (let attempt = 1; ; attempt++) {
    // A retry starts in a fresh folder of its own: the failed start may have got as far as writing state there (the
    // first admin is made once per folder, before the gateway binds its port). A given folder is kept, as a restart
    // test wants it.
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'derbes-e2e-'));
    const settings = runtimeSettings({
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      SMTP_PORT: String(await freePort()),
      DYNAMODB_PORT: String(options.internalPorts?.dynamodb ?? 0),
      S3_PORT: String(options.internalPorts?.s3 ?? 0),
      SFN_PORT: String(options.internalPorts?.sfn ?? 0),
      SECRETS_PORT: String(options.internalPorts?.secrets ?? 0),
      ...(options.profile ? { DERBES_PROFILE: options.profile } : {}),
      ...(options.mailRelayUrl ? { MAIL_RELAY_URL: options.mailRelayUrl } : {}),
      ...(options.watchIntervalSeconds ? { WATCH_INTERVAL_SECONDS: String(options.watchIntervalSeconds) } : {}),
      ...(options.resetDemoData ? { RESET_DEMO_DATA: '1' } : {}),
      ...(options.meterFile ? { METER_FILE: options.meterFile } : {}),
      // A developer's LOG_LEVEL reaches the functions here as it does under `npm start`.
      ...(process.env.LOG_LEVEL ? { LOG_LEVEL: process.env.LOG_LEVEL } : {}),
    });
    try {
      const refusal = await synthesizedByTheRun(settings.profilePath);
      const database = options.ownDatabase ? undefined : sharedDatabase(settings.dataDir);
      const system = await startLocalSystem(settings, { log: () => {}, dnsResolver: options.dnsResolver, editTemplate: options.editTemplate, database, warmFunctions: false }).catch((error: unknown) => {
        // The runtime's own failure, with why the run's synthesis had not made the template.
        if (refusal && error instanceof Error) error.message += `\n(before it, ${refusal.said})`;
        throw error;
      });
      // The runtime synthesized the template where the run's synthesis had failed: said in the test's output.
      if (refusal?.status === 500) console.warn(refusal.said);
      Object.assign(process.env, system.adminEnvironment);
      return system;
    } catch (error) {
      const portTaken = /EADDRINUSE|Address already in use|BindException/.test(String((error as Error).message));
      if (!portTaken || attempt === 3) throw error;
    }
  }
}

export class TemplateSynthesisUnreachableError extends Error {
  override readonly name = 'TemplateSynthesisUnreachableError';
}

/**
 * Has the test run's global setup synthesize the template for this profile (test/support/app-template.ts), unless
 * it is cached already, so that the runtime finds it in the cache instead of loading the CDK in this worker to
 * synthesize it. A synthesis that fails there (500), or that the service refuses because the sources changed since it
 * loaded the CDK app (409), is left to the runtime, which then synthesizes here; the service's answer is returned, for
 * the failure the runtime may then report. Nothing to do when the file runs without the suite's global setup.
 */
async function synthesizedByTheRun(profilePath: string): Promise<{ status: number; said: string } | undefined> {
  const service = inject('templateSynthesis');
  if (!service) return undefined;
  const response = await fetch(service, { method: 'POST', body: profilePath }).catch((error: Error) => {
    throw new TemplateSynthesisUnreachableError(`the run's template synthesis did not answer: ${error.message}`);
  });
  const text = await response.text();
  if (response.ok) return undefined;
  if (response.status === 409 || response.status === 500) return { status: response.status, said: `the run's template synthesis answered ${response.status}: ${text}` };
  throw new TemplateSynthesisUnreachableError(`the run's template synthesis answered ${response.status}`);
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The operator API key the local runtime keeps (the OperatorKey secret), as `npm start` prints it. */
export function operatorKeyOf(system: RunningSystem): string {
  const key = system.secrets.value(process.env[Settings.operatorKeySecret] ?? '');
  if (!key) throw new Error('the local runtime has no operator key');
  return key;
}

/** A call to the operator API with the key (JSON in, JSON out). */
export async function operatorCall(system: RunningSystem, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${system.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${operatorKeyOf(system)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/**
 * A stored file as the operator downloads it: the API's link (with the operator key), then the file from the link
 * (without it), as a browser or the CLI follows it.
 */
export async function operatorDownload(system: RunningSystem, path: string): Promise<Response> {
  const { status, body } = await operatorCall(system, 'GET', path);
  if (status !== 200) throw new Error(`${path}: ${status} ${JSON.stringify(body)}`);
  return fetch(body.url);
}
