/**
 * Throws fuzzed JSON and HTML-form posts at the public HTTP API of the local runtime and counts the answers:
 *   npm run bench:form-fuzz -- [count]     (default 10000)
 * Every post is built from seed i alone, so a failure replays exactly. GET /health is asked every 100 posts and
 * must answer 200 throughout. Exits non-zero on any 5xx, or on a health check that is not 200.
 * The profile is the demo's with its client limits raised: the fuzz is about parsing, not about being throttled
 * (bench:abuse measures the limits).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startLocalSystem } from '../infra/local/runtime.ts';
import { runtimeSettings } from '../infra/local/settings.ts';
import { seededRandom } from './lib/mutate-mail.ts';

type Random = ReturnType<typeof seededRandom>;
interface Post {
  path: string;
  contentType?: string;
  headers: Record<string, string>;
  body: Buffer;
  describe: string;
}

const ROUTES = ['/api/requests', '/api/requests', '/api/requests', '/api/requests', '/api/verifications', '/verify', '/download'];
const TYPES = ['access', 'rectification', 'blocking', 'unblocking', 'erasure', 'consent_withdrawal', 'marketing_opt_out', 'claim'];
const EMAILS = ['fuzz.a@example.kz', 'fuzz.b@example.kz', 'FUZZ.C@Example.KZ ', 'not-an-address', '', 'a@b', `${'x'.repeat(300)}@example.kz`, 'пример@пример.каз'];
const KEYS = ['type', 'types', 'email', 'name', 'language', 'changes', 'code', 'token', 'idempotencyKey', '__proto__', 'constructor', 'toString', ''];
const STRINGS = [
  '',
  ' ',
  'access',
  'ru',
  'kk',
  'de',
  'Айгерим',
  'Әлия Құрманғали',
  '\u0000',
  '\r\n',
  '<script>alert(1)</script>',
  '"; DROP TABLE requests; --',
  '%00%ff',
  '\ud800',
  '😀'.repeat(50),
  'x'.repeat(1001),
  'y'.repeat(70_000),
  '../../etc/passwd',
  'DRB-00000-00000',
];

function scalar(random: Random): unknown {
  switch (random.below(9)) {
    case 0:
      return random.pick(STRINGS);
    case 1:
      return random.pick(TYPES);
    case 2:
      return random.pick(EMAILS);
    case 3:
      return random.below(2) === 0 ? random.below(1_000_000) - 500_000 : Number.MAX_SAFE_INTEGER;
    case 4:
      return random.below(2) === 0;
    case 5:
      return null;
    case 6:
      return Array.from({ length: random.below(12) }, () => random.pick(TYPES));
    case 7:
      return Object.fromEntries(Array.from({ length: random.below(600) }, (_, i) => [`field${i}`, 'v'.repeat(random.below(1200))]));
    default:
      return deep(random.below(3000));
  }
}

function deep(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** A body that is nearly valid most of the time, then broken in one or more ways. */
function fields(random: Random): Record<string, unknown> {
  const base: Record<string, unknown> = { type: random.pick(TYPES), email: random.pick(EMAILS.slice(0, 3)), language: random.pick(['ru', 'kk', 'en']) };
  if (random.below(3) === 0) base.name = random.pick(STRINGS);
  if (base.type === 'rectification' && random.below(2) === 0) base.changes = { phone: '+7 701 000 00 00' };
  const mutations = random.below(4);
  for (let i = 0; i < mutations; i++) {
    const key = random.below(3) === 0 ? random.pick(STRINGS).slice(0, 50) : random.pick(KEYS);
    if (random.below(4) === 0) delete base[key];
    else base[key] = scalar(random);
  }
  return base;
}

function formBody(random: Random, values: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const list = Array.isArray(value) ? value : [value];
    // encodeURIComponent refuses a lone surrogate; a browser sends U+FFFD for it (broken bytes come below).
    const encode = (text: string) => encodeURIComponent(text.toWellFormed());
    for (const item of list) parts.push(`${encode(key)}=${encode(typeof item === 'string' ? item : (JSON.stringify(item) ?? ''))}`);
  }
  // Raw percent-garbage and broken UTF-8 as a browser would never send, but a bot might.
  if (random.below(5) === 0) parts.push(random.pick(['%', '%zz', '%C3%28', 'types', '=', '&&&', 'email=%E0%A4%A']));
  return parts.join('&');
}

