/**
 * Crash campaign on the local runtime, as `npm start` runs it:
 *   npm run bench:chaos -- [--cycles 20] [--requests 50] [--concurrency 8] [--kill-within 12] [--seed n]
 *
 * Each cycle starts the runtime (a child process group: Node, its function workers, DynamoDB Local's JVM) on one
 * data folder, submits new access requests through POST /api/requests at the given concurrency, and at a random
 * moment kills the whole process group with SIGKILL. An automatic confirmer clicks every confirmation link that
 * reaches the SMTP sink (the runtime's MAIL_RELAY_URL), retrying while the runtime is down. After the last cycle
 * the runtime starts once more and runs until every accepted request is answered, or nothing moves for a minute.
 *
 * Prints: accepted (a 2xx answer to the POST), lost (accepted, not in the table), stuck (accepted, and at the end
 * not answered: no answer mail, or not COMPLETED — each listed with where it stands), duplicate receipts and
 * duplicate answers (requests that got the mail more than once; also counted by distinct Message-ID, since a
 * resend carries the first attempt's Message-ID). Exits non-zero if any figure but accepted is above 0.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoAuditLog } from '../functions/adapters/dynamodb/audit-log.ts';
import { documentClient } from '../functions/adapters/dynamodb/client.ts';
import { DynamoRequestStore } from '../functions/adapters/dynamodb/request-store.ts';
import { NotFoundError } from '../functions/domain/errors.ts';
import { freePort } from '../infra/local/free-port.ts';
import { LocalTemplate, type CfnTemplate } from '../infra/local/template.ts';
import { MailSink, type ReceivedMail } from '../test/support/mail-sink.ts';
import { benchProfile, ChildRuntime } from './lib/child-runtime.ts';
import { seededRandom } from './lib/mutate-mail.ts';

const { values: args } = parseArgs({
  options: {
    cycles: { type: 'string', default: '20' },
    requests: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
    'kill-within': { type: 'string', default: '12' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
  },
});
const CYCLES = Number(args.cycles);
const PER_CYCLE = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const KILL_WITHIN_MS = Number(args['kill-within']) * 1000;
const random = seededRandom(Number(args.seed));
const QUIET_MS = 60_000;
const DRAIN_LIMIT_MS = 15 * 60_000;

const dataDir = mkdtempSync(join(tmpdir(), 'derbes-chaos-'));
const sink = await new MailSink().start();
const [port, smtpPort, dynamoDbPort] = [await freePort(), await freePort(), await freePort()];
const runtime = new ChildRuntime(dataDir, { PORT: String(port), SMTP_PORT: String(smtpPort), DYNAMODB_PORT: String(dynamoDbPort), MAIL_RELAY_URL: sink.url, DERBES_PROFILE: benchProfile(dataDir) });
const url = runtime.url;

/** Our Message-IDs start with the reference and the kind: <DRB-XXXXX-XXXXX.answer.1a2b@domain>, a thread's receipt <DRB-XXXXX-XXXXX.receipt@domain>. */
function kindOf(mail: ReceivedMail): { reference: string; kind: string } | undefined {
  const match = /^<?(DRB-[0-9A-Z]{5}-[0-9A-Z]{5})\.([A-Za-z]+)[.@]/.exec(mail.messageId ?? '');
  return match ? { reference: match[1]!, kind: match[2]! } : undefined;
}

