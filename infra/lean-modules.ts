import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

/** An AWS SDK client's package.json, which its runtime configuration imports whole for one field. */
const SDK_PACKAGE_JSON = /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/;

/**
 * An SDK client's runtime configuration imports its package.json for the version it puts in the user agent, and a
 * default import of JSON keeps the whole file: 2.4 KB of descriptions, scripts and dependency lists at the init of
 * every function, and again in each client it loads later. The bundle gets the version alone; a client reading any
 * other field would find it missing in its tests here (none does: `packageInfo.version` is the only use).
 */
export function sdkPackageVersionOnly(): Plugin {
  return {
    name: 'sdk-package-version-only',
    setup(build) {
      build.onLoad({ filter: SDK_PACKAGE_JSON }, ({ path }) => {
        const { version } = JSON.parse(readFileSync(path, 'utf8')) as { version: string };
        return { contents: JSON.stringify({ version }), loader: 'json' };
      });
    },
  };
}

/** The module of the SDK's default credential chain (the flattened barrels import it by its file). */
const CREDENTIAL_CHAIN = /[\\/]node_modules[\\/]@aws-sdk[\\/]credential-provider-node[\\/]dist-es[\\/]defaultProvider\.js$/;

/** The chain module's own exports besides the chain, which its package's index re-exports: kept as the SDK writes them. */
const CHAIN_PREDICATES = ['credentialsWillNeedRefresh', 'credentialsTreatedAsExpired'];

/**
 * A function's AWS credentials are its role's, which Lambda (and the local runtime, for the role it emulates) puts in
 * the environment. The SDK's default chain reads the environment first, and so never goes further here; the rest of
 * it (SSO, shared files, processes, web identity, the container and instance endpoints, with the STS, SSO and sign-in
 * clients they bring) is code a function carries but never runs, and each of its ten lazily imported providers split
 * the SDK's shared code into more chunks at every init. Clients here get the environment's credentials alone; where
 * they are missing, a call fails as the chain's first link does ("Unable to find environment variable credentials").
 * They are memoized as the chain memoizes them (its own `memoizeChain`, read again only when they near their
 * expiration): without it a client read six variables of the environment and built its credentials on every call
 * (1.2 s of the 77 s a verification function's worker was busy in a profile of bench:intake).
 * The module's two other exports (whether credentials expire, and whether they are about to) keep the SDK's own
 * one-line definitions, taken from the file; a version that no longer defines them on one line fails the build, and
 * a test checks what they return.
 */
export function credentialsFromEnvironment(): Plugin {
  return {
    name: 'credentials-from-environment',
    setup(build) {
      build.onLoad({ filter: CREDENTIAL_CHAIN }, ({ path }) => {
        const source = readFileSync(path, 'utf8');
        const predicates = CHAIN_PREDICATES.map((name) => {
          const line = source.split('\n').find((candidate) => candidate.startsWith(`export const ${name} = `));
          if (!line?.trim().endsWith(';')) throw new Error(`${path}: no one-line \`export const ${name}\`; the credential chain's module has changed`);
          return line;
        });
        return {
          contents: [
            "import { fromEnv } from '@aws-sdk/credential-provider-env';",
            "import { memoizeChain } from './runtime/memoize-chain';",
            'export const defaultProvider = (init = {}) => memoizeChain([fromEnv(init)], credentialsTreatedAsExpired);',
            ...predicates,
          ].join('\n'),
          resolveDir: dirname(path),
          loader: 'js',
        };
      });
    },
  };
}

/** postal-mime's table of HTML's named character references. */
const POSTAL_MIME_ENTITIES = /[\\/]node_modules[\\/]postal-mime[\\/]dist[\\/]esm[\\/]html-entities\.js$/;
const TABLE_NAMESPACE = 'html-entities-table';

/**
 * postal-mime converts an HTML part to text (and so decodes its character references) only when a message mixes
 * parts of both kinds; its module of all 2,231 named references (38 KB minified) is imported by its parser all the
 * same, and so sat in the init of the mail intake function, a twelfth of what that init parses. Here the table leaves
 * the code for a JSON file of the bundle (esbuild's `file` loader writes it beside the chunks and hands the module its
 * name), read the first time postal-mime looks an entity up: the same table, the same lookups, synchronously as
 * before, read at most once by each instance of the module (a process, or a worker).
 */
