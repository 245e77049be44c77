import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost, MAX_EVENT_BYTES, MAX_RESULT_BYTES } from '../../infra/local/function-host.ts';
import type { LocalFunction } from '../../infra/local/template.ts';
import { REPO_ROOT } from '../../infra/names.ts';

/** A local function gets what its template gives it, no more: its MemorySize and its Timeout, as in Lambda. */
const dir = mkdtempSync(join(tmpdir(), 'derbes-function-limits-'));
const runtime = join(dir, 'lambda-runtime.mjs');
const bundle = join(dir, 'greedy.mjs');
let host: FunctionHost;

beforeAll(async () => {
  await build({ entryPoints: [join(REPO_ROOT, 'infra/local/lambda-runtime.ts')], outfile: runtime, bundle: true, format: 'esm', platform: 'node', logLevel: 'silent' });
  // Asked to, it holds ever more memory, spins for ever, or answers with a text of so many characters; otherwise it
  // answers at once, with the length of the text it was given.
  writeFileSync(
    bundle,
    `export const handler = async (event) => {
      if (event.hold) { const held = []; for (;;) held.push(new Array(1e6).fill(held.length)); }
      if (event.spin) for (;;);
      if (event.answer) return 'x'.repeat(event.answer);
      return event.text ? event.text.length : 'done';
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

  it("answers with at most Lambda's 6 MB of JSON: a larger answer fails the invocation as Lambda fails it", async () => {
    // The JSON of a text is the text and its two quotes.
    expect(await host.invoke('Greedy', { answer: MAX_RESULT_BYTES - 2 })).toHaveLength(MAX_RESULT_BYTES - 2);
    await expect(host.invoke('Greedy', { answer: MAX_RESULT_BYTES - 1 })).rejects.toMatchObject({ name: 'Function.ResponseSizeTooLarge', message: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' });
    expect(await host.invoke('Greedy', {})).toBe('done');
  });

  it("takes an event of at most Lambda's 6 MB of JSON: a larger one is refused before the function runs", async () => {
    const text = (bytes: number) => 'x'.repeat(bytes - JSON.stringify({ text: '' }).length);
    expect(await host.invoke('Greedy', { text: text(MAX_EVENT_BYTES) })).toBe(MAX_EVENT_BYTES - 11);
    await expect(host.invoke('Greedy', { text: text(MAX_EVENT_BYTES + 1) })).rejects.toMatchObject({ name: 'RequestEntityTooLargeException', message: /^6291457 byte payload is too large/ });
  });
});
