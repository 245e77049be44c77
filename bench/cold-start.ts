/**
 * What each function costs to start, as Lambda starts it:
 *   npm run bench:cold-start -- [--runs 5]
 *
 * Synthesizes the app with bundling, as `cdk synth` does for a deploy. A bundle is split (infra/bundling.ts): Lambda's
 * init imports `index.mjs` and the chunks it imports statically; the other chunks load on the call that needs them.
 * For each function of the template it prints
 *   - init KB: what init loads (minified; gzipped beside it), and all KB: every chunk of the bundle;
 *   - init ms: the CPU time a fresh Node process spends importing the bundle with the function's template environment;
 *   - +SDK ms: the same, then also loading the chunks that hold the AWS SDK clients its role lets it call, the
 *     chunk each client class is in (what its first calls add when a client is loaded lazily) — compared with
 *   - floor ms: importing and constructing only those SDK clients, bundled (and split) the same way (floor KB: what
 *     that import loads);
 *   - ratio: +SDK ms ÷ floor ms.
 * Each figure is the median of --runs rounds (an odd number). A round measures a function's floor and its +SDK (in
 * turns: the floor first in one round, last in the next), then its init, each in a fresh process, and the ratio is the
 * median of the rounds' own ratios: the load of a shared machine drifts over seconds, and it then moves both sides of
 * a round's ratio alike instead of landing on one side.
 * The last line: `worst init ratio X`. Goals: X ≤ 1.5, every bundle's init ≤ 400 KB minified. The bundle's layout is
 * read from esbuild's metafile of the same build, made again here with the same options (its index.mjs is checked
 * to be byte for byte the synthesized one).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { createApp } from '../infra/app.ts';
import { FUNCTION_BUILD } from '../infra/bundling.ts';
import { REPO_ROOT } from '../infra/constructs/derbes-function.ts';
import { LocalTemplate, type CfnTemplate } from '../infra/local/template.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(args.runs);
// An odd count has a middle round: the median is a measurement, not the upper of two.
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS % 2 === 0) throw new Error(`--runs must be an odd number of rounds (1, 3, 5, …), not ${args.runs}`);
const MAX_BUNDLE_BYTES = 400 * 1024;

type SdkClient = [pkg: string, client: string];
/** The SDK clients a service prefix of an IAM action may be called with (a DynamoDB caller uses the document client too). */
const CLIENTS: Record<string, SdkClient[]> = {
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
console.log(`cold start: synthesized with bundling in ${((Date.now() - synthStarted) / 1000).toFixed(1)} s; ${RUNS} rounds per function (floor and +SDK in turns, then init, each a fresh Node process; medians); work in ${outdir}`);

const synthesized = JSON.parse(readFileSync(join(outdir, 'cdk.out', 'Derbes.template.json'), 'utf8')) as CfnTemplate;
const template = new LocalTemplate(synthesized, 'https://derbes.example');

/** CPU milliseconds a fresh Node process spends importing `files` (in order). */
function importCpuMs(files: string[], env: Record<string, string>): number {
  const imports = files.map((file) => `await import(${JSON.stringify(pathToFileURL(file).href)});`).join(' ');
  const probe = `const t = process.cpuUsage(); ${imports} const u = process.cpuUsage(t); process.stdout.write(String((u.user + u.system) / 1000));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim());
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const floors = new Map<string, Floor>();
interface Floor {
  file: string;
  /** What importing it loads: index.mjs and the chunks it imports statically. */
  bytes: number;
}
/**
 * The SDK clients alone, bundled as the functions are (split too), constructed as a handler's composition would.
 * Split, because a function is: what the clients import only on a call is a chunk of its own there, loaded on the
 * first call, and the function's side of the ratio does not load it either. In one file the floor parsed that code
 * too (before the credential chain was cut to the environment's link, the SES-only floor weighed 365 KB and took
 * twice the CPU of the function that uses the client). Built with the functions' own options and plugins, the floor
 * carries the same credentials provider they do.
 */
async function floorBundle(clients: SdkClient[]): Promise<Floor> {
  const key = clients.map(([, client]) => client).join('+') || 'none';
  if (floors.has(key)) return floors.get(key)!;
  const source = [
    ...clients.map(([pkg, client]) => `import { ${client} } from '${pkg}';`),
    ...clients.filter(([, client]) => client !== 'DynamoDBDocumentClient').map(([, client]) => `new ${client}({});`),
    ...(clients.some(([, client]) => client === 'DynamoDBDocumentClient') ? ['DynamoDBDocumentClient.from(new DynamoDBClient({}));'] : []),
    'export const handler = async () => undefined;',
  ].join('\n');
  const dir = join(outdir, `floor-${key}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'entry.mjs'), source);
  const built = join(dir, 'bundle');
  const result = await build({ ...FUNCTION_BUILD, absWorkingDir: REPO_ROOT, nodePaths: [join(REPO_ROOT, 'node_modules')], entryPoints: { index: join(dir, 'entry.mjs') }, outdir: built, metafile: true });
  const init = initFiles(layoutFrom(result.metafile as Metafile, built));
  const floor = { file: join(built, 'index.mjs'), bytes: init.reduce((sum, file) => sum + statSync(join(built, file)).size, 0) };
  floors.set(key, floor);
  return floor;
}

