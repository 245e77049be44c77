import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StepFunctionsWorkflow } from '../../functions/adapters/aws/step-functions-workflow.ts';
import { DynamoRequestStore } from '../../functions/adapters/dynamodb/request-store.ts';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { Settings } from '../../functions/config/settings.ts';
import { STACK_NAME } from '../../infra/app.ts';
import { ENTRY_METADATA, REPO_ROOT } from '../../infra/constructs/derbes-function.ts';
import { REQUIRE_PRELUDE } from '../../infra/lean-modules.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { LocalTemplate, type CfnTemplate } from '../../infra/local/template.ts';
import { appTemplate } from '../support/app-template.ts';
import { initLoad } from '../support/bundle-init.ts';
import { operatorCall, postJson, startTestSystem } from '../support/local-system.ts';

// One `cdk synth` (with bundling) for both tests: it is the slow part.
const cliOut = mkdtempSync(join(tmpdir(), 'derbes-cdk-'));
let fromCli: CfnTemplate;
let system: RunningSystem | undefined;

beforeAll(() => {
  execFileSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-c', 'region=eu-central-1', '-o', cliOut], { cwd: REPO_ROOT, env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' }, stdio: 'pipe' });
  fromCli = JSON.parse(readFileSync(join(cliOut, `${STACK_NAME}.template.json`), 'utf8')) as CfnTemplate;
}, 180_000);
afterAll(async () => system?.stop());

describe('one workflow, two homes', () => {
  it('the local runtime runs the very state machine `cdk synth` produces', async () => {
    // What `npm start` does: synthesize in-process without bundling, then read the template back.
    const { template: fromRuntime } = await appTemplate('cdk.out.local-asl');

    const local = new LocalTemplate(fromRuntime, 'http://localhost:3000').stateMachine();
    const synthesized = new LocalTemplate(fromCli, 'http://localhost:3000').stateMachine();
    expect(local.definition).toEqual(synthesized.definition);
    expect(Object.keys(local.definition.States as object)).toEqual(
      expect.arrayContaining(['AwaitVerification', 'PlanFulfilment', 'AwaitDecision', 'ApplyToSources', 'Answer', 'CloseUnverified']),
    );
  });

  it('the bundle Lambda would run (ESM, with its own copy of the profile) takes a request on the local runtime', async () => {
    system ??= await startTestSystem();
    const [assetPath] = Object.values(fromCli.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Metadata?.[ENTRY_METADATA]).endsWith('http-api.ts'))
      .map((r) => String(r.Metadata?.['aws:asset:path']));
    const assetDir = join(cliOut, assetPath!);
    // As in Lambda: the function's own environment and credentials (its role applies), the code root, and the
    // profile that was copied beside the bundle.
    Object.assign(process.env, system.functions.environment(system.functions.ids().find((id) => id.startsWith('HttpApi'))!), { LAMBDA_TASK_ROOT: assetDir });
    expect(process.env[Settings.profileFile]).toBe('profile.json');
    const { handler } = (await import(pathToFileURL(join(assetDir, 'index.mjs')).href)) as { handler: (event: unknown) => Promise<{ statusCode: number; body: string }> };
    const result = await handler({
      version: '2.0',
      routeKey: 'POST /api/requests',
      rawPath: '/api/requests',
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'access', email: 'aigerim@example.kz', language: 'kk' }),
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/api/requests', sourceIp: '127.0.0.1', userAgent: 'test', protocol: 'HTTP/1.1' }, routeKey: 'POST /api/requests' },
    });
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toMatchObject({ status: 'RECEIVED', timeZone: 'Asia/Almaty', rule: { id: 'KZ-94V-art25-access' } });
  });
});

