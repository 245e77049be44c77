import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Plugin, PluginBuild } from 'esbuild';

/**
 * `import { a, b as c } from "x";` and `export { a } from "x";` at the start of a line, as the SDK's ES modules write
 * them (a comment before one on its line is no statement).
 */
const NAMED_FROM = /^(import|export)\s*\{([^}]*)\}\s*from\s*"([^"]+)";/gm;
/** The SDK's own packages: the only code whose imports are rewritten. */
const SDK_MODULE = /[\\/]node_modules[\\/]@(aws-sdk|smithy)[\\/].+[\\/]dist-es[\\/].+\.js$/;

/** One `export { … } from` line of a barrel, its target resolved. */
interface Reexport {
  target: string;
  bindings: Array<{ name: string; local: string }>;
}
/** Where a name a barrel re-exports is defined. */
interface Origin {
  file: string;
  name: string;
}
/** A module made of `export { … } from` lines only: each name's origin, and the modules it re-exports from that have side effects. */
interface Barrel {
  names: Map<string, Origin>;
  effects: Set<string>;
}

/**
 * Imports from the AWS SDK's barrels (`@smithy/core/protocols`, `@aws-sdk/core/client`, …: modules that only
 * re-export) go straight to the module that defines each name.
 *
 * Why: esbuild, splitting, puts a module in every chunk whose entry reaches it through *any* import, used or not,
 * once some chunk uses it. Every client imports `@aws-sdk/core/protocols`, so the query and XML protocols that only
 * the SES client (loaded on the first mail) uses sat in the chunk every function loads at init — 34 KB of every
 * init (measured with esbuild's metafile: the decision step 424 → 390 KB).
 * Reached by their own names only, they stay in the chunks of the clients that use them.
 *
 * Semantics are kept: a barrel has no code of its own, and a module it re-exports from that its package declares
 * side-effectful (`sideEffects` in package.json; `@aws-sdk/core` registers its endpoint functions so) is still
 * imported wherever the barrel was. A name the barrel does not export fails the build, as the import would.
 */