/** A function's bundle as esbuild laid it out: output file (relative to the bundle) → its size, static imports, inputs. */
interface Layout {
  outputs: Map<string, { bytes: number; imports: string[]; inputs: string[] }>;
}

/** The same build as the synthesized one, with its metafile. */
async function layoutOf(entry: string, assetDir: string): Promise<Layout> {
  const dir = mkdtempSync(join(outdir, 'layout-'));
  const result = await build({ ...FUNCTION_BUILD, absWorkingDir: REPO_ROOT, entryPoints: { index: join(REPO_ROOT, entry) }, outdir: dir, metafile: true });
  if (!readFileSync(join(dir, 'index.mjs')).equals(readFileSync(join(assetDir, 'index.mjs')))) throw new Error(`${entry}: the synthesized bundle is not what infra/bundling.ts builds`);
  return layoutFrom(result.metafile as Metafile, dir);
}

/** A metafile's outputs, named relative to `dir`, where the build wrote them. */
function layoutFrom(metafile: Metafile, dir: string): Layout {
  const relativeTo = (path: string) => relative(dir, join(REPO_ROOT, path));
  const outputs = new Map(
    Object.entries(metafile.outputs).map(([path, output]) => [
      relativeTo(path),
      { bytes: output.bytes, imports: output.imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => relativeTo(i.path)), inputs: Object.keys(output.inputs) },
    ]),
  );
  return { outputs };
}

/** index.mjs and every chunk it imports statically: what Lambda's init loads. */
function initFiles(layout: Layout): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    layout.outputs.get(file)!.imports.forEach(visit);
  };
  visit('index.mjs');
  return [...seen];
}

/**
 * The SDK clients of these services that the bundle holds, each with the chunk its client class went into — not every
 * chunk with some of the client's package: a command can sit in a chunk of code the function never loads (the data
 * source connectors hold DynamoDB's DescribeTable beside the S3 client), and loading that chunk charged the connectors
 * to every function whose role reaches DynamoDB. A service reaches two clients (SES and SESv2); a function that holds
 * one is measured against that one. A service the role reaches but no client of the bundle calls is an error: the
 * role grants more than the code uses.
 */
function heldClients(layout: Layout, services: string[]): Array<{ client: SdkClient; chunk: string }> {
  return services.flatMap((service) => {
    const held = CLIENTS[service]!.flatMap((client) => {
      const module = `node_modules/${client[0]}/dist-es/${client[1]}.js`;
      const holder = [...layout.outputs].find(([file, output]) => file.endsWith('.mjs') && output.inputs.some((input) => input.endsWith(module)));
      return holder ? [{ client, chunk: holder[0] }] : [];
    });
    if (held.length === 0) throw new Error(`the role reaches ${service}, but no chunk of the bundle holds a client of it`);
    return held;
  });
}

