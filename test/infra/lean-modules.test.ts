import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import PostalMime from 'postal-mime';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_BUILD } from '../../infra/bundling.ts';
import { REPO_ROOT } from '../../infra/names.ts';

const PROBE = join(REPO_ROOT, '.scratch', 'lean-modules-probe');
const out = mkdtempSync(join(tmpdir(), 'derbes-lean-modules-'));
afterAll(() => [PROBE, out].forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Bundles `source` as a function is bundled; returns the bundle's folder and its entry module. */
async function bundled(name: string, source: string): Promise<{ dir: string; module: Record<string, unknown> }> {
  mkdirSync(PROBE, { recursive: true });
  writeFileSync(join(PROBE, `${name}.ts`), source);
  const dir = join(out, name);
  await build({ ...FUNCTION_BUILD, absWorkingDir: REPO_ROOT, entryPoints: { index: join(PROBE, `${name}.ts`) }, outdir: dir });
  return { dir, module: (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as Record<string, unknown> };
}

/** A message whose plain part and HTML part are separate nodes: postal-mime renders the HTML one as text too. */
const MIXED = [
  'From: a@example.kz',
  'To: b@example.kz',
  'Subject: mixed',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'First part.',
  '--b',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>&Aacute;lmaty &hellip; &CounterClockwiseContourIntegral; &amp; &#x41;&#66; &notanentity; &lt;b&gt;</p>',
  '--b--',
  '',
].join('\r\n');

describe('lean modules (what a function bundle leaves out of its init)', () => {
  it('reads postal-mime’s table of named character references from a file of the bundle, and decodes as postal-mime itself does', async () => {
    const { dir, module } = await bundled(
      'entities',
      `import PostalMime from 'postal-mime';\nexport const parse = async (raw: string) => (await PostalMime.parse(raw)).text;\n`,
    );
    const text = await (module.parse as (raw: string) => Promise<string>)(MIXED);
    expect(text).toBe((await PostalMime.parse(MIXED)).text);
    expect(text).toContain('Álmaty … ∳ & AB &notanentity; <b>');

    const files = readdirSync(dir);
    const code = files.filter((file) => file.endsWith('.mjs')).map((file) => readFileSync(join(dir, file), 'utf8'));
    expect(code.some((chunk) => chunk.includes('CounterClockwiseContourIntegral'))).toBe(false);
    const tables = files.filter((file) => file.endsWith('.json'));
    expect(tables).toHaveLength(1);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, tables[0]!), 'utf8')) as object)).toHaveLength(2231);
  });

  it('gives the SDK’s endpoint cache a Map-based LRU that keeps, refreshes and evicts as mnemonist’s does', async () => {
    // A scenario of every member the endpoint cache uses: capacity 2, a refresh by reading, an eviction, has, clear.
    const scenario = `
      const cache = new EndpointCache(2);
      const seen = [];
      cache.set('a', [{ Address: 'a.example', CachePeriodInMinutes: 5 }]);
      cache.set('b', [{ Address: 'b.example', CachePeriodInMinutes: 5 }]);
      seen.push(cache.getEndpoint('a'));
      cache.set('c', [{ Address: 'c.example', CachePeriodInMinutes: 5 }]);
      seen.push(cache.has('a'), cache.has('b'), cache.has('c'), cache.getEndpoint('b'));
      cache.set('a', [{ Address: 'a2.example', CachePeriodInMinutes: -1 }]);
      seen.push(cache.getEndpoint('a'), cache.has('a'));
      cache.delete('c');
      seen.push(cache.has('c'));
      cache.clear();
      seen.push(cache.has('a'), cache.getEndpoint('c'));
      return seen;`;
    const { dir, module } = await bundled('lru', `import { EndpointCache } from '@aws-sdk/endpoint-cache';\nexport const run = () => { ${scenario} };\n`);
    const { EndpointCache } = (await import('@aws-sdk/endpoint-cache')) as { EndpointCache: unknown };
    const expected = (new Function('EndpointCache', scenario) as (c: unknown) => unknown[])(EndpointCache);
    expect(expected).toEqual(['a.example', true, false, true, undefined, undefined, false, false, false, undefined]);
    expect((module.run as () => unknown[])()).toEqual(expected);
    const code = readdirSync(dir).filter((file) => file.endsWith('.mjs')).map((file) => readFileSync(join(dir, file), 'utf8'));
    expect(code.some((chunk) => chunk.includes('Uint32Array') || chunk.includes('obliterator'))).toBe(false);
  });

  it('keeps an SDK client’s version for its user agent, and nothing else of its package.json', async () => {
    const { dir, module } = await bundled(
      'version',
      `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const agent = async () => (await new DynamoDBClient({ region: 'us-east-1' }).config.defaultUserAgentProvider()).map((pair) => pair.join('/')).join(' ');\n`,
    );
    const { version, description } = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', '@aws-sdk', 'client-dynamodb', 'package.json'), 'utf8')) as { version: string; description: string };
    expect(await (module.agent as () => Promise<string>)()).toContain(`api/DynamoDB/${version}`);
    const code = readdirSync(dir).filter((file) => file.endsWith('.mjs')).map((file) => readFileSync(join(dir, file), 'utf8'));
    expect(code.some((chunk) => chunk.includes(description))).toBe(false);
  });

  it('gives `require` to the chunks that call it, and to no other', async () => {
    mkdirSync(PROBE, { recursive: true });
    writeFileSync(join(PROBE, 'later.ts'), 'export const later = 1;\n');
    const { dir, module } = await bundled(
      'commonjs',
      `import Holidays from 'date-holidays';\nexport const holidays = () => new Holidays('KZ').getHolidays(2026).length;\nexport const later = () => import('./later.ts');\n`,
    );
    expect((module.holidays as () => number)()).toBeGreaterThan(5);
    const chunks = readdirSync(dir).filter((file) => file.endsWith('.mjs')).map((file) => readFileSync(join(dir, file), 'utf8'));
    const withPrelude = chunks.filter((chunk) => chunk.startsWith("import { createRequire as __derbesRequire } from 'node:module';"));
    // esbuild's shim, through which the bundled CommonJS code requires Node's modules, is where `require` must be bound.
    const shim = chunks.filter((chunk) => chunk.includes('typeof require'));
    expect(shim).toHaveLength(1);
    expect(withPrelude).toContain(shim[0]);
    expect(withPrelude.length).toBeLessThan(chunks.length);
    expect(chunks.filter((chunk) => !withPrelude.includes(chunk)).every((chunk) => !/\brequire\b/.test(chunk))).toBe(true);
  });

  it('gives a client the credentials of the environment, as Lambda sets them, without the rest of the SDK’s chain', async () => {
    const { dir, module } = await bundled(
      'credentials',
      `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const credentials = () => new DynamoDBClient({ region: 'us-east-1' }).config.credentials();\n`,
    );
    const credentials = module.credentials as () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDROLE', AWS_SECRET_ACCESS_KEY: 'role-secret', AWS_SESSION_TOKEN: 'role-session' });
      delete process.env.AWS_PROFILE;
      expect(await credentials()).toMatchObject({ accessKeyId: 'AKIDROLE', secretAccessKey: 'role-secret', sessionToken: 'role-session' });
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      await expect(credentials()).rejects.toThrow(/Unable to find environment variable credentials/);
    } finally {
      process.env = saved;
    }
    const code = readdirSync(dir).filter((file) => file.endsWith('.mjs')).map((file) => readFileSync(join(dir, file), 'utf8')).join('\n');
    for (const provider of ['fromSSO', 'fromIni', 'fromProcess', 'fromTokenFile', 'fromContainerMetadata', 'fromInstanceMetadata']) expect(code).not.toContain(provider);
  });

  it('reads the environment’s credentials once per client, as the SDK’s chain memoizes them', async () => {
    const { module } = await bundled(
      'credentials-once',
      `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const client = () => new DynamoDBClient({ region: 'us-east-1' });\n`,
    );
    type Credentials = { accessKeyId: string; expiration?: Date };
    const client = module.client as () => { config: { credentials: () => Promise<Credentials> } };
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDFIRST', AWS_SECRET_ACCESS_KEY: 'first-secret' });
      delete process.env.AWS_PROFILE;
      delete process.env.AWS_CREDENTIAL_EXPIRATION;
      const first = client();
      expect((await first.config.credentials()).accessKeyId).toBe('AKIDFIRST');
      process.env.AWS_ACCESS_KEY_ID = 'AKIDSECOND';
      expect((await first.config.credentials()).accessKeyId).toBe('AKIDFIRST');
      expect((await client().config.credentials()).accessKeyId).toBe('AKIDSECOND');
      // Credentials that are about to expire are read again, as the chain does.
      process.env.AWS_CREDENTIAL_EXPIRATION = new Date(Date.now() + 60_000).toISOString();
      const expiring = client();
      expect((await expiring.config.credentials()).accessKeyId).toBe('AKIDSECOND');
      process.env.AWS_ACCESS_KEY_ID = 'AKIDTHIRD';
      process.env.AWS_CREDENTIAL_EXPIRATION = new Date(Date.now() + 3_600_000).toISOString();
      await expiring.config.credentials(); // the refresh runs beside the call that finds them near their end
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await expiring.config.credentials()).accessKeyId).toBe('AKIDTHIRD');
    } finally {
      process.env = saved;
    }
  });

  it('keeps the chain module’s other exports, as the SDK defines them', async () => {
    const { module } = await bundled(
      'predicates',
      `export { credentialsWillNeedRefresh, credentialsTreatedAsExpired } from '@aws-sdk/credential-provider-node';\n`,
    );
    const willNeedRefresh = module.credentialsWillNeedRefresh as (credentials?: { expiration?: Date }) => boolean;
    const treatedAsExpired = module.credentialsTreatedAsExpired as (credentials?: { expiration?: Date }) => boolean;
    expect([willNeedRefresh({}), willNeedRefresh({ expiration: new Date() })]).toEqual([false, true]);
    const inAMinute = new Date(Date.now() + 60_000);
    const inAnHour = new Date(Date.now() + 3_600_000);
    expect([treatedAsExpired({}), treatedAsExpired({ expiration: inAMinute }), treatedAsExpired({ expiration: inAnHour })]).toEqual([false, true, false]);
  });
});
