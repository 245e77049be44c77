import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp, STACK_NAME } from '../../infra/app.ts';
import { REPO_ROOT } from '../../infra/constructs/derbes-function.ts';
import { LocalTemplate, type CfnTemplate } from '../../infra/local/template.ts';

describe('one workflow, two homes', () => {
  it('the local runtime runs the very state machine `cdk synth` produces (bundling included)', () => {
    const cliOut = mkdtempSync(join(tmpdir(), 'derbes-cdk-'));
    execFileSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', cliOut], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      stdio: 'pipe',
    });
    const fromCli = JSON.parse(readFileSync(join(cliOut, `${STACK_NAME}.template.json`), 'utf8')) as CfnTemplate;

    // What `npm start` does: synthesize in-process without bundling, then read the template back.
    const localOut = mkdtempSync(join(tmpdir(), 'derbes-local-'));
    createApp({ outdir: localOut, skipBundling: true }).app.synth();
    const fromRuntime = JSON.parse(readFileSync(join(localOut, `${STACK_NAME}.template.json`), 'utf8')) as CfnTemplate;

    const local = new LocalTemplate(fromRuntime, 'http://localhost:3000').stateMachine();
    const synthesized = new LocalTemplate(fromCli, 'http://localhost:3000').stateMachine();
    expect(local.definition).toEqual(synthesized.definition);
    expect(Object.keys(local.definition.States as object)).toEqual(expect.arrayContaining(['Acknowledge', 'AwaitVerification', 'PlanFulfilment', 'AwaitDecision', 'ApplyToSources', 'Answer', 'CloseUnverified']));
  }, 180_000);
});