export function flattenSdkBarrels(): Plugin {
  // Kept across the builds made with this plugin (a synthesis bundles each function in turn): the SDK's files do not
  // change within a process, and reading and resolving them is most of the plugin's cost.
  const packageResolutions = new Map<string, Promise<string | undefined>>();
  const reexports = new Map<string, Promise<Reexport[] | undefined>>();
  const barrels = new Map<string, Promise<Barrel | undefined>>();
  return {
    name: 'flatten-sdk-barrels',
    setup(build: PluginBuild) {
      /** The file `specifier` names from `importer`, or undefined for Node's own modules and anything external. */
      const resolve = (specifier: string, importer: string): Promise<string | undefined> => {
        if (specifier.startsWith('.')) {
          const base = join(dirname(importer), specifier);
          const file = [base, `${base}.js`, join(base, 'index.js')].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
          if (file) return Promise.resolve(file);
        }
        // A package name resolves alike from every file of the importing package.
        const key = `${specifier}\0${packageRoot(importer)}`;
        if (!packageResolutions.has(key)) {
          packageResolutions.set(
            key,
            build.resolve(specifier, { kind: 'import-statement', resolveDir: dirname(importer) }).then((result) => {
              if (result.errors.length > 0) throw new Error(`${specifier} (imported by ${importer}): ${result.errors[0]!.text}`);
              return result.external || !result.path.startsWith(sep) ? undefined : result.path;
            }),
          );
        }
        return packageResolutions.get(key)!;
      };

      /**
       * A module's re-exports with their targets resolved, if it is made of `export { … } from` lines only. Reading one
       * never waits on another module's reading, so files loaded side by side cannot wait on each other.
       */
      const readReexports = (file: string): Promise<Reexport[] | undefined> => {
        if (!reexports.has(file)) {
          reexports.set(
            file,
            (async () => {
              const text = readFileSync(file, 'utf8');
              if (text.replace(NAMED_FROM, (line, kind: string) => (kind === 'export' ? '' : line)).trim() !== '') return undefined;
              const lines: Reexport[] = [];
              for (const [, , list, specifier] of text.matchAll(NAMED_FROM)) {
                const target = await resolve(specifier!, file);
                if (!target) return undefined;
                lines.push({ target, bindings: bindings(list!) });
              }
              return lines;
            })(),
          );
        }
        return reexports.get(file)!;
      };
      /** Reads `file` and every module it re-exports from, transitively, so that `barrelAt` can run without waiting. */
      const readAll = async (file: string): Promise<Map<string, Reexport[] | undefined>> => {
        const read = new Map<string, Reexport[] | undefined>();
        const pending = [file];
        while (pending.length > 0) {
          const next = pending.pop()!;
          if (read.has(next)) continue;
          const lines = await readReexports(next);
          read.set(next, lines);
          lines?.forEach((line) => pending.push(line.target));
        }
        return read;
      };
      /** `within`: the barrels being flattened around this one; one that re-exports from itself, round a cycle, is left as it is. */
      const barrelAt = (file: string, read: Map<string, Reexport[] | undefined>, within: readonly string[] = []): Barrel | undefined => {
        const lines = read.get(file);
        if (!lines || within.includes(file)) return undefined;
        const barrel: Barrel = { names: new Map(), effects: new Set() };
        for (const { target, bindings } of lines) {
          const inner = barrelAt(target, read, [...within, file]);
          if (inner) inner.effects.forEach((effect) => barrel.effects.add(effect));
          else if (hasSideEffects(target)) barrel.effects.add(target);
          for (const { name, local } of bindings) barrel.names.set(local, inner?.names.get(name) ?? { file: target, name });
        }
        return barrel;
      };
      const flattened = (file: string): Promise<Barrel | undefined> => {
        if (!barrels.has(file)) barrels.set(file, readAll(file).then((read) => barrelAt(file, read)));
        return barrels.get(file)!;
      };

      build.onLoad({ filter: SDK_MODULE }, async ({ path }) => {
        const text = readFileSync(path, 'utf8');
        let rewritten = '';
        let copiedTo = 0;
        for (const match of text.matchAll(NAMED_FROM)) {
          const [statement, kind, list, specifier] = match;
          const target = await resolve(specifier!, path);
          const barrel = target && (await flattened(target));
          if (!barrel) continue;
          const byOrigin = new Map<string, string[]>();
          for (const { name, local } of bindings(list!)) {
            const origin = barrel.names.get(name);
            if (!origin) throw new Error(`${path}: ${specifier} does not export ${name}`);
            byOrigin.set(origin.file, [...(byOrigin.get(origin.file) ?? []), origin.name === local ? local : `${origin.name} as ${local}`]);
          }
          const lines = [...[...barrel.effects].map((effect) => `import ${JSON.stringify(effect)};`), ...[...byOrigin].map(([file, names]) => `${kind} { ${names.join(', ')} } from ${JSON.stringify(file)};`)];
          rewritten += text.slice(copiedTo, match.index) + lines.join('\n');
          copiedTo = match.index + statement!.length;
        }
        return { contents: rewritten + text.slice(copiedTo), loader: 'js', resolveDir: dirname(path) };
      });
    },
  };
}

/** `a, b as c` → [{ name: a, local: a }, { name: b, local: c }]. */
function bindings(list: string): Array<{ name: string; local: string }> {
  return list
    .split(',')
    .map((binding) => binding.trim())
    .filter(Boolean)
    .map((binding) => {
      const [name, local = name] = binding.split(/\s+as\s+/) as [string, string?];
      return { name, local };
    });
}

/** The folder of the package a file of node_modules belongs to. */
function packageRoot(file: string): string {
  const modules = `${sep}node_modules${sep}`;
  if (!file.includes(modules)) return dirname(file);
  const at = file.lastIndexOf(modules) + modules.length;
  const segments = file.slice(at).split(sep);
  return file.slice(0, at) + segments.slice(0, segments[0]!.startsWith('@') ? 2 : 1).join(sep);
}

/** Each package's `sideEffects` declaration, read once per package (null: no package.json). */
const declaredSideEffects = new Map<string, boolean | string[] | undefined | null>();

/** Whether the file's package declares that evaluating it may have effects (no declaration: it may). */
function hasSideEffects(file: string): boolean {
  const root = packageRoot(file);
  if (!declaredSideEffects.has(root)) {
    const manifest = join(root, 'package.json');
    declaredSideEffects.set(root, existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { sideEffects?: boolean | string[] }).sideEffects : null);
  }
  const sideEffects = declaredSideEffects.get(root);
  if (sideEffects === null) return true;
  if (sideEffects === false) return false;
  if (!Array.isArray(sideEffects)) return true;
  const own = `./${relative(root, file).split(sep).join('/')}`;
  // A pattern with a glob, or without a slash (esbuild matches those in any folder), is taken to cover the file.
  return sideEffects.some((pattern) => /[*?[{]/.test(pattern) || !pattern.includes('/') || pattern.replace(/^(?!\.\/)/, './') === own);
}
