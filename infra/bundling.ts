import { buildSync, type BuildOptions } from 'esbuild';

/** ESM bundles of CommonJS dependencies (the holiday library, pdfkit) need `require`; every chunk gets one. */
export const ESM_REQUIRE_BANNER = "import { createRequire as __derbesRequire } from 'node:module'; const require = __derbesRequire(import.meta.url);";

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
  banner: { js: ESM_REQUIRE_BANNER },
  logLevel: 'error',
};

/** Bundles one function for Lambda: `index.mjs` (exporting `handler`) and its chunks, in `outdir`. */
export function bundleFunction(entry: string, outdir: string, absWorkingDir: string): void {
  buildSync({ ...FUNCTION_BUILD, absWorkingDir, entryPoints: { index: entry }, outdir });
}
