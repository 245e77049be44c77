/**
 * How long the local runtime takes to come back with many executions waiting:
 *   npm run bench:restart -- [--waiting 2000] [--concurrency 8]
 *
 * Starts the runtime as `npm start` does (a child process), submits `waiting` access requests through
 * POST /api/requests and waits until each execution waits for its confirmation (the link is in the SMTP sink),
 * then stops it with Ctrl-C (SIGINT) and starts it again, and once more after a kill -9 of its process group.
 * Prints the time from each start until GET /health answers 200, and how many executions it resumed.
 *
 *   npm run bench:restart -- --data <folder>
 * restarts a copy of a data folder that an earlier run left (its executions still waiting: the last step of a run
 * is a kill -9) instead of submitting the requests again, which takes minutes: the restarts measured are the same.
 */
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../infra/local/free-port.ts';
import { MailSink } from '../test/support/mail-sink.ts';
import { benchProfile, ChildRuntime } from './lib/child-runtime.ts';

const { values: args } = parseArgs({ options: { waiting: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '8' }, data: { type: 'string' } } });
const WAITING = Number(args.waiting);
const CONCURRENCY = Number(args.concurrency);

const dataDir = mkdtempSync(join(tmpdir(), 'derbes-restart-'));
if (args.data) cpSync(args.data, dataDir, { recursive: true });
const sink = await new MailSink().start();
const [port, smtpPort] = [await freePort(), await freePort()];
const runtime = new ChildRuntime(dataDir, { PORT: String(port), SMTP_PORT: String(smtpPort), DYNAMODB_PORT: '0', MAIL_RELAY_URL: sink.url, DERBES_PROFILE: benchProfile(dataDir) });
const url = runtime.url;

const resumedLine = () => [...runtime.log().matchAll(/\((\d+) running executions resumed\)/g)].at(-1)?.[1] ?? '0';
const running = () => readdirSync(join(dataDir, 'stepfunctions', 'running')).filter((f) => f.endsWith('.json')).length;

const first = await runtime.start();
console.log(`restart: ${args.data ? `a copy of ${args.data}` : `${WAITING} executions waiting for confirmation`}; data in ${dataDir}`);
console.log(`  first start healthy after ${(first / 1000).toFixed(1)} s${args.data ? `, ${resumedLine()} executions resumed` : ''}`);

if (!args.data) await submit();

async function submit(): Promise<void> {
  const submittedAt = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < WAITING) {
        const i = next++;
        const response = await fetch(`${url}/api/requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `restart-${i}` },
          body: JSON.stringify({ type: 'access', email: `restart.${i}@example.kz`, language: 'en' }),
        });
        if (!response.ok) throw new Error(`request ${i}: ${response.status} ${await response.text()}`);
      }
    }),
  );
  const links = () => sink.messages.filter((m) => m.text.includes('/verify?code=')).length;
  while (links() < WAITING) await new Promise((r) => setTimeout(r, 1000));
  console.log(`  ${WAITING} requests submitted and waiting for confirmation after ${((Date.now() - submittedAt) / 1000).toFixed(1)} s`);
}

await runtime.interrupt();
const afterStop = await runtime.start();
console.log(`  after Ctrl-C: healthy after ${(afterStop / 1000).toFixed(1)} s, ${resumedLine()} executions resumed (${running()} checkpoint files)`);

await runtime.kill();
const afterKill = await runtime.start();
console.log(`  after kill -9: healthy after ${(afterKill / 1000).toFixed(1)} s, ${resumedLine()} executions resumed`);

await runtime.kill();
await sink.stop();
console.log(`restart with ${resumedLine()} waiting executions: healthy after ${(afterStop / 1000).toFixed(1)} s (Ctrl-C), ${(afterKill / 1000).toFixed(1)} s (kill -9)`);
