import { join, resolve } from 'node:path';
import { buildFunctions } from '../../infra/local/function-bundles.ts';
import { synthesize } from '../../infra/local/synthesis.ts';
import { LocalTemplate, type CfnTemplate } from '../../infra/local/template.ts';
import { DEFAULT_PROFILE, REPO_ROOT, STACK_NAME } from '../../infra/names.ts';

/**
 * The app's template for the profile `createApp()` reads by default, as `cdk synth` makes it without bundling (cdk-nag
 * included: a finding fails the synthesis), from the local runtime's template cache: synthesized once per change of
 * its inputs, which the local runtimes of the end-to-end files share. Copied into `.scratch/<folder>` for tools that
 * read a file.
 */
export async function appTemplate(folder: string): Promise<{ template: CfnTemplate; file: string }> {
  const outdir = join(REPO_ROOT, '.scratch', folder);
  const { template } = await synthesize(resolve(REPO_ROOT, process.env.DERBES_PROFILE ?? DEFAULT_PROFILE), outdir);
  return { template, file: join(outdir, `${STACK_NAME}.template.json`) };
}

/**
 * Vitest's global setup, before the files start: fills the build caches the local runtimes of the files share, so
 * that files started at the same moment do not each build the same thing —
 * - the default profile's template (a cache miss is ~8 s of CPU);
 * - the functions' bundles (esbuild on every core; three files starting together each bundled before).
 */
export default async function buildOnce(): Promise<void> {
  const { template } = await appTemplate('cdk.out.shared');
  await buildFunctions(new LocalTemplate(template, 'http://localhost').functions().values());
}
