import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../infra/bundling.ts';
import { REPO_ROOT } from '../../infra/names.ts';

const PROBE = join(REPO_ROOT, '.scratch', 'bundle-function-probe');
const out = mkdtempSync(join(tmpdir(), 'derbes-bundle-function-'));
afterAll(() => [PROBE, out].forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('bundleFunction (how `cdk synth` bundles a function: synchronously, on a bundler thread)', () => {
  it('writes a bundle whose handler runs, then another with the same thread, and throws esbuild’s error for an entry that is not there', async () => {
    mkdirSync(PROBE, { recursive: true });
    writeFileSync(join(PROBE, 'first.ts'), "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const handler = async () => typeof new DynamoDBClient({ region: 'us-east-1' }).send;\n");
    writeFileSync(join(PROBE, 'second.ts'), "export const handler = async () => 'second';\n");

    bundleFunction(join(PROBE, 'first.ts'), join(out, 'first'), REPO_ROOT);
    bundleFunction(join(PROBE, 'second.ts'), join(out, 'second'), REPO_ROOT);
    const first = (await import(pathToFileURL(join(out, 'first', 'index.mjs')).href)) as { handler: () => Promise<string> };
    const second = (await import(pathToFileURL(join(out, 'second', 'index.mjs')).href)) as { handler: () => Promise<string> };
    expect([await first.handler(), await second.handler()]).toEqual(['function', 'second']);

    expect(() => bundleFunction(join(PROBE, 'missing.ts'), join(out, 'missing'), REPO_ROOT)).toThrow(/bundling .*missing\.ts: .*Could not resolve/s);
    expect(existsSync(join(out, 'missing', 'index.mjs'))).toBe(false);
  });
});