describe('what each function loads at init', () => {
  it('is read as Lambda loads it: the chunks each file imports statically, past the `require` prelude, and not those it imports on a call', () => {
    const bundle = mkdtempSync(join(tmpdir(), 'derbes-init-'));
    const files: Record<string, string> = {
      'index.mjs': `${REQUIRE_PRELUDE}import{a as b,c}from"./chunk-A.mjs";import"./chunk-B.mjs";import{x}from"node:path";const h=()=>import("./chunk-L.mjs");export{h as handler};`,
      'chunk-A.mjs': 'import*as q from"./chunk-C.mjs";var a=1,c=q;export{a,c};',
      'chunk-B.mjs': 'globalThis.b=1;',
      'chunk-C.mjs': `${REQUIRE_PRELUDE}import{d}from"./chunk-D.mjs";export const e=require("node:fs")+d;`,
      'chunk-D.mjs': 'export const d=1;',
      'chunk-L.mjs': 'import{a}from"./chunk-A.mjs";export const l=a;',
    };
    for (const [name, code] of Object.entries(files)) writeFileSync(join(bundle, name), code);
    const load = initLoad(bundle);
    expect(load.files.sort()).toEqual(['chunk-A.mjs', 'chunk-B.mjs', 'chunk-C.mjs', 'chunk-D.mjs', 'index.mjs']);
    expect(load.bytes).toBe(load.files.reduce((sum, name) => sum + Buffer.byteLength(files[name]!), 0));
  });

  it('every bundle `cdk synth` makes loads at most 400 KB (minified) at init, as bench:cold-start counts it', () => {
    const functions = Object.values(fromCli.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[ENTRY_METADATA]);
    expect(functions.length).toBeGreaterThan(10);
    const loads = functions.map((r) => ({ entry: String(r.Metadata![ENTRY_METADATA]), ...initLoad(join(cliOut, String(r.Metadata!['aws:asset:path']))) }));
    expect(Math.max(...loads.map(({ files }) => files.length))).toBeGreaterThan(5); // the reading follows the chunks imported
    expect(loads.filter((load) => load.bytes > 400 * 1024).map(({ entry, bytes }) => `${entry}: ${(bytes / 1024).toFixed(1)} KB`)).toEqual([]);
  });
});

const mailsTo = async (person: string) => {
  const mails = await Promise.all(readdirSync(system!.outboxDir!).map((file) => PostalMime.parse(readFileSync(join(system!.outboxDir!, file)))));
  return mails.filter((mail) => mail.to?.some((to) => to.address === person));
};

/** An access request of `person` posted to the running system, once its receipt has come. */
async function receipted(person: string): Promise<string> {
  const requestId = String((await postJson(`${system!.url}/api/requests`, { type: 'access', email: person, language: 'en' })).body.reference);
  await vi.waitFor(async () => expect(await mailsTo(person)).toHaveLength(1), { timeout: 30_000, interval: 200 });
  return requestId;
}

/** Starts an execution of the request by another name, with an input of the release before, and waits for its verification step. */
async function startedBefore(requestId: string, name: string, verificationTimeoutSeconds: number): Promise<void> {
  system!.stepFunctions.startExecution(name, { Payload: { requestId, verificationExpiresAt: new Date(Date.now() + 3_600_000).toISOString(), verificationTimeoutSeconds } });
  await vi.waitFor(() => expect(system!.stepFunctions.describe(name)?.pendingTask?.functionDone).toBe(true), { timeout: 14_000, interval: 100 });
}

