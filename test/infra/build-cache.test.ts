import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CacheEntry, holdBuild, KEY_IN_USE_MS, KEYS_KEPT } from '../../infra/local/build-cache.ts';
import { REPO_ROOT } from '../../infra/names.ts';

const HOUR = 60 * 60 * 1000;

/** A key of `kind` built once, its folder last used `ageMs` ago. */
async function keyUsed(root: string, key: string, ageMs: number): Promise<void> {
  await new CacheEntry('templates', key, root).replace(() => undefined);
  const at = new Date(Date.now() - ageMs);
  utimesSync(join(root, 'templates', key), at, at);
}

describe('the build cache', () => {
  it('removes the keys of a kind beyond the newest used, unless used within the hour, when it builds a new one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'derbes-cache-'));
    for (let n = 0; n < KEYS_KEPT + 4; n++) await keyUsed(root, `old-${String(n).padStart(2, '0')}`, (n + 2) * HOUR);
    await keyUsed(root, 'recent', KEY_IN_USE_MS / 2);
    mkdirSync(join(root, 'functions', 'other-kind'), { recursive: true });

    await new CacheEntry('templates', 'new', root).replace(() => undefined);

    const kept = readdirSync(join(root, 'templates')).sort();
    // The new key, the one used half an hour ago, and the newest of the old ones up to KEYS_KEPT in all.
    expect(kept).toEqual(['new', ...Array.from({ length: KEYS_KEPT - 2 }, (_, n) => `old-${String(n).padStart(2, '0')}`), 'recent'].sort());
    expect(readdirSync(join(root, 'functions'))).toEqual(['other-kind']);
  });

  it('marks a key used when it is read, so an old key read again is kept', async () => {
    const root = mkdtempSync(join(tmpdir(), 'derbes-cache-'));
    for (let n = 0; n < KEYS_KEPT + 2; n++) await keyUsed(root, `old-${String(n).padStart(2, '0')}`, (n + 2) * HOUR);
    const oldest = `old-${String(KEYS_KEPT + 1).padStart(2, '0')}`;
    expect(new CacheEntry('templates', oldest, root).current()).toBeDefined();

    await new CacheEntry('templates', 'new', root).replace(() => undefined);

    expect(readdirSync(join(root, 'templates'))).toContain(oldest);
    expect(readdirSync(join(root, 'templates'))).toHaveLength(KEYS_KEPT);
  });

  it('keeps a key past KEYS_KEPT and the hour while a live process holds one of its builds', async () => {
    const root = mkdtempSync(join(tmpdir(), 'derbes-cache-'));
    const build = await new CacheEntry('templates', 'held', root).replace(() => undefined);
    const release = holdBuild(build);
    utimesSync(join(root, 'templates', 'held'), new Date(Date.now() - 3 * KEY_IN_USE_MS), new Date(Date.now() - 3 * KEY_IN_USE_MS));
    for (let n = 0; n < KEYS_KEPT; n++) await new CacheEntry('templates', `new-${n}`, root).replace(() => undefined);
    expect(existsSync(build)).toBe(true);

    release();
    await new CacheEntry('templates', 'newest', root).replace(() => undefined);
    expect(readdirSync(join(root, 'templates'))).not.toContain('held');
  });

  it('takes a hold left by a process that ended without letting go (a crash) for none', async () => {
    const root = mkdtempSync(join(tmpdir(), 'derbes-cache-'));
    const entry = new CacheEntry('functions', 'key', root);
    const build = await entry.replace(() => undefined);
    // Another Node process holds the build and ends (the Node the project installs strips the module's types).
    const module = pathToFileURL(join(REPO_ROOT, 'infra/local/build-cache.ts')).href;
    execFileSync(process.execPath, ['--input-type=module', '-e', `import { holdBuild } from ${JSON.stringify(module)}; holdBuild(${JSON.stringify(build)});`]);
    expect(readdirSync(join(build, '.held'))).toHaveLength(1);
    const heldHere = await entry.replace(() => undefined);
    const release = holdBuild(heldHere);

    for (let n = 0; n < 3; n++) await entry.replace(() => undefined);
    expect(existsSync(build)).toBe(false);
    expect(existsSync(heldHere)).toBe(true);
    release();
  });
});