export function htmlEntitiesOnFirstUse(): Plugin {
  return {
    name: 'html-entities-on-first-use',
    setup(build) {
      build.onLoad({ filter: POSTAL_MIME_ENTITIES }, ({ path }) => ({
        contents: [
          "import { readFileSync } from 'node:fs';",
          `import tableFile from ${JSON.stringify(path)} with { type: '${TABLE_NAMESPACE}' };`,
          'let table;',
          'export const htmlEntities = new Proxy({}, {',
          "  get: (_, name) => (table ??= JSON.parse(readFileSync(new URL(tableFile, import.meta.url), 'utf8')))[name],",
          '});',
        ].join('\n'),
        loader: 'js',
      }));
      build.onResolve({ filter: POSTAL_MIME_ENTITIES }, ({ path, with: attributes }) =>
        attributes.type === TABLE_NAMESPACE ? { path: path.replace(/\.js$/, '.json'), namespace: TABLE_NAMESPACE } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: TABLE_NAMESPACE }, async ({ path }) => {
        const { htmlEntities } = (await import(pathToFileURL(path.replace(/\.json$/, '.js')).href)) as { htmlEntities: Record<string, string> };
        return { contents: JSON.stringify(htmlEntities), loader: 'file' };
      });
    },
  };
}

/** The LRU cache the SDK's endpoint cache imports (DynamoDB's client carries it for endpoint discovery). */
const MNEMONIST_LRU = /^mnemonist\/lru-cache$/;
const LRU_NAMESPACE = 'endpoint-cache-lru';

/**
 * DynamoDB's client imports the SDK's endpoint cache for endpoint discovery (off for DynamoDB unless asked for), and it
 * brings mnemonist's LRU cache with its iterators and typed-array helpers: 7 KB minified at the init of every function
 * that reads a table. The endpoint cache uses six of its members — a constructor taking the capacity, get and set
 * (which make an entry the most recently used), peek and has (which do not), and clear —; a Map keeps that order
 * itself. Over capacity, the least recently used entry goes, as in mnemonist. A test runs the endpoint cache on both.
 */
export function smallEndpointCacheLru(): Plugin {
  return {
    name: 'small-endpoint-cache-lru',
    setup(build) {
      build.onResolve({ filter: MNEMONIST_LRU }, ({ path }) => ({ path, namespace: LRU_NAMESPACE }));
      build.onLoad({ filter: /.*/, namespace: LRU_NAMESPACE }, () => ({
        contents: [
          'export default class LRUCache {',
          '  constructor(capacity) { this.capacity = capacity; this.items = new Map(); }',
          '  get(key) { if (!this.items.has(key)) return undefined; const value = this.items.get(key); this.items.delete(key); this.items.set(key, value); return value; }',
          '  set(key, value) { this.items.delete(key); this.items.set(key, value); if (this.items.size > this.capacity) this.items.delete(this.items.keys().next().value); return this; }',
          '  peek(key) { return this.items.get(key); }',
          '  has(key) { return this.items.has(key); }',
          '  clear() { this.items.clear(); }',
          '}',
        ].join('\n'),
        loader: 'js',
      }));
    },
  };
}

/** What gives an ES module chunk the `require` that esbuild's shim for bundled CommonJS code (the holiday library) calls. */
export const REQUIRE_PRELUDE = "import { createRequire as __derbesRequire } from 'node:module'; const require = __derbesRequire(import.meta.url);\n";

/**
 * Bundled CommonJS code loads Node's own modules through esbuild's `__require` shim, which needs a `require` in scope,
 * and an ES module has none. esbuild's banner would put one in every chunk: a `createRequire` and an import at the
 * init of each of some twenty files. This gives it, after the build, to the chunks that write the word: the one with
 * the shim, and a few that only name it in a string (an import more, harmless). A chunk that never writes the word
 * cannot reach the binding.
 */
export function requireWhereUsed(): Plugin {
  return {
    name: 'require-where-used',
    setup(build) {
      if (build.initialOptions.write === false) throw new Error('require-where-used edits the chunks written to disk; build with `write: true`');
      build.initialOptions.metafile = true;
      build.onEnd((result) => {
        if (result.errors.length > 0) return;
        const needsRequire = (code: string) => /\brequire\b/.test(code);
        const root = build.initialOptions.absWorkingDir ?? process.cwd();
        for (const output of Object.keys(result.metafile!.outputs).filter((path) => path.endsWith('.mjs'))) {
          const path = resolve(root, output);
          const code = readFileSync(path, 'utf8');
          if (needsRequire(code)) writeFileSync(path, REQUIRE_PRELUDE + code);
        }
      });
    },
  };
}
