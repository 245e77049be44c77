import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BUNDLING_SOURCES, FUNCTION_BUILD } from '../bundling.ts';
import { REPO_ROOT } from '../names.ts';
import { CacheEntry, holdBuild } from './build-cache.ts';
import type { LocalFunction } from './template.ts';

/** The worker-side Lambda runtime is bundled with the functions, under this name. */
export const LAMBDA_RUNTIME = 'lambda-runtime';
/** As in a Lambda bundle, the operator profile sits in the task root (DERBES_PROFILE_FILE is relative to it). */
const PROFILE_FILE = 'profile.json';
const MANIFEST = 'manifest.json';
/** How esbuild's metafile names a module of a plugin's namespace (a file of the file namespace is a bare path; two letters at least, so a drive letter is not one). */
const VIRTUAL_MODULE = /^[a-z][\w-]+:/i;

export interface FunctionBundles {
  /** LAMBDA_TASK_ROOT of every function: where the profile is. */
  taskRoot: string;
  /** Function logical id → its bundle. */
  files: Map<string, string>;
  runtime: string;
  rebuilt: boolean;
}

/** The bundles a runtime runs from, held for it. */
export interface HeldFunctionBundles extends FunctionBundles {
  /** Lets the build go (holdBuild): until then, no other runtime's new build prunes it. */
  release: () => void;
}

interface Manifest {
  /**
   * When the build started, by the file system's clock (a file's modification time, fraction included): the clock
   * and precision the inputs' modification times are compared in.
   */
  builtAt: number;
  inputs: string[];
}

/** Whether a build still stands: no input changed since. */
function upToDate(build: string): boolean {
  const manifest = JSON.parse(readFileSync(join(build, MANIFEST), 'utf8')) as Manifest;
  return manifest.inputs.every((input) => {
    const path = join(REPO_ROOT, input);
    // Strictly before: a file written in the build's first instant may have changed after the build read it.
    return existsSync(path) && statSync(path).mtimeMs < manifest.builtAt;
  });
}

/**
 * Bundles every function of the template with esbuild, as `cdk synth` bundles it for Lambda (infra/bundling.ts):
 * each function then runs from its own bundle in its own worker, never from the sources the runtime itself imported.
 * Shared code is split into chunks so one build serves all; a build is reused (by any runtime on this checkout)
 * until one of its inputs or the bundling options change. Returns the build's folder (`<logical id>.mjs` each, and
 * the worker-side runtime), and whether it was built now.
 */
export async function buildFunctions(functions: Iterable<Pick<LocalFunction, 'logicalId' | 'entry'>>): Promise<{ directory: string; rebuilt: boolean }> {
  const entries = bundleEntries(functions);
  // Keyed by the checkout too: its inputs are judged by their times in this checkout, and two checkouts sharing one
  // node_modules (a worktree, a symlink) would otherwise take each other's builds for their own.
  // The options' plugins are code (JSON drops functions): the sources of the bundling are part of the key.
  const key = createHash('sha256').update(JSON.stringify({ root: REPO_ROOT, entries, FUNCTION_BUILD }));
  for (const source of BUNDLING_SOURCES) key.update(readFileSync(join(REPO_ROOT, source)));
  const cache = new CacheEntry('functions', key.digest('hex').slice(0, 16));
  const current = cache.current();
  if (current && upToDate(current)) return { directory: current, rebuilt: false };
  const directory = await cache.replace(async (outdir) => {
    writeFileSync(join(outdir, MANIFEST), '');
    const builtAt = statSync(join(outdir, MANIFEST)).mtimeMs;
    // The same options as a Lambda bundle (infra/bundling.ts); one build for all functions shares their chunks.
    const result = await build({
      ...FUNCTION_BUILD,
      absWorkingDir: REPO_ROOT,
      entryPoints: Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, join(REPO_ROOT, entry)])),
      outdir,
      metafile: true,
    });
    // Files only: esbuild names its runtime `<runtime>` and a plugin's virtual module `namespace:path` (the mail
    // parser's entity table, infra/lean-modules.ts), made from files that are inputs themselves or from the bundling's
    // sources, which key the cache. Kept, such a name is never a file, and every start would build again.
    const manifest: Manifest = { builtAt, inputs: Object.keys((result.metafile as Metafile).inputs).filter((input) => !input.startsWith('<') && !VIRTUAL_MODULE.test(input)) };
    writeFileSync(join(outdir, MANIFEST), JSON.stringify(manifest));
  });
  return { directory, rebuilt: true };
}

/** Bundle name → entry file (relative to the repository): the worker-side runtime and every function. */
function bundleEntries(functions: Iterable<Pick<LocalFunction, 'logicalId' | 'entry'>>): Record<string, string> {
  const entries: Record<string, string> = { [LAMBDA_RUNTIME]: 'infra/local/lambda-runtime.ts' };
  for (const fn of functions) entries[fn.logicalId] = fn.entry;
  return entries;
}

/**
 * The functions' bundles (buildFunctions), and their task root `taskRoot`, with the profile and the folders the
 * bundles carry. The build is held until `release`: a function loads its chunks on first use.
 */
export async function bundleFunctions(functions: Iterable<Pick<LocalFunction, 'logicalId' | 'entry' | 'directories'>>, taskRoot: string, profilePath: string): Promise<HeldFunctionBundles> {
  const definitions = [...functions];
  const { directory, rebuilt } = await buildFunctions(definitions);
  // Held at once: it is the key's current build, which no prune takes, until three newer builds are made.
  const release = holdBuild(directory);
  try {
    mkdirSync(taskRoot, { recursive: true });
    copyFileSync(profilePath, join(taskRoot, PROFILE_FILE));
    // The folders a bundle carries (the console's pages), fresh at each start; the task root is shared by the local
    // functions, so each finds them where its Lambda bundle has them.
    for (const folder of new Set(definitions.flatMap((fn) => fn.directories))) {
      rmSync(join(taskRoot, folder), { recursive: true, force: true });
      cpSync(join(REPO_ROOT, folder), join(taskRoot, folder), { recursive: true });
    }
  } catch (error) {
    release();
    throw error;
  }
  const files = new Map(Object.keys(bundleEntries(definitions)).map((name) => [name, join(directory, `${name}.mjs`)]));
  const runtime = files.get(LAMBDA_RUNTIME)!;
  files.delete(LAMBDA_RUNTIME);
  return { taskRoot, files, runtime, rebuilt, release };
}
