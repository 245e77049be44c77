import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_BUILD } from '../../infra/bundling.ts';
import { REPO_ROOT } from '../../infra/names.ts';
import { flattenSdkBarrels } from '../../infra/sdk-barrels.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A folder with these files (path → text), removed after the tests. */
function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'derbes-barrels-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/**
 * Two packages laid out as the SDK's are: @smithy/fake's barrel re-exports from a nested barrel and from a module its
 * package declares side-effectful; @aws-sdk/fake-client imports from the barrel, one name renamed.
 */
const PACKAGES = {
  'node_modules/@smithy/fake/package.json': JSON.stringify({ name: '@smithy/fake', module: './dist-es/index.js', sideEffects: ['./dist-es/register.js'] }),
  'node_modules/@smithy/fake/dist-es/index.js': 'export { one, two as second } from "./numbers";\nexport { registered } from "./register";\nexport { unused } from "./unused";\n',
  'node_modules/@smithy/fake/dist-es/numbers/index.js': 'export { one } from "./one";\nexport { two } from "./two";\n',
  'node_modules/@smithy/fake/dist-es/numbers/one.js': 'export const one = 1;\n',
  'node_modules/@smithy/fake/dist-es/numbers/two.js': 'export const two = 2;\n',
  'node_modules/@smithy/fake/dist-es/register.js': 'globalThis.fakeRegistry = (globalThis.fakeRegistry ?? 0) + 1;\nexport const registered = true;\n',
  'node_modules/@smithy/fake/dist-es/unused.js': 'export const unused = "A MODULE NO ONE IMPORTS BY NAME";\n',
  'node_modules/@aws-sdk/fake-client/package.json': JSON.stringify({ name: '@aws-sdk/fake-client', module: './dist-es/index.js', sideEffects: false }),
  'node_modules/@aws-sdk/fake-client/dist-es/index.js': 'import { one, second as two } from "@smithy/fake";\nexport const sum = () => one + two;\n',
};

async function bundle(root: string, entry: string): Promise<string> {
  return (await bundled(root, entry)).code;
}

