import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT, STACK_NAME } from '../names.ts';
import { CacheEntry } from './build-cache.ts';
import type { CfnTemplate } from './template.ts';

/** What a synthesis reads: the CDK app and the code it names, the rules, the installed packages, the profile. */
const SOURCES = ['infra', 'functions', 'rules'];
/** The local runtime reads the template; it does not shape it. */
const NOT_AN_INPUT = join('infra', 'local');

function files(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

/**
 * A digest of the code a synthesis loads: every source under `root` by path (relative to it), size and modification
 * time, and the lockfile.
 */
function sourcesDigest(root: string): string {
  const hash = createHash('sha256');
  const notAnInput = join(root, NOT_AN_INPUT);
  for (const path of SOURCES.flatMap((dir) => files(join(root, dir))).filter((p) => !p.startsWith(notAnInput)).sort()) {
    const { size, mtimeMs } = statSync(path);
    hash.update(`${relative(root, path)} ${size} ${mtimeMs}\n`);
  }
  hash.update(readFileSync(join(root, 'package-lock.json')));
  return hash.digest('hex');
}

/** The cache key of a synthesis: the sources' digest and the profile by content. */
function fingerprint(sources: string, profilePath: string): string {
  return createHash('sha256').update(sources).update(readFileSync(profilePath)).digest('hex');
}

/**
 * The sources' digest when this process first loaded the CDK app. A module loads once per process, so a process
 * that lives on (the test run's synthesis service, test/support/app-template.ts) keeps synthesizing the code it loaded
 * then, whatever changed since.
 */
let appLoadedFrom: string | undefined;

/** The sources changed after this process loaded the CDK app: it would synthesize the old code. */
export class StaleAppError extends Error {
  override readonly name = 'StaleAppError';
}

export interface SynthesisOptions {
  /**
   * The folder whose infra/, functions/, rules/ and package-lock.json the cache key digests; REPO_ROOT unless a test
   * changes a copy of them instead of the shared checkout. The CDK app loaded is always this checkout's.
   */
  readonly sourcesRoot?: string;
}

/**
 * The template `cdk synth` makes of the app for this profile, copied into `outdir`; synthesized only when an input
 * changed since the last synthesis for this profile (by any runtime on this checkout), so a restart — or the next
 * test with the same profile — waits for nothing but the database.
 */
export async function synthesize(
  profilePath: string,
  outdir: string,
  { sourcesRoot = REPO_ROOT }: SynthesisOptions = {},
): Promise<{ template: CfnTemplate; synthesized: boolean }> {
  const file = `${STACK_NAME}.template.json`;
  const sources = sourcesDigest(sourcesRoot);
  const cache = new CacheEntry('templates', fingerprint(sources, profilePath));
  let build = cache.current();
  const synthesized = !build;
  // Never a template of the code loaded before a change, under the fingerprint of the code after it.
  if (!build && appLoadedFrom !== undefined && appLoadedFrom !== sources) {
    throw new StaleAppError('the sources changed since this process loaded the CDK app; synthesize in a new process');
  }
  build ??= await cache.replace(async (directory) => {
    // The CDK and cdk-nag load only when there is something to synthesize: a restart reads the cached template.
    // Recorded before the import: a change while it loads makes the next synthesis here refuse, never trust it.
    appLoadedFrom ??= sources;
    const { createApp } = await import('../app.ts');
    createApp({ profilePath, outdir: directory, skipBundling: true }).app.synth();
  });
  mkdirSync(outdir, { recursive: true });
  copyFileSync(join(build, file), join(outdir, file));
  return { template: JSON.parse(readFileSync(join(outdir, file), 'utf8')) as CfnTemplate, synthesized };
}
