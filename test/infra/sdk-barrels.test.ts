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
  const result = await build({ bundle: true, format: 'esm', platform: 'node', write: false, absWorkingDir: root, entryPoints: [join(root, entry)], plugins: [flattenSdkBarrels()], logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}

describe('flattenSdkBarrels (imports from the SDK’s barrels go to the modules that define the names)', () => {
  it('keeps what the code sees: the values under their local names, and the side effect of a module the barrel re-exports', async () => {
    const root = folder({ ...PACKAGES, 'entry.mjs': 'import { sum } from "@aws-sdk/fake-client";\nexport const result = { sum: sum(), registry: globalThis.fakeRegistry };\n' });
    const code = await bundle(root, 'entry.mjs');
    const { result } = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as { result: { sum: number; registry: number } };
    expect(result).toEqual({ sum: 3, registry: 1 });
    // The re-exported module no one imports by name is not reached through the barrel any more.
    expect(code).not.toContain('A MODULE NO ONE IMPORTS BY NAME');
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
    const code = await bundle(root, 'entry.mjs');
    expect(((await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as { result: number }).result).toBe(3);
  });

  it("keeps the query and XML protocols, which only SES and STS use, out of a DynamoDB function's init", async () => {
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
