import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFunctions } from '../../infra/local/function-bundles.ts';
import { REPO_ROOT } from '../../infra/names.ts';

const PROBE = join('.scratch', 'function-bundles-probe');

/** A function whose handler imports a module of its own, as the functions import the domain. */
function writeProbe(word: string): void {
  mkdirSync(join(REPO_ROOT, PROBE), { recursive: true });
  writeFileSync(join(REPO_ROOT, PROBE, 'word.ts'), `export const word = '${word}';\n`);
  writeFileSync(join(REPO_ROOT, PROBE, 'handler.ts'), `import { word } from './word.ts';\nexport const handler = async () => word;\n`);
}

describe("the functions' bundles (the local runtime's build cache, filled once per test run by its global setup)", () => {
  it('are built again when a module a function imports changes, and reused while nothing changed', async () => {
    const functions = [{ logicalId: 'Probe', entry: join(PROBE, 'handler.ts') }];
    rmSync(join(REPO_ROOT, PROBE), { recursive: true, force: true });
    writeProbe('first');

    const built = await buildFunctions(functions);
    expect(readFileSync(join(built.directory, 'Probe.mjs'), 'utf8')).toContain('first');
    const reused = await buildFunctions(functions);
    expect(reused).toEqual({ directory: built.directory, rebuilt: false });

    writeProbe('second');
    const rebuilt = await buildFunctions(functions);
    expect(rebuilt.rebuilt).toBe(true);
    expect(rebuilt.directory).not.toBe(built.directory);
    expect(readFileSync(join(rebuilt.directory, 'Probe.mjs'), 'utf8')).toContain('second');
  });
});