function post(seed: number): Post {
  const random = seededRandom(seed);
  const path = random.pick(ROUTES);
  const headers: Record<string, string> = {};
  if (random.below(10) === 0) headers['idempotency-key'] = random.pick(['k', 'same-key', 'x'.repeat(300), 'with space', `seed-${seed}`]);
  if (random.below(10) === 0) headers['sec-gpc'] = '1';
  const values = fields(random);
  switch (random.below(10)) {
    case 0:
    case 1:
    case 2:
    case 3: {
      const text = JSON.stringify(values);
      return { path, contentType: 'application/json', headers, body: Buffer.from(text), describe: `${path} json` };
    }
    case 4: {
      const text = JSON.stringify(values);
      return { path, contentType: 'application/json', headers, body: Buffer.from(text.slice(0, random.below(text.length + 1))), describe: `${path} truncated json` };
    }
    case 5:
      return { path, contentType: random.pick(['application/json', 'application/json; charset=utf-8']), headers, body: Buffer.from(JSON.stringify(scalar(random)) ?? 'undefined'), describe: `${path} json scalar` };
    case 6:
    case 7:
    case 8:
      return { path, contentType: 'application/x-www-form-urlencoded', headers, body: Buffer.from(formBody(random, values)), describe: `${path} form` };
    default:
      return {
        path,
        contentType: [undefined, 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream'][random.below(5)],
        headers,
        body: Buffer.from(Array.from({ length: random.below(2000) }, () => random.below(256))),
        describe: `${path} bytes`,
      };
  }
}

function send(url: URL, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 10_000);
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${process.argv[2]}`);
  const dir = mkdtempSync(join(tmpdir(), 'derbes-form-fuzz-'));
  const demo = JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, unknown>;
  const profile = join(dir, 'profile.json');
  const open = { burst: 1_000_000, perMinute: 1_000_000 };
  writeFileSync(profile, JSON.stringify({ ...demo, limits: { requestsPerClient: open, requestsInAll: open, publicCallsPerClient: open } }));
  writeFileSync(profile.replace(/\.json$/, '.data.json'), readFileSync('profiles/demo.data.json'));
  const system = await startLocalSystem(runtimeSettings({ DATA_DIR: join(dir, 'data'), PORT: '0', SMTP_PORT: '0', DYNAMODB_PORT: '0', DERBES_PROFILE: profile, LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR' }), { log: () => {} });
  const url = new URL(system.url);
  const byStatus = new Map<string, number>();
  const serverErrors: string[] = [];
  let healthChecks = 0;
  let healthFailures = 0;
  let transportErrors = 0;
  const started = performance.now();
  try {
    const concurrency = 4;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const seed = next++;
        const { path, contentType, headers, body, describe } = post(seed);
        try {
          const status = await send(url, 'POST', path, body, { ...headers, ...(contentType ? { 'content-type': contentType } : {}) });
          const label = `${path} ${status}`;
          byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
          if (status >= 500 && serverErrors.length < 10) serverErrors.push(`seed ${seed} (${describe}) → ${status}`);
          else if (status >= 500) serverErrors.push('');
        } catch {
          transportErrors++;
        }
        if (seed % 100 === 0) {
          healthChecks++;
          if ((await send(url, 'GET', '/health')) !== 200) healthFailures++;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await system.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${count} fuzzed posts (JSON, forms, raw bytes) in ${seconds.toFixed(1)} s, concurrency 4`);
  for (const [label, n] of [...byStatus].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${label.padEnd(28)} ${n}`);
  for (const error of serverErrors.filter(Boolean)) console.log(error);
  const fivexx = [...byStatus].filter(([label]) => /\s5\d\d$/.test(label)).reduce((sum, [, n]) => sum + n, 0);
  console.log(`5xx: ${fivexx}; transport errors: ${transportErrors}; health checks: ${healthChecks}, not 200: ${healthFailures}`);
  if (fivexx > 0 || healthFailures > 0 || transportErrors > 0) process.exitCode = 1;
}

await main();
