import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { build, type BuildOptions } from 'esbuild';
import { credentialsFromEnvironment, htmlEntitiesOnFirstUse, requireWhereUsed, sdkPackageVersionOnly, smallEndpointCacheLru } from './lean-modules.ts';
import { flattenSdkBarrels } from './sdk-barrels.ts';

/**
 * How every function is bundled, for Lambda (`cdk synth`) and for the local runtime alike: ESM for Node 24, the AWS
 * SDK included (the exact version the tests ran), minified, and split — a module reached only through `import()`
 * (the holiday library, the mail composer, the S3 and Step Functions clients, the connectors) becomes a chunk of
 * its own that a function loads on the call that needs it, not at init.
 *
 * Two choices halve what init parses (measured with esbuild's metafile, the Answer function's init 1,180 → 739 KB):
 * - `mainFields: module first`: the SDK's packages ship CommonJS as `main` and ES modules as `module`; esbuild on the
 *   node platform takes `main` unless told, and CommonJS cannot be tree-shaken, so every bundle carried whole SDK
 *   packages (the credential chain's nested clients, codecs no client here uses);
 * - `charset: utf8`: by default esbuild writes every non-ASCII character as a `\uXXXX` escape, six bytes where UTF-8
 *   takes two, and the message catalogues and rules are mostly Russian and Kazakh.
 *
 * The SDK's barrels are flattened (infra/sdk-barrels.ts): through them, the protocols and XML code of the clients a
 * function loads later sat in its init. infra/lean-modules.ts trims the rest: the SDK's credential chain to the
 * environment's credentials (what Lambda gives a function's role; the other links' ten lazy imports split the SDK's
 * code into eight more files at every init), an SDK client's package.json to its version, the mail parser's table of
 * HTML entities to a file read on first use, and `require` to the chunks that call it (bundled CommonJS code).
 *
 * No source maps: with `--enable-source-maps` Node reads the map of every module it loads, which cost 0.2–0.5 s of
 * CPU per cold start with the maps of one bundle (measured; see the README's benchmark table), on every cold start of
 * every function, for stack frames that the error reports (functions/handlers/report-errors.ts) already reduce to
 * a code, a message and frames. The frames name minified functions in the chunk files; a deploy's bundles are
 * reproducible from its commit, so a frame can be looked up by building that commit.
 */
export const FUNCTION_BUILD: BuildOptions = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  minify: true,
  mainFields: ['module', 'main'],
  charset: 'utf8',
  sourcemap: false,
  outExtension: { '.js': '.mjs' },
  logLevel: 'error',
  // The chain's module is replaced before the barrels' plugin reads it (the first plugin to load a module wins).
  plugins: [credentialsFromEnvironment(), flattenSdkBarrels(), sdkPackageVersionOnly(), htmlEntitiesOnFirstUse(), smallEndpointCacheLru(), requireWhereUsed()],
};

/**
 * The files whose code shapes a bundle besides its inputs: these options, their plugins, and the lockfile that fixes
 * the packages the plugins read (a plugin's reads are not inputs of esbuild's metafile). The local runtime's build
 * cache is keyed by their contents.
 */
export const BUNDLING_SOURCES = ['infra/bundling.ts', 'infra/sdk-barrels.ts', 'infra/lean-modules.ts', 'package-lock.json'];

/** A bundling request to the bundler thread, answered on `port` once `done` is set. */
interface BundleRequest {
  entry: string;
  outdir: string;
  absWorkingDir: string;
  port: MessagePort;
}
/** How long a synthesis waits for one function's bundle before it gives up on the bundler thread. */
const BUNDLE_TIMEOUT_MS = 5 * 60 * 1000;

let bundler: { worker: Worker; done: Int32Array } | undefined;

/**
 * Bundles one function for Lambda: `index.mjs` (exporting `handler`) and its chunks, in `outdir`. The CDK bundles
 * synchronously and esbuild runs plugins only in its asynchronous API, so the build runs on a thread of its own while
 * this one waits. One thread serves the whole synthesis, so the plugin reads and resolves the SDK's modules once, not
 * once per function (synthesis of the demo app with bundling 26.7 → 13.5–15.0 s, the same bundles).
 */
export function bundleFunction(entry: string, outdir: string, absWorkingDir: string): void {
  bundler ??= startBundler();
  const { worker, done } = bundler;
  const { port1, port2 } = new MessageChannel();
  Atomics.store(done, 0, 0);
  worker.postMessage({ entry, outdir, absWorkingDir, port: port2 } satisfies BundleRequest, [port2]);
  if (Atomics.wait(done, 0, 0, BUNDLE_TIMEOUT_MS) === 'timed-out') throw new Error(`bundling ${entry} did not end in ${BUNDLE_TIMEOUT_MS / 60_000} minutes`);
  const reply = receiveMessageOnPort(port1)?.message as { error?: string } | undefined;
  port1.close();
  if (!reply) throw new Error(`the bundler thread ended without bundling ${entry}`);
  if (reply.error) throw new Error(`bundling ${entry}: ${reply.error}`);
}

function startBundler(): { worker: Worker; done: Int32Array } {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), { workerData: { derbesBundler: done } });
  worker.unref(); // the synthesis ends when its own work does
  return { worker, done };
}

if (!isMainThread && (workerData as { derbesBundler?: Int32Array } | undefined)?.derbesBundler) {
  const done = (workerData as { derbesBundler: Int32Array }).derbesBundler;
  parentPort!.on('message', async ({ entry, outdir, absWorkingDir, port }: BundleRequest) => {
    try {
      await build({ ...FUNCTION_BUILD, absWorkingDir, entryPoints: { index: entry }, outdir });
      port.postMessage({});
    } catch (error) {
      port.postMessage({ error: (error as Error).message });
    } finally {
      port.close();
      Atomics.store(done, 0, 1);
      Atomics.notify(done, 0);
    }
  });
}
