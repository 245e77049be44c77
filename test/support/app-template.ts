import { join, resolve } from 'node:path';
import { synthesize } from '../../infra/local/synthesis.ts';
import { DEFAULT_PROFILE, REPO_ROOT, STACK_NAME } from '../../infra/names.ts';
import type { CfnTemplate } from '../../infra/local/template.ts';

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
 * Vitest's global setup: fills the cache before the files start, so that files started at the same moment do not each
 * synthesize the template (a cache miss is ~20 s of CPU).
 */
export default async function synthesizeOnce(): Promise<void> {
  await appTemplate('cdk.out.shared');
}
