import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildFunctions, bundleFunctions } from '../../infra/local/function-bundles.ts';
import { DEFAULT_PROFILE, REPO_ROOT } from '../../infra/names.ts';

const PROBE = join('.scratch', 'function-bundles-probe');

/** A function whose handler imports a module of its own, as the functions import the domain. */
function writeProbe(word: string): void {
  mkdirSync(join(REPO_ROOT, PROBE), { recursive: true });
  writeFileSync(join(REPO_ROOT, PROBE, 'word.ts'), `export const word = '${word}';\n`);
  writeFileSync(join(REPO_ROOT, PROBE, 'handler.ts'), `import { word } from './word.ts';\nexport const handler = async () => word;\n`);
}

/**
 * Returns once the file system's clock has moved past the probe's writing. A file written in the very instant a
 * build starts counts as changed after it (the build may have read it before the write), so a build started in that
 * instant would rightly not be reused.
 */
function afterTheProbeWasWritten(file = 'handler.ts'): void {
  const written = statSync(join(REPO_ROOT, PROBE, file)).mtimeMs;
  const tick = join(REPO_ROOT, PROBE, 'clock');
  do writeFileSync(tick, '');
  while (statSync(tick).mtimeMs <= written);
  rmSync(tick);
}

describe("buildFunctions (the local runtime's cache of the functions' bundles, which runtimes on this checkout share)", () => {
  it('are built again when a module a function imports changes, and reused while nothing changed', async () => {
    const functions = [{ logicalId: 'Probe', entry: join(PROBE, 'handler.ts') }];
    rmSync(join(REPO_ROOT, PROBE), { recursive: true, force: true });
    writeProbe('first');
    afterTheProbeWasWritten();

    const built = await buildFunctions(functions);
    expect(readFileSync(join(built.directory, 'Probe.mjs'), 'utf8')).toContain('first');
    const reused = await buildFunctions(functions);
    expect(reused).toEqual({ directory: built.directory, rebuilt: false });

    // Written right after the build: whatever the clock's granularity, not taken for a file the build read.
    writeProbe('second');
    const rebuilt = await buildFunctions(functions);
    expect(rebuilt.rebuilt).toBe(true);
    expect(rebuilt.directory).not.toBe(built.directory);
    expect(readFileSync(join(rebuilt.directory, 'Probe.mjs'), 'utf8')).toContain('second');
  });

  it('are reused for a function with a module a bundling plugin makes (no file of its own to compare)', async () => {
    mkdirSync(join(REPO_ROOT, PROBE), { recursive: true });
    writeFileSync(join(REPO_ROOT, PROBE, 'mail.ts'), "import PostalMime from 'postal-mime';\nexport const handler = async (raw: string) => (await PostalMime.parse(raw)).text;\n");
    afterTheProbeWasWritten('mail.ts');
    const functions = [{ logicalId: 'Mail', entry: join(PROBE, 'mail.ts') }];
    const built = await buildFunctions(functions);
    expect(await buildFunctions(functions)).toEqual({ directory: built.directory, rebuilt: false });
  });

  it("a running runtime's build outlives later builds until the runtime lets it go: its functions load from it on first use", async () => {
    const functions = [{ logicalId: 'Probe', entry: join(PROBE, 'handler.ts'), directories: [] }];
    rmSync(join(REPO_ROOT, PROBE), { recursive: true, force: true });
    writeProbe('running');
    afterTheProbeWasWritten();
    const running = await bundleFunctions(functions, mkdtempSync(join(tmpdir(), 'derbes-task-root-')), join(REPO_ROOT, DEFAULT_PROFILE));
    const bundle = running.files.get('Probe')!;
    try {
      // More builds than the cache keeps, as other runtimes on this checkout would make after edits.
      for (const word of ['edited-1', 'edited-2', 'edited-3', 'edited-4']) {
        writeProbe(word);
        expect((await buildFunctions(functions)).rebuilt).toBe(true);
      }
      const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: () => Promise<string> };
      expect(await handler()).toBe('running');
    } finally {
      running.release();
    }
    writeProbe('edited-5');
    await buildFunctions(functions);
    expect(existsSync(bundle)).toBe(false);
  });
});
