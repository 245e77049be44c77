/**
 * Intake on the local runtime against its own database:
 *   npm run bench:intake -- [--requests 400] [--concurrency 8] [--bare 2000] [--warm-up 800]
 *
 * Starts the runtime as `npm start` does (its outgoing mail to a real SMTP sink), sends N access requests through
 * POST /api/requests at the given concurrency and waits for each one's receipt (the mail that also carries the
 * confirmation link). The runtime counts the items its functions write in DynamoDB (METER_FILE), so the run knows
 * the writes a request makes up to that mail. In the same run and on the same DynamoDB Local it measures bare PutItem
 * at the same concurrency (items of a request's size), half right before the requests and half right after, so that
 * a machine whose speed drifts during the run moves both sides of the ratio alike; it prints:
 *   intake req/s, bare puts/s, writes per request, receipt p50/p95, and
 *   ratio = intake ÷ (bare ÷ writes per request)   — the share of the database's pace the runtime keeps (goal ≥ 0.5)
 * and, on Linux, the CPU time per request of the runtime's Node process (with its function workers) and of its
 * DynamoDB Local, from sending the first request to the last receipt: unlike the wall figures, they hold still
 * when other work shares the machine.
 * With 2,000 requests or more it also prints the rate of the first and of the last 1,000 (constant cost per request),
 * and the rate and the CPU time per request of every 1,000 in turn. On Linux it also prints the four busiest threads of
 * the runtime and DynamoDB Local: the share of the run each spent on a CPU, and runnable but waiting for one.
 * Before the clock runs, --warm-up requests (printed, not counted) warm the runtime and the database alike.
 */
import { parseArgs } from 'node:util';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { usedBetween } from '../infra/local/meter.ts';
import { meteredRuntime } from './lib/metered-runtime.ts';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '8' },
    bare: { type: 'string', default: '2000' },
    'warm-up': { type: 'string', default: '800' },
  },
});
const REQUESTS = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const BARE_PUTS = Number(args.bare);
const WARM_UP = Number(args['warm-up']);
const MAIL_WAIT_MS = 120_000;

const { dataDir, runtime, sink, dynamoDbPort, settledMeter } = await meteredRuntime('intake');

/** Our Message-IDs start with the reference: <DRB-XXXXX-XXXXX.receipt@domain>, <DRB-XXXXX-XXXXX.answer.1a2b@domain>. */
const mailArrivals = new Map<string, number>();
const referenceOf = (messageId = '') => /^<?(DRB-[0-9A-Z]{5}-[0-9A-Z]{5})\./.exec(messageId)?.[1];
let seenMails = 0;
function collectMail(): void {
  for (; seenMails < sink.messages.length; seenMails++) {
    const reference = referenceOf(sink.messages[seenMails]!.messageId);
    if (reference && !mailArrivals.has(reference)) mailArrivals.set(reference, sink.messages[seenMails]!.receivedAt);
  }
}

interface Sent {
  reference: string;
  postedAt: number;
  acceptedAt: number;
}

type CpuSeconds = ReturnType<typeof runtime.cpuSeconds>;

/** Sends `count` requests; with `cpuEachThousand`, the runtime's CPU time as each thousandth request is accepted. */
async function send(prefix: string, count: number, cpuEachThousand?: CpuSeconds[]): Promise<{ sent: Sent[]; ms: number }> {
  const sent: Sent[] = [];
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const postedAt = Date.now();
      const response = await fetch(`${runtime.url}/api/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${prefix}-${i}` },
        body: JSON.stringify({ type: 'access', email: `${prefix}.${i}@example.kz`, language: 'ru' }),
      });
      const body = (await response.json()) as { reference?: string };
      if (!response.ok || !body.reference) throw new Error(`request ${prefix}-${i} refused: ${response.status} ${JSON.stringify(body)}`);
      sent.push({ reference: body.reference, postedAt, acceptedAt: Date.now() });
      if (cpuEachThousand && sent.length % 1000 === 0) cpuEachThousand.push(runtime.cpuSeconds());
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { sent, ms: Date.now() - started };
}

