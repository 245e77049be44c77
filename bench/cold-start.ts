/**
 * What each function costs to start, as Lambda starts it:
 *   npm run bench:cold-start -- [--runs 3]
 *
 * Synthesizes the app with bundling, as `cdk synth` does for a deploy, then for each function of the template prints
 * its bundle's size (minified, and gzipped as Lambda's zip roughly holds it), the CPU time a fresh Node process
 * spends importing it with the function's template environment (NODE_OPTIONS included), the CPU time of importing
 * only the AWS SDK clients its role lets it call — the floor, bundled the same way — and the ratio of the two
 * (medians of --runs). The last line: `worst init ratio X`. Goals: X ≤ 1.5, every bundle ≤ 400 KB minified.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { createApp } from '../infra/app.ts';
import { ESM_REQUIRE_BANNER } from '../infra/bundling.ts';
import { REPO_ROOT } from '../infra/constructs/derbes-function.ts';
import { LocalTemplate, type CfnTemplate } from '../infra/local/template.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(args.runs);
const MAX_BUNDLE_BYTES = 400 * 1024;

/** The SDK packages a service prefix of an IAM action needs (a DynamoDB caller uses the document client too). */
const CLIENTS: Record<string, Array<[pkg: string, client: string]>> = {
  dynamodb: [
    ['@aws-sdk/client-dynamodb', 'DynamoDBClient'],
    ['@aws-sdk/lib-dynamodb', 'DynamoDBDocumentClient'],
  ],
  s3: [['@aws-sdk/client-s3', 'S3Client']],
  states: [['@aws-sdk/client-sfn', 'SFNClient']],
  ses: [
    ['@aws-sdk/client-ses', 'SESClient'],
    ['@aws-sdk/client-sesv2', 'SESv2Client'],
  ],
  secretsmanager: [['@aws-sdk/client-secrets-manager', 'SecretsManagerClient']],
};

const outdir = mkdtempSync(join(tmpdir(), 'derbes-cold-start-'));
const synthStarted = Date.now();
createApp({ profilePath: join(REPO_ROOT, 'profiles', 'demo.json'), outdir: join(outdir, 'cdk.out') }).app.synth();
console.log(`cold start: synthesized with bundling in ${((Date.now() - synthStarted) / 1000).toFixed(1)} s; ${RUNS} fresh Node processes per figure (median); work in ${outdir}`);

const synthesized = JSON.parse(readFileSync(join(outdir, 'cdk.out', 'Derbes.template.json'), 'utf8')) as CfnTemplate;
const template = new LocalTemplate(synthesized, 'https://derbes.example');

/** CPU milliseconds a fresh Node process spends importing `file`, the median of RUNS. */
function importCpuMs(file: string, env: Record<string, string>): number {
  const probe = `const t = process.cpuUsage(); await import(${JSON.stringify(pathToFileURL(file).href)}); const u = process.cpuUsage(t); process.stdout.write(String((u.user + u.system) / 1000));`;
  const times = Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()));
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

const floors = new Map<string, string>();
/** The SDK clients alone, bundled as the functions are, constructed as a handler's composition would. */
async function floorBundle(services: string[]): Promise<string> {
  const key = services.join('+') || 'none';
  if (floors.has(key)) return floors.get(key)!;
  const clients = services.flatMap((s) => CLIENTS[s] ?? []);
  const source = [
    ...clients.map(([pkg, client]) => `import { ${client} } from '${pkg}';`),
    ...clients.filter(([, client]) => client !== 'DynamoDBDocumentClient').map(([, client]) => `new ${client}({});`),
    ...(services.includes('dynamodb') ? ['DynamoDBDocumentClient.from(new DynamoDBClient({}));'] : []),
    'export const handler = async () => undefined;',
  ].join('\n');
  const dir = join(outdir, `floor-${key}`);
  mkdirSync(dir, { recursive: true });
  await build({
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'js' },
    absWorkingDir: REPO_ROOT,
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'error',
  });
  floors.set(key, join(dir, 'index.mjs'));
  return join(dir, 'index.mjs');
}

const rows: Array<{ name: string; bytes: number; ratio: number }> = [];
console.log(`  function                           bundle KB  gzip KB  map KB  import ms  SDK floor ms  ratio  SDK clients`);
for (const fn of template.functions().values()) {
  const code = synthesized.Resources[fn.logicalId]!.Properties!.Code as { S3Key: string };
  const assetDir = join(outdir, 'cdk.out', `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  const bundle = join(assetDir, 'index.mjs');
  if (!existsSync(bundle)) throw new Error(`${fn.logicalId}: no bundle at ${bundle}`);
  const bytes = statSync(bundle).size;
  const gzipped = gzipSync(readFileSync(bundle)).length;
  const map = existsSync(`${bundle}.map`) ? statSync(`${bundle}.map`).size : 0;
  const services = [
    ...new Set(
      template
        .rolePolicy(fn.roleLogicalId)
        .statements.flatMap((s) => [s.Action ?? []].flat())
        .map((action) => String(action).split(':')[0]!.toLowerCase())
        .filter((service) => CLIENTS[service]),
    ),
  ].sort();
  const env = { PATH: process.env.PATH ?? '', ...fn.environment, LAMBDA_TASK_ROOT: assetDir, AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: fn.logicalId, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize) };
  const importMs = importCpuMs(bundle, env);
  const floorMs = importCpuMs(await floorBundle(services), { PATH: env.PATH, AWS_REGION: 'us-east-1', ...(fn.environment.NODE_OPTIONS ? { NODE_OPTIONS: fn.environment.NODE_OPTIONS } : {}) });
  const ratio = importMs / floorMs;
  rows.push({ name: fn.logicalId, bytes, ratio });
  console.log(
    `  ${fn.logicalId.padEnd(34)} ${(bytes / 1024).toFixed(0).padStart(9)}  ${(gzipped / 1024).toFixed(0).padStart(7)}  ${(map / 1024).toFixed(0).padStart(6)}  ${importMs.toFixed(0).padStart(9)}  ${floorMs.toFixed(0).padStart(12)}  ${ratio.toFixed(2).padStart(5)}  ${services.join(', ')}`,
  );
}
writeFileSync(join(outdir, 'cold-start.json'), JSON.stringify(rows, null, 2));
const largest = rows.reduce((a, b) => (b.bytes > a.bytes ? b : a));
const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
console.log(`  bundles over ${MAX_BUNDLE_BYTES / 1024} KB: ${rows.filter((r) => r.bytes > MAX_BUNDLE_BYTES).length} of ${rows.length} (largest ${largest.name} ${(largest.bytes / 1024).toFixed(0)} KB)`);
console.log(`worst init ratio ${worst.ratio.toFixed(2)} (${worst.name})`);
