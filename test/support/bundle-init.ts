import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REQUIRE_PRELUDE } from '../../infra/lean-modules.ts';

/** A static import at the head of an esbuild ESM output file: `import{a as b}from"./chunk-X.mjs";` or `import"./x.mjs";`. */
const LEADING_IMPORT = /^\s*import\s*(?:[^"';]*?\s*from\s*)?["']([^"']+)["'];?/;

/**
 * What Lambda's init loads of a function's bundle, as `npm run bench:cold-start` counts it: index.mjs and every chunk
 * it imports statically. esbuild writes a file's static imports first; a chunk reached only by `import()` loads later.
 * A chunk that names `require` begins with the prelude infra/lean-modules.ts puts before esbuild's output.
 */
export function initLoad(assetDir: string): { files: string[]; bytes: number } {
  const files = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    let code = readFileSync(join(assetDir, file), 'utf8');
    if (code.startsWith(REQUIRE_PRELUDE)) code = code.slice(REQUIRE_PRELUDE.length);
    for (let match = LEADING_IMPORT.exec(code); match; match = LEADING_IMPORT.exec(code)) {
      if (match[1]!.startsWith('./')) visit(match[1]!.slice(2));
      code = code.slice(match[0].length);
    }
  };
  visit('index.mjs');
  return { files: [...files], bytes: [...files].reduce((sum, file) => sum + statSync(join(assetDir, file)).size, 0) };
}