const rows: Array<{ name: string; initBytes: number; ratio: number }> = [];
console.log(`  function                           init KB  gzip KB  all KB  floor KB  init ms  +SDK ms  floor ms  ratio  SDK clients`);
for (const fn of template.functions().values()) {
  const code = synthesized.Resources[fn.logicalId]!.Properties!.Code as { S3Key: string };
  const assetDir = join(outdir, 'cdk.out', `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  if (!existsSync(join(assetDir, 'index.mjs'))) throw new Error(`${fn.logicalId}: no bundle in ${assetDir}`);
  const layout = await layoutOf(fn.entry, assetDir);
  const init = initFiles(layout);
  const initBytes = init.reduce((sum, file) => sum + statSync(join(assetDir, file)).size, 0);
  const gzipped = gzipSync(Buffer.concat(init.map((file) => readFileSync(join(assetDir, file))))).length;
  const allBytes = [...layout.outputs.keys()].filter((file) => file.endsWith('.mjs')).reduce((sum, file) => sum + statSync(join(assetDir, file)).size, 0);
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
  const clients = heldClients(layout, services);
  const floor = await floorBundle(clients.map(({ client }) => client));
  const floorEnv = { PATH: env.PATH, AWS_REGION: 'us-east-1', ...(fn.environment.NODE_OPTIONS ? { NODE_OPTIONS: fn.environment.NODE_OPTIONS } : {}) };
  const withClients = [join(assetDir, 'index.mjs'), ...[...new Set(clients.map(({ chunk }) => chunk))].filter((file) => !init.includes(file)).map((file) => join(assetDir, file))];
  const rounds = Array.from({ length: RUNS }, (_, round) => {
    // Every other round measures the function before its floor, so a machine that speeds up or slows down within a
    // round weighs on both sides of the ratio alike.
    const floorFirst = round % 2 === 0;
    const earlier = floorFirst ? importCpuMs([floor.file], floorEnv) : importCpuMs(withClients, env);
    const later = floorFirst ? importCpuMs(withClients, env) : importCpuMs([floor.file], floorEnv);
    const [floorRound, withClientsRound] = floorFirst ? [earlier, later] : [later, earlier];
    const initRound = importCpuMs([join(assetDir, 'index.mjs')], env);
    return { floor: floorRound, init: initRound, withClients: withClientsRound, ratio: withClientsRound / floorRound };
  });
  const [initMs, withClientsMs, floorMs, ratio] = (['init', 'withClients', 'floor', 'ratio'] as const).map((figure) => median(rounds.map((round) => round[figure]))) as [number, number, number, number];
  rows.push({ name: fn.logicalId, initBytes, ratio });
  const kb = (bytes: number, width: number) => (bytes / 1024).toFixed(0).padStart(width);
  console.log(
    `  ${fn.logicalId.padEnd(34)} ${kb(initBytes, 7)}  ${kb(gzipped, 7)}  ${kb(allBytes, 6)}  ${kb(floor.bytes, 8)}  ${initMs.toFixed(0).padStart(7)}  ${withClientsMs.toFixed(0).padStart(7)}  ${floorMs.toFixed(0).padStart(8)}  ${ratio.toFixed(2).padStart(5)}  ${clients.map(({ client: [, name] }) => name.replace(/Client$/, '')).join(', ')}`,
  );
}
writeFileSync(join(outdir, 'cold-start.json'), JSON.stringify(rows, null, 2));
const largest = rows.reduce((a, b) => (b.initBytes > a.initBytes ? b : a));
const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
console.log(`  bundles whose init loads over ${MAX_BUNDLE_BYTES / 1024} KB: ${rows.filter((r) => r.initBytes > MAX_BUNDLE_BYTES).length} of ${rows.length} (largest ${largest.name} ${(largest.initBytes / 1024).toFixed(0)} KB)`);
console.log(`worst init ratio ${worst.ratio.toFixed(2)} (${worst.name})`);