/** The bundle's code, and the modules it took in (relative to `root`). */
async function bundled(root: string, entry: string): Promise<{ code: string; inputs: string[] }> {
  const result = await build({ bundle: true, format: 'esm', platform: 'node', write: false, metafile: true, absWorkingDir: root, entryPoints: [join(root, entry)], plugins: [flattenSdkBarrels()], logLevel: 'silent' });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

const run = async <T>(code: string) => (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as T;

describe('flattenSdkBarrels (imports from the SDK’s barrels go to the modules that define the names)', () => {
  it('keeps what the code sees: the values under their local names, and the side effect of a module the barrel re-exports', async () => {
    const root = folder({ ...PACKAGES, 'entry.mjs': 'import { sum } from "@aws-sdk/fake-client";\nexport const result = { sum: sum(), registry: globalThis.fakeRegistry };\n' });
    const { code, inputs } = await bundled(root, 'entry.mjs');
    const { result } = await run<{ result: { sum: number; registry: number } }>(code);
    expect(result).toEqual({ sum: 3, registry: 1 });
    // Neither barrel is a module of the bundle any more: the names come from where they are defined.
    expect(inputs).not.toContain('node_modules/@smithy/fake/dist-es/index.js');
    expect(inputs).not.toContain('node_modules/@smithy/fake/dist-es/numbers/index.js');
    expect(inputs).toContain('node_modules/@smithy/fake/dist-es/numbers/two.js');
  });

  it('keeps a side effect its package names without a folder (esbuild matches such a pattern anywhere)', async () => {
    const root = folder({
      ...PACKAGES,
      'node_modules/@smithy/fake/package.json': JSON.stringify({ name: '@smithy/fake', module: './dist-es/index.js', sideEffects: ['register.js'] }),
      'entry.mjs': 'import { sum } from "@aws-sdk/fake-client";\nexport const result = { sum: sum(), registry: globalThis.fakeRegistry };\n',
    });
    delete (globalThis as { fakeRegistry?: number }).fakeRegistry;
    expect((await run<{ result: unknown }>(await bundle(root, 'entry.mjs'))).result).toEqual({ sum: 3, registry: 1 });
  });

  it('leaves an import written in a comment a comment', async () => {
    const root = folder({
      ...PACKAGES,
      'node_modules/@aws-sdk/fake-client/dist-es/index.js': '// import { one, second as two } from "@smithy/fake";\nimport { one, second as two } from "@smithy/fake";\nexport const sum = () => one + two;\n',
      'entry.mjs': 'import { sum } from "@aws-sdk/fake-client";\nexport const result = sum();\n',
    });
    expect((await run<{ result: number }>(await bundle(root, 'entry.mjs'))).result).toBe(3);
  });

  it('fails the build, naming the file and the name, when a barrel does not export what is imported', async () => {
    const root = folder({ ...PACKAGES, 'node_modules/@aws-sdk/fake-client/dist-es/index.js': 'import { three } from "@smithy/fake";\nexport const sum = () => three;\n', 'entry.mjs': 'export { sum } from "@aws-sdk/fake-client";\n' });
    await expect(bundle(root, 'entry.mjs')).rejects.toThrow(/fake-client.*index\.js: @smithy\/fake does not export three/s);
  });

  it('ends, with the same values, when two barrels re-export from each other', async () => {
    const root = folder({
      ...PACKAGES,
      'node_modules/@smithy/fake/dist-es/index.js': 'export { one } from "./numbers/one";\nexport { two } from "./other";\n',
      'node_modules/@smithy/fake/dist-es/other.js': 'export { two } from "./numbers/two";\nexport { one } from "./index";\n',
      'node_modules/@aws-sdk/fake-client/dist-es/index.js': 'import { one, two } from "@smithy/fake";\nexport const sum = () => one + two;\n',
      'entry.mjs': 'import { sum } from "@aws-sdk/fake-client";\nexport const result = sum();\n',
    });
    expect((await run<{ result: number }>(await bundle(root, 'entry.mjs'))).result).toBe(3);
  });

  it('ends when two modules loaded side by side each import one of two barrels that re-export from each other', async () => {
    const root = folder({
      ...PACKAGES,
      // Each barrel names a package of its own first, so each reading waits on esbuild's resolver while the other goes on.
      'node_modules/@smithy/fake/dist-es/index.js': 'export { one } from "@smithy/fake-one";\nexport { two } from "./other";\n',
      'node_modules/@smithy/fake/dist-es/other.js': 'export { two } from "@smithy/fake-two";\nexport { one } from "./index";\n',
      'node_modules/@smithy/fake-one/package.json': JSON.stringify({ name: '@smithy/fake-one', module: './dist-es/index.js', sideEffects: false }),
      'node_modules/@smithy/fake-one/dist-es/index.js': 'export const one = 1;\n',
      'node_modules/@smithy/fake-two/package.json': JSON.stringify({ name: '@smithy/fake-two', module: './dist-es/index.js', sideEffects: false }),
      'node_modules/@smithy/fake-two/dist-es/index.js': 'export const two = 2;\n',
      'node_modules/@aws-sdk/fake-client/dist-es/index.js': 'import { one, two } from "@smithy/fake";\nexport const sum = () => one + two;\n',
      'node_modules/@aws-sdk/fake-other/package.json': JSON.stringify({ name: '@aws-sdk/fake-other', module: './dist-es/index.js', sideEffects: false }),
      'node_modules/@aws-sdk/fake-other/dist-es/index.js': 'import { one, two } from "@smithy/fake/dist-es/other.js";\nexport const product = () => one * two * 10;\n',
      'entry.mjs': 'import { sum } from "@aws-sdk/fake-client";\nimport { product } from "@aws-sdk/fake-other";\nexport const result = sum() + product();\n',
    });
    const hung = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the build did not end in 20 s')), 20_000).unref());
    const code = await Promise.race([bundle(root, 'entry.mjs'), hung]);
    expect((await run<{ result: number }>(code)).result).toBe(23);
  });

  it("keeps the query and XML protocols, which only SES uses here, out of a DynamoDB function's init", async () => {
    const root = folder({
      'entry.mjs': [
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        'const db = new DynamoDBClient({});',
        "export const handler = async () => { const { SESClient } = await import('@aws-sdk/client-ses'); return [db, new SESClient({})]; };",
      ].join('\n'),
    });
    const result = await build({ ...FUNCTION_BUILD, absWorkingDir: REPO_ROOT, nodePaths: [join(REPO_ROOT, 'node_modules')], entryPoints: { index: join(root, 'entry.mjs') }, outdir: join(root, 'out'), metafile: true });
    const outputs = new Map(Object.entries((result.metafile as Metafile).outputs).map(([path, output]) => [relative(join(root, 'out'), join(REPO_ROOT, path)), output]));
    const init = new Set<string>();
    const visit = (file: string) => {
      if (init.has(file)) return;
      init.add(file);
      outputs.get(file)!.imports.filter((i) => i.kind === 'import-statement' && !i.external).forEach((i) => visit(relative(join(root, 'out'), join(REPO_ROOT, i.path))));
    };
    visit('index.mjs');
    const inputsAt = (files: Iterable<string>) => [...files].flatMap((file) => Object.keys(outputs.get(file)!.inputs));
    const protocols = /protocols\/(query|xml)\//;
    expect(inputsAt(init).filter((input) => protocols.test(input))).toEqual([]);
    // They are in the bundle, in the chunks loaded with the SES client.
    expect(inputsAt([...outputs.keys()].filter((file) => !init.has(file))).some((input) => protocols.test(input))).toBe(true);
  });
});
