import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../names.ts';

/** Builds the local runtime reuses across starts and data folders (templates, function bundles), with the other build caches. */
export const BUILD_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'derbes');

/**
 * A cache entry built at most once per key by any number of runtimes starting at the same time: each build goes
 * into a folder of its own, and a `current` file, replaced atomically, names the one to use. The few newest builds
 * are kept, since a running runtime may still load from one.
 */
export class CacheEntry {
  private readonly directory: string;

  constructor(kind: string, key: string) {
    this.directory = join(BUILD_CACHE, kind, key);
  }

  /** The folder of the current build, if there is one. */
  current(): string | undefined {
    const pointer = join(this.directory, 'current');
    if (!existsSync(pointer)) return undefined;
    const build = join(this.directory, readFileSync(pointer, 'utf8'));
    return existsSync(build) ? build : undefined;
  }

  /** Builds into a fresh folder with `build`, then makes it the current one; returns its folder. */
  async replace(build: (directory: string) => Promise<void> | void): Promise<string> {
    const name = `${Date.now()}-${randomBytes(4).toString('hex')}`;
    const folder = join(this.directory, name);
    mkdirSync(folder, { recursive: true });
    await build(folder);
    const pointer = join(this.directory, 'current');
    writeFileSync(`${pointer}.${name}`, name);
    renameSync(`${pointer}.${name}`, pointer);
    this.prune();
    return folder;
  }

  private prune(): void {
    const builds = readdirSync(this.directory, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => ({ path: join(this.directory, e.name), at: statSync(join(this.directory, e.name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const old of builds.slice(3)) rmSync(old.path, { recursive: true, force: true });
  }
}