describe('the local Step Functions host answers as AWS does', () => {
  it('fails an execution whose wait has no usable timeout in its input with States.Runtime, which no Catch takes, before its task runs', async () => {
    system ??= await startTestSystem();
    const host = system.stepFunctions;
    const verificationExpiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const inputs = {
      'timeout-missing': { verificationExpiresAt },
      'timeout-zero': { verificationExpiresAt, verificationTimeoutSeconds: 0 },
      'timeout-text': { verificationExpiresAt, verificationTimeoutSeconds: '3600' },
    };
    for (const [name, payload] of Object.entries(inputs)) host.startExecution(name, { Payload: { requestId: name, ...payload } });
    await vi.waitFor(() => expect(Object.keys(inputs).map((name) => host.describe(name)?.status)).toEqual(['FAILED', 'FAILED', 'FAILED']), { timeout: 20_000, interval: 100 });
    for (const name of Object.keys(inputs)) {
      const execution = host.describe(name)!;
      // Missing, the task's Parameters already fail to resolve it (the engine's own States.Runtime); 0 or text, the host.
      expect(execution.error).toMatch(/^ExecutionError: .*'\$\.Payload\.verificationTimeoutSeconds' does not point to a (value|positive integer)$/);
      // It failed at its first state: the verification step never ran, so no NeedsAttention and no mail.
      expect(execution.checkpoint?.state).toBe('AwaitVerification');
    }
  });

  it('takes a start under a name already used, with another input, as the start made before: one execution, one receipt (the adapter and ExecutionAlreadyExists)', async () => {
    system ??= await startTestSystem();
    Object.assign(process.env, system.adminEnvironment);
    const person = 'replayed@example.kz';
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: person, language: 'en' });
    const requestId = String(submitted.body.reference);
    const started = system.stepFunctions.describe(requestId)!;
    // A replayed submission computes the input again, with another timeout: AWS and the host answer ExecutionAlreadyExists.
    const workflow = new StepFunctionsWorkflow(() => system!.stepFunctions.stateMachineArn);
    await workflow.start({ requestId, verificationExpiresAt: new Date(Date.now() + 60_000).toISOString(), verificationTimeoutSeconds: 60, sourceIds: ['customers'], recordsConsent: false });
    expect(system.stepFunctions.describe(requestId)!.input).toEqual(started.input);
    expect(await workflow.status(requestId)).toBe('RUNNING');
    await vi.waitFor(async () => expect(await mailsTo(person)).toHaveLength(1), { timeout: 30_000, interval: 200 });
    const [receipt] = await mailsTo(person);
    expect(receipt!.subject).toBe(`[${requestId}] We have received your request — please confirm it`);
    expect(receipt!.text).toMatch(/\/verify\?code=[A-Za-z0-9_-]{43}&lang=en/);
    const requests = new DynamoRequestStore(documentClient(), process.env[Settings.requestsTable]!, process.env[Settings.auditTable]!);
    expect((await requests.get(requestId)).status).toBe('AWAITING_VERIFICATION');
  });

  it('fulfils, not closes, a request confirmed just as its wait ended (marked, or begun as it was confirmed): CloseUnverified says so and the synthesized machine goes on to the answer', async () => {
    system ??= await startTestSystem();
    Object.assign(process.env, system.adminEnvironment);
    const requests = new DynamoRequestStore(documentClient(), process.env[Settings.requestsTable]!, process.env[Settings.auditTable]!);
    // Both at once: each waits out the same 15 s.
    await Promise.all(
      (['marked', 'begun'] as const).map(async (how) => {
        const person = `confirmed-late-${how}@example.kz`;
        const requestId = await receipted(person);
        // An execution of the request whose wait ends in 15 s: its step has kept its token (joining the link mailed),
        // and the confirmation lands without reaching that wait, as when it comes in the instant the wait times out.
        // (The step takes about a second; the wait leaves room for a loaded machine.)
        const late = `${requestId}-late`;
        await startedBefore(requestId, late, 15);
        const begun = how === 'begun';
        expect(await requests.markVerified(requestId, new Date().toISOString(), () => begun)).toMatchObject({ outcome: 'marked', request: { status: begun ? 'IN_PROGRESS' : 'AWAITING_VERIFICATION' } });
        await vi.waitFor(() => expect(system!.stepFunctions.describe(late)?.status).toBe('SUCCEEDED'), { timeout: 60_000, interval: 200 });
        const [receipt, answer, ...more] = await mailsTo(person);
        expect(more).toEqual([]);
        expect(receipt!.subject).toBe(`[${requestId}] We have received your request — please confirm it`);
        expect(answer!.subject).toBe(`[${requestId}] Answer to your request`);
        expect(answer!.text).toContain('We hold no personal data about you in the systems searched.');
        expect((await requests.get(requestId)).status).toBe('COMPLETED');
      }),
    );
  }, 120_000);

  it('plans a begun request whose execution started without sources in its input (started by the previous release during a deploy), instead of failing the Choice', async () => {
    system ??= await startTestSystem();
    Object.assign(process.env, system.adminEnvironment);
    const person = 'begun-old-input@example.kz';
    const requestId = await receipted(person);
    const old = `${requestId}-old`;
    await startedBefore(requestId, old, 600);
    const requests = new DynamoRequestStore(documentClient(), process.env[Settings.requestsTable]!, process.env[Settings.auditTable]!);
    const { request } = await requests.markVerified(requestId, new Date().toISOString(), () => true);
    await system.stepFunctions.sendTaskSuccess(system.stepFunctions.liveTaskToken(old)!, { verifiedAt: request.verifiedAt!, begun: true });
    await vi.waitFor(() => expect(system!.stepFunctions.describe(old)?.status).toBe('SUCCEEDED'), { timeout: 60_000, interval: 200 });
    const [, answer, ...more] = await mailsTo(person);
    expect(more).toEqual([]);
    expect(answer!.subject).toBe(`[${requestId}] Answer to your request`);
    expect((await requests.get(requestId)).status).toBe('COMPLETED');
  }, 120_000);

  it('takes a forged release (a leaked token saying an unconfirmed request began) to the operator: nothing changed, nothing answered; confirmed and resumed, it is fulfilled', async () => {
    system ??= await startTestSystem();
    Object.assign(process.env, system.adminEnvironment);
    const person = 'forged-release@example.kz';
    const requestId = await receipted(person);
    await vi.waitFor(() => expect(system!.stepFunctions.describe(requestId)?.pendingTask?.functionDone).toBe(true), { timeout: 14_000, interval: 100 });
    await system.stepFunctions.sendTaskSuccess(system.stepFunctions.liveTaskToken(requestId)!, { verifiedAt: new Date().toISOString(), begun: true });
    // The sources refuse it (each source's retries), the Answer step finds it unfit and has it planned, and planning
    // refuses an unconfirmed request: the execution waits for the operator at NeedsAttention — once that step's
    // function has returned, since the wait it records is what the operator resumes (entering the state records nothing).
    await vi.waitFor(
      () => {
        const execution = system!.stepFunctions.describe(requestId);
        expect([execution?.checkpoint?.state, execution?.pendingTask?.state, execution?.pendingTask?.functionDone]).toEqual(['NeedsAttention', 'NeedsAttention', true]);
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(system.stepFunctions.describe(requestId)?.status).toBe('RUNNING');
    const requests = new DynamoRequestStore(documentClient(), process.env[Settings.requestsTable]!, process.env[Settings.auditTable]!);
    const stands = await requests.get(requestId);
    expect(stands.status).toBe('AWAITING_VERIFICATION');
    expect(stands.verifiedAt).toBeUndefined();
    expect(await mailsTo(person)).toHaveLength(1);
    // The person confirms (the wait their link would release is over), the operator resumes: planned now, the
    // sources are searched and the answer says what they hold.
    await requests.markVerified(requestId, new Date().toISOString(), () => true);
    expect((await operatorCall(system, 'POST', `/operator/requests/${requestId}/resume`)).status).toBe(200);
    await vi.waitFor(() => expect(system!.stepFunctions.describe(requestId)?.status).toBe('SUCCEEDED'), { timeout: 60_000, interval: 200 });
    const [, answer, ...more] = await mailsTo(person);
    expect(more).toEqual([]);
    expect(answer!.subject).toBe(`[${requestId}] Answer to your request`);
    expect(answer!.text).toContain('We hold no personal data about you in the systems searched.');
    expect((await requests.get(requestId)).status).toBe('COMPLETED');
  }, 120_000);
});
