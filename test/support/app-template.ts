import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildFunctions } from '../../infra/local/function-bundles.ts';
import { StaleAppError, synthesize, type SynthesisOptions } from '../../infra/local/synthesis.ts';
import { LocalTemplate, type CfnTemplate } from '../../infra/local/template.ts';
import { DEFAULT_PROFILE, REPO_ROOT, STACK_NAME } from '../../infra/names.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test run's template synthesis (test/support/app-template.ts), if the run has one: POST a profile's path. */
    templateSynthesis?: string;
  }
}

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
 * - the functions' bundles (esbuild on every core; three files starting together each bundled before);
 * and then synthesizes, for the rest of the run, the template of any other profile a file is about to start a local
 * runtime with (test/support/local-system.ts asks, by the profile's path). They are synthesized in Vitest's main
 * process, where the global setup runs and which lives for the whole run: it pays once for loading the CDK and cdk-nag
 * and for their first synthesis (~6 of those ~8 s); each further profile costs it about half a second. Once the
 * sources change during the run it refuses (startTemplateSynthesis), and the file synthesizes in its own worker. The runtime in the file then finds the template in the cache, as it would after any
 * earlier start with that profile: the same `synthesize`, the same cache, the same template.
 */
export default async function buildOnce(project: TestProject): Promise<() => Promise<void>> {
  const { template } = await appTemplate('cdk.out.shared');
  await buildFunctions(new LocalTemplate(template, 'http://localhost').functions().values());

  const service = await startTemplateSynthesis();
  project.provide('templateSynthesis', service.url);
  return service.close;
}

/**
 * The run's template synthesis: POST a profile's path; 204 once its template is in the cache, 409 when the sources
 * changed since this process loaded the CDK app (it would synthesize the old code: the asking file synthesizes in
 * its own, fresh process instead), 500 with the error's text when the synthesis failed. `options` go to each
 * `synthesize` (test/infra/synthesis-service.test.ts digests a copy of the sources, which it changes).
 */
export async function startTemplateSynthesis(options: SynthesisOptions = {}): Promise<{ url: string; close: () => Promise<void> }> {
  // One synthesis at a time: a second request for the same profile then finds the first one's template cached.
  let queue: Promise<unknown> = Promise.resolve();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const synthesis = queue.then(() => synthesize(body, join(REPO_ROOT, '.scratch', 'cdk.out.synthesis'), options));
      queue = synthesis.catch(() => undefined);
      synthesis.then(
        () => response.writeHead(204).end(),
        (error: Error) =>
          response.writeHead(error instanceof StaleAppError ? 409 : 500, { 'content-type': 'text/plain' }).end(`${error.name}: ${error.message}`),
      );
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((closed) => {
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}
