import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, type Dirent, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../names.ts';

/** Builds the local runtime reuses across starts and data folders (templates, function bundles), with the other build caches. */
export const BUILD_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'derbes');

/** Keys of one kind kept whatever their age: a checkout's few profiles, and a build or two back. */
export const KEYS_KEPT = 8;
/** A key used this recently is kept beyond KEYS_KEPT: a runtime started from it may still load from it. */
export const KEY_IN_USE_MS = 60 * 60 * 1000;
/** A build's holds (holdBuild): a file per hold, named `<process id>-<random>`. */
const HOLDS = '.held';
const HOLD_NAME = /^([1-9]\d*)-[0-9a-f]{8}$/;

/**
 * Keeps `build` from being pruned while this process lives, until the returned function releases it: a running
 * runtime loads a function's chunks from its build on first use, maybe hours after it started. A hold left by a
 * process that ended without releasing it (a crash) counts for nothing. Throws ENOENT if the build is gone already.
 */
export function holdBuild(build: string): () => void {
  const holds = join(build, HOLDS);
  try {
    // Not recursive: a build removed meanwhile must not come back as a folder with only a hold in it.
    mkdirSync(holds);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const file = join(holds, `${process.pid}-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, '');
  return () => rmSync(file, { force: true });
}

/** What `folder` holds; nothing if another process removed it meanwhile (it may be pruning too). */
function entries(folder: string): Dirent[] {
  try {
    return readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Whether a live process holds `build`. The holds of processes that ended without releasing them go. */
function held(build: string): boolean {
  const holds = join(build, HOLDS);
  let live = false;
  for (const { name } of entries(holds)) {
    const pid = HOLD_NAME.exec(name)?.[1];
    if (pid && alive(Number(pid))) live = true;
    else rmSync(join(holds, name), { force: true });
  }
  return live;
}

/** Whether a live process holds any build of `key`. */
function holdsABuild(key: string): boolean {
  return entries(key).some((e) => e.isDirectory() && held(join(key, e.name)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it lives, as another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A cache entry built at most once per key by any number of runtimes starting at the same time: each build goes
 * into a folder of its own, and a `current` file, replaced atomically, names the one to use. The three newest builds
 * are kept, and any build a running runtime holds (holdBuild).
 *
 * Keys come and go (a test whose profile holds random ports makes a new one each run), so each new build also removes
 * the kind's keys beyond the KEYS_KEPT last used, unless used within KEY_IN_USE_MS; a key's folder is touched on
 * each use; nor is a key removed while a build of it is held.
 */
export class CacheEntry {
  private readonly kindDirectory: string;
  private readonly directory: string;

  constructor(kind: string, key: string, root = BUILD_CACHE) {
    this.kindDirectory = join(root, kind);
    this.directory = join(this.kindDirectory, key);
  }

  /** The folder of the current build, if there is one. */
  current(): string | undefined {
    const pointer = join(this.directory, 'current');
    if (!existsSync(pointer)) return undefined;
    const build = join(this.directory, readFileSync(pointer, 'utf8'));
    if (!existsSync(build)) return undefined;
    const now = new Date();
    try {
      utimesSync(this.directory, now, now);
    } catch (error) {
      // Another process pruned the key between the two calls: build it again.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return build;
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
    this.pruneKeys();
    return folder;
  }

  /** Keeps the three newest builds, by the time in their names (a hold changes a folder's time, not its age). */
  private prune(): void {
    const builds = entries(this.directory)
      .filter((e) => e.isDirectory())
      .map((e) => ({ path: join(this.directory, e.name), at: Number(e.name.split('-')[0]) }))
      .sort((a, b) => b.at - a.at);
    for (const old of builds.slice(3).filter((build) => !held(build.path))) rmSync(old.path, { recursive: true, force: true });
  }

  private pruneKeys(): void {
    const usedSince = Date.now() - KEY_IN_USE_MS;
    const keys = entries(this.kindDirectory)
      .filter((e) => e.isDirectory())
      // Another process may be pruning too: a key gone meanwhile is left out.
      .flatMap((e) => {
        const path = join(this.kindDirectory, e.name);
        const at = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
        return at === undefined ? [] : [{ path, at }];
      })
      .sort((a, b) => b.at - a.at);
    for (const old of keys.slice(KEYS_KEPT).filter((key) => key.at < usedSince && !holdsABuild(key.path))) rmSync(old.path, { recursive: true, force: true });
  }
}
