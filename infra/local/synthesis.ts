import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT, STACK_NAME } from '../names.ts';
import { CacheEntry } from './build-cache.ts';
import type { CfnTemplate } from './template.ts';

/** What a synthesis reads: the CDK app and the code it names, the rules, the installed packages, the profile. */
const SOURCES = ['infra', 'functions', 'rules'];
/** The local runtime reads the template; it does not shape it. */
const NOT_AN_INPUT = join(REPO_ROOT, 'infra', 'local');

function files(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

/** A digest of every input by path, size and modification time (and the profile and lockfile by content). */
function fingerprint(profilePath: string): string {
  const hash = createHash('sha256');
  for (const path of SOURCES.flatMap((dir) => files(join(REPO_ROOT, dir))).filter((p) => !p.startsWith(NOT_AN_INPUT)).sort()) {
    const { size, mtimeMs } = statSync(path);
    hash.update(`${relative(REPO_ROOT, path)} ${size} ${mtimeMs}\n`);
  }
  hash.update(readFileSync(join(REPO_ROOT, 'package-lock.json')));
  hash.update(readFileSync(profilePath));
  return hash.digest('hex');
}

/**
 * The template `cdk synth` makes of the app for this profile, copied into `outdir`; synthesized only when an input
 * changed since the last synthesis for this profile (by any runtime on this checkout), so a restart — or the next
 * test with the same profile — waits for nothing but the database.
 */
export async function synthesize(profilePath: string, outdir: string): Promise<{ template: CfnTemplate; synthesized: boolean }> {
  const file = `${STACK_NAME}.template.json`;
  const cache = new CacheEntry('templates', fingerprint(profilePath));
  let build = cache.current();
  const synthesized = !build;
  build ??= await cache.replace(async (directory) => {
    // The CDK and cdk-nag load only when there is something to synthesize: a restart reads the cached template.
    const { createApp } = await import('../app.ts');
    createApp({ profilePath, outdir: directory, skipBundling: true }).app.synth();
  });
  mkdirSync(outdir, { recursive: true });
  copyFileSync(join(build, file), join(outdir, file));
  return { template: JSON.parse(readFileSync(join(outdir, file), 'utf8')) as CfnTemplate, synthesized };
}