// The confirmer: every confirmation link is POSTed until the runtime says yes (or no, for good).
const confirmations = { sent: 0, refused: new Map<string, number>() };
let confirmedUpTo = 0;
const pendingCodes: Array<{ reference: string; code: string }> = [];
let confirming = true;
const confirmer = (async () => {
  while (confirming) {
    for (; confirmedUpTo < sink.messages.length; confirmedUpTo++) {
      const mail = sink.messages[confirmedUpTo]!;
      const code = /\/verify\?code=([A-Za-z0-9_%-]+)/.exec(mail.text)?.[1];
      const id = kindOf(mail);
      if (code && id) pendingCodes.push({ reference: id.reference, code: decodeURIComponent(code) });
    }
    const next = pendingCodes.shift();
    if (!next) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      const response = await fetch(`${url}/api/verifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: next.code }) });
      if (response.status >= 500) throw new Error(String(response.status));
      if (response.ok) confirmations.sent++;
      else confirmations.refused.set(next.reference, response.status);
    } catch {
      // The runtime is down or failed: try this link again a little later.
      pendingCodes.push(next);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
})();

const accepted = new Set<string>();
let submitted = 0;
let cutOff = 0;
async function submit(cycle: number, stopAt: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < PER_CYCLE && Date.now() < stopAt) {
      const i = next++;
      submitted++;
      try {
        const response = await fetch(`${url}/api/requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `chaos-${cycle}-${i}` },
          body: JSON.stringify({ type: 'access', email: `chaos.${cycle}.${i}@example.kz`, language: 'en' }),
        });
        const body = (await response.json()) as { reference?: string };
        if (response.ok && body.reference) accepted.add(body.reference);
        else cutOff++;
      } catch {
        cutOff++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

console.log(`chaos: ${CYCLES} cycles × ${PER_CYCLE} requests at concurrency ${CONCURRENCY}, kill -9 of the runtime's process group within ${KILL_WITHIN_MS / 1000} s of each cycle's start (seed ${args.seed}); data in ${dataDir}`);
const started = Date.now();
const killsAt: string[] = [];
const startTimes: number[] = [];
for (let cycle = 1; cycle <= CYCLES; cycle++) {
  startTimes.push(await runtime.start());
  const killAfter = random.below(KILL_WITHIN_MS);
  const cycleStart = Date.now();
  const submitting = submit(cycle, cycleStart + killAfter);
  await new Promise((r) => setTimeout(r, killAfter));
  await runtime.kill();
  await submitting;
  killsAt.push((killAfter / 1000).toFixed(1));
  console.log(`  cycle ${cycle}: healthy after ${(startTimes.at(-1)! / 1000).toFixed(1)} s, killed ${(killAfter / 1000).toFixed(1)} s in; accepted so far ${accepted.size}, mails ${sink.messages.length}`);
}

// The last start: let everything finish.
startTimes.push(await runtime.start());
const template = new LocalTemplate(JSON.parse(readFileSync(join(dataDir, 'cdk.out', 'Derbes.template.json'), 'utf8')) as CfnTemplate, url);
const tableOf = (prefix: string) => template.tables().find((t) => t.name.startsWith(prefix))!.name;
Object.assign(process.env, { AWS_REGION: 'local', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamoDbPort}` });
const requests = new DynamoRequestStore(documentClient(), tableOf('StorageRequests'), tableOf('StorageAudit'));
const audit = new DynamoAuditLog(documentClient(), tableOf('StorageAudit'));

async function statuses(): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const reference of accepted) {
    try {
      result.set(reference, (await requests.get(reference)).status);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      result.set(reference, 'MISSING');
    }
  }
  return result;
}
let last = '';
let lastChange = Date.now();
const drainStart = Date.now();
let final = await statuses();
while (Date.now() - drainStart < DRAIN_LIMIT_MS) {
  final = await statuses();
  const open = [...final.values()].filter((s) => s !== 'COMPLETED' && s !== 'MISSING').length;
  const fingerprint = `${[...final.values()].join()}|${sink.messages.length}|${pendingCodes.length}`;
  if (fingerprint !== last) [last, lastChange] = [fingerprint, Date.now()];
  if (!open || Date.now() - lastChange > QUIET_MS) break;
  await new Promise((r) => setTimeout(r, 2000));
}
confirming = false;
await confirmer;

// Account for every accepted request.
const mails = new Map<string, Array<{ kind: string; messageId: string }>>();
for (const mail of sink.messages) {
  const id = kindOf(mail);
  if (id) mails.set(id.reference, [...(mails.get(id.reference) ?? []), { kind: id.kind, messageId: mail.messageId! }]);
}
const executions = (state: 'running' | 'finished') => {
  const dir = join(dataDir, 'stepfunctions', state);
  return existsSync(dir) ? new Set(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5))) : new Set<string>();
};
const [running, finished] = [executions('running'), executions('finished')];
const lost: string[] = [];
const stuck: string[] = [];
const duplicates = { receipt: 0, answer: 0, receiptIds: 0, answerIds: 0, verification: 0 };
for (const reference of accepted) {
  const received = mails.get(reference) ?? [];
  const of = (kind: string) => received.filter((m) => m.kind === kind);
  const distinct = (kind: string) => new Set(of(kind).map((m) => m.messageId)).size;
  if (of('receipt').length > 1) duplicates.receipt++;
  if (distinct('receipt') > 1) duplicates.receiptIds++;
  if (of('answer').length > 1) duplicates.answer++;
  if (distinct('answer') > 1) duplicates.answerIds++;
  if (of('verification').length > 1) duplicates.verification++;
  const status = final.get(reference)!;
  if (status === 'MISSING') {
    lost.push(reference);
    continue;
  }
  if (status === 'COMPLETED' && of('answer').length) continue;
  const execution = running.has(reference) ? 'execution running' : finished.has(reference) ? 'execution finished' : 'no execution';
  const trail = (await audit.list(reference)).map((e) => e.type).join(' ');
  const refused = confirmations.refused.get(reference);
  stuck.push(`${reference} ${status}, ${execution}, mails [${received.map((m) => m.kind).join(' ')}]${refused ? `, confirmation refused ${refused}` : ''}; trail: ${trail}`);
}
await runtime.kill();
await sink.stop();

console.log(`  kills at (s into the cycle): ${killsAt.join(' ')}`);
console.log(`  start until healthy (s): ${startTimes.map((t) => (t / 1000).toFixed(1)).join(' ')}`);
console.log(`  submitted ${submitted}, refused or cut off by a kill ${cutOff}; confirmations accepted ${confirmations.sent}, refused ${confirmations.refused.size}`);
console.log(`  requests that got more than one verification mail: ${duplicates.verification}`);
for (const line of stuck.slice(0, 30)) console.log(`  stuck: ${line}`);
if (stuck.length > 30) console.log(`  … and ${stuck.length - 30} more stuck`);
for (const reference of lost) console.log(`  lost: ${reference}`);
console.log(`duplicate receipts by distinct Message-ID ${duplicates.receiptIds}, duplicate answers by distinct Message-ID ${duplicates.answerIds}`);
console.log(`accepted ${accepted.size}, lost ${lost.length}, stuck ${stuck.length}, duplicate receipts ${duplicates.receipt}, duplicate answers ${duplicates.answer} (${((Date.now() - started) / 60000).toFixed(1)} min)`);
process.exit(lost.length || stuck.length || duplicates.receipt || duplicates.answer ? 1 : 0);