async function receipts(sent: Sent[]): Promise<void> {
  const deadline = Date.now() + MAIL_WAIT_MS;
  while (Date.now() < deadline) {
    collectMail();
    if (sent.every((s) => mailArrivals.has(s.reference))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const missing = sent.filter((s) => !mailArrivals.has(s.reference)).length;
  throw new Error(`${missing} of ${sent.length} receipts did not arrive within ${MAIL_WAIT_MS / 1000} s; see ${runtime.logFile}`);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

console.log(`intake: ${REQUESTS} access requests at concurrency ${CONCURRENCY}, between two halves of ${BARE_PUTS} bare PutItem on the same DynamoDB Local; data in ${dataDir}`);
try {
  const healthyMs = await runtime.start();
  console.log(`  runtime healthy after ${(healthyMs / 1000).toFixed(1)} s`);

  // Warm-up: every function on the path has started, and both the runtime and DynamoDB Local have compiled their hot
  // code, before the clock runs — as for the bare puts, which run on the database this run has warmed. Sixteen
  // requests started the functions but left the first thousand of 10,000 a fifth slower than the last (JIT).
  const warm = await send('warm', WARM_UP);
  await receipts(warm.sent);
  console.log(`  warm-up: ${WARM_UP} requests, ${((WARM_UP / warm.ms) * 1000).toFixed(1)} req/s (not counted)`);
  // Bare PutItem: the same database, the same concurrency, an item of the request item's size.
  const dynamo = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamoDbPort}`, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const table = 'bench-bare-puts';
  await dynamo.send(new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
  const payload = 'x'.repeat(600);
  /** Puts `count` items at the run's concurrency; the milliseconds it took. */
  const barePuts = async (prefix: string, count: number): Promise<number> => {
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const i = next++;
          await dynamo.send(new PutItemCommand({ TableName: table, Item: { pk: { S: `${prefix}-${i}` }, payload: { S: payload }, at: { S: new Date().toISOString() } } }));
        }
      }),
    );
    return Date.now() - started;
  };
  const bareBefore = await barePuts('before', Math.ceil(BARE_PUTS / 2));
  const before = await settledMeter();

  const cpuBefore = runtime.cpuSeconds();
  const threadsBefore = runtime.threadTimes();
  const threadsReadAt = Date.now();
  const cpuEachThousand: CpuSeconds[] = [cpuBefore];
  const run = await send('intake', REQUESTS, cpuEachThousand);
  await receipts(run.sent);
  const cpuAfter = runtime.cpuSeconds();
  const threadsAfter = runtime.threadTimes();
  const threadsSeconds = (Date.now() - threadsReadAt) / 1000;
  const after = await settledMeter();

  const bareAfter = await barePuts('after', Math.floor(BARE_PUTS / 2));
  await dynamo.send(new DeleteTableCommand({ TableName: table }));
  const barePerSecond = (BARE_PUTS / (bareBefore + bareAfter)) * 1000;
  const bareRates = `${((Math.ceil(BARE_PUTS / 2) / bareBefore) * 1000).toFixed(0)} before the requests, ${((Math.floor(BARE_PUTS / 2) / bareAfter) * 1000).toFixed(0)} after`;

  const intakePerSecond = (REQUESTS / run.ms) * 1000;
  const used = usedBetween(before, after);
  const writesPerRequest = used.dynamoDbItemWrites / REQUESTS;
  const receiptMs = run.sent.map((s) => mailArrivals.get(s.reference)! - s.postedAt).sort((a, b) => a - b);
  const callsPerRequest = Object.entries(used.calls).map(([call, n]) => `${call} ${(n / REQUESTS).toFixed(2)}`);

  console.log(`  calls per request up to the receipt: ${callsPerRequest.join(', ')}`);
  if (REQUESTS >= 2000) {
    const byAcceptance = run.sent.map((s) => s.acceptedAt).sort((a, b) => a - b);
    const rate = (from: number, to: number) => ((to - from + 1) / (byAcceptance[to]! - byAcceptance[from]!)) * 1000;
    const first = rate(0, 999);
    const last = rate(REQUESTS - 1000, REQUESTS - 1);
    console.log(`  first 1,000: ${first.toFixed(1)} req/s, last 1,000: ${last.toFixed(1)} req/s (last ÷ first ${(last / first).toFixed(2)})`);
    // Every thousand in turn: a steady decline is cost that grows with the work done, a dip and a recovery the machine.
    const thousands = Array.from({ length: Math.floor(REQUESTS / 1000) }, (_, k) => rate(k * 1000, k * 1000 + 999).toFixed(1));
    console.log(`  req/s by 1,000 in turn: ${thousands.join(', ')}`);
    // CPU per request in each thousand: if it holds still while the rate falls, the machine slowed, not the runtime.
    const cpuByThousand = cpuEachThousand.slice(1).map((mark, k) => {
      const start = cpuEachThousand[k];
      return start && mark ? `${(mark.runtime - start.runtime).toFixed(0)}+${(mark.database - start.database).toFixed(0)}` : '?';
    });
    console.log(`  CPU ms per request by 1,000 in turn (runtime + DynamoDB Local): ${cpuByThousand.join(', ')}`);
  }
  if (cpuBefore && cpuAfter) {
    const ms = (seconds: number) => ((seconds / REQUESTS) * 1000).toFixed(1);
    console.log(
      `  CPU per request up to the receipt: runtime (Node, its workers) ${ms(cpuAfter.runtime - cpuBefore.runtime)} ms, of which its main thread ${ms(cpuAfter.mainThread - cpuBefore.mainThread)} ms; DynamoDB Local ${ms(cpuAfter.database - cpuBefore.database)} ms`,
    );
  }
  if (threadsBefore && threadsAfter) {
    // Shares of the time from the first request to the last receipt, for the threads that ran through all of it.
    const busiest = [...threadsAfter].flatMap(([id, after]) => {
      const before = threadsBefore.get(id);
      return before ? [{ name: after.name, onCpu: (after.onCpu - before.onCpu) / threadsSeconds, waiting: (after.waiting - before.waiting) / threadsSeconds }] : [];
    });
    busiest.sort((a, b) => b.onCpu + b.waiting - (a.onCpu + a.waiting));
    const percent = (share: number) => `${(share * 100).toFixed(0)}%`;
    console.log(
      `  the ${Math.min(4, busiest.length)} busiest threads, on a CPU / runnable but waiting for one: ${busiest
        .slice(0, 4)
        .map((thread) => `${thread.name} ${percent(thread.onCpu)} / ${percent(thread.waiting)}`)
        .join(', ')}`,
    );
  }
  const acceptMs = run.sent.map((s) => s.acceptedAt - s.postedAt).sort((a, b) => a - b);
  const afterAcceptMs = run.sent.map((s) => mailArrivals.get(s.reference)! - s.acceptedAt).sort((a, b) => a - b);
  const seconds = (sorted: number[]) => `p50 ${(percentile(sorted, 50) / 1000).toFixed(2)} s, p95 ${(percentile(sorted, 95) / 1000).toFixed(2)} s`;
  console.log(`  receipt mail ${seconds(receiptMs)} (the POST's answer ${seconds(acceptMs)}; from it to the mail ${seconds(afterAcceptMs)})`);
  console.log(
    `intake ${intakePerSecond.toFixed(1)} req/s, bare ${barePerSecond.toFixed(0)} puts/s (${bareRates}), ${writesPerRequest.toFixed(1)} writes per request, ratio ${(intakePerSecond / (barePerSecond / writesPerRequest)).toFixed(2)}`,
  );
} finally {
  await runtime.interrupt().catch(() => undefined);
  await sink.stop();
}
