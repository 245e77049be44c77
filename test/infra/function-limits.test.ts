import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost } from '../../infra/local/function-host.ts';
import type { LocalFunction } from '../../infra/local/template.ts';
import { REPO_ROOT } from '../../infra/names.ts';

/** A local function gets what its template gives it, no more: its MemorySize and its Timeout, as in Lambda. */
const dir = mkdtempSync(join(tmpdir(), 'derbes-function-limits-'));
const runtime = join(dir, 'lambda-runtime.mjs');
const bundle = join(dir, 'greedy.mjs');
let host: FunctionHost;

beforeAll(async () => {
  await build({ entryPoints: [join(REPO_ROOT, 'infra/local/lambda-runtime.ts')], outfile: runtime, bundle: true, format: 'esm', platform: 'node', logLevel: 'silent' });
  // Asked to, it holds ever more memory, or spins for ever; otherwise it answers at once.
  writeFileSync(
    bundle,
    `export const handler = async (event) => {
      if (event.hold) { const held = []; for (;;) held.push(new Array(1e6).fill(held.length)); }
      if (event.spin) for (;;);
      return 'done';
    };\n`,
  );
  const fn = (logicalId: string): [string, LocalFunction] => [logicalId, { logicalId, entry: 'greedy.mjs', environment: {}, roleLogicalId: 'Role', directories: [], timeoutSeconds: 2, memorySize: 128, logging: { format: 'Text' } }];
  host = new FunctionHost(new Map([fn('Greedy'), fn('Spinning')]), { taskRoot: dir, files: new Map([['Greedy', bundle], ['Spinning', bundle]]), runtime, rebuilt: false }, () => ({}));
});
afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a local function within its template limits', () => {
  it('past its MemorySize fails with Runtime.OutOfMemory, and the next invocation meets a new sandbox', async () => {
    await expect(host.invoke('Greedy', { hold: true })).rejects.toMatchObject({ name: 'Runtime.OutOfMemory' });
    expect(await host.invoke('Greedy', {})).toBe('done');
  });

  it('past its Timeout fails with Sandbox.Timedout, its sandbox is ended, and the next invocation is answered by a new one', async () => {
    await expect(host.invoke('Spinning', { spin: true })).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    expect(await host.invoke('Spinning', {})).toBe('done');
  });
});
