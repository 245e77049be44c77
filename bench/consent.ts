/**
 * Bench: the consent read against a bare GetItem, on DynamoDB Local with the stack's Consent table.
 * Loads 10,000 people × 5 purposes (their state items; history items sit outside both reads' key ranges, so they
 * are left out to keep the run short) with BatchWriteItem, then reads the
 * current state of all purposes of random people (one Query) and, for comparison, one state item of random
 * people (one GetItem): the same number of reads at the same concurrency, in alternating rounds so neither
 * side gets the warmer JVM. Run: tsx bench/consent.ts — the last line compares the two p99s.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BatchWriteCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoConsentLedger, stateItem } from '../functions/adapters/dynamodb/consent-ledger.ts';
import { applyEvents, grantEvents, parseConsentAction, type ConsentPolicy } from '../functions/domain/consent/index.ts';
import { personKey } from '../functions/domain/person-key.ts';
import { startTestDynamoDb } from '../test/support/dynamodb.ts';

const PEOPLE = 10_000;
const POLICY: ConsentPolicy = {
  timeZone: 'Asia/Almaty',
  purposes: [
    { id: 'service', version: 'v1', consentTerm: { years: 3, autoProlong: true } },
    { id: 'marketing', version: 'v1', consentTerm: { years: 3, autoProlong: false } },
    { id: 'analytics', version: 'v1' },
    { id: 'personalisation', version: 'v1', consentTerm: { years: 3, autoProlong: true } },
    { id: 'partners', version: 'v1', consentTerm: { years: 1, autoProlong: false } },
  ],
};
const SECRET = 'bench secret, not used anywhere else, 32+ bytes';
const BATCH_SIZE = 25; // BatchWriteItem's maximum
const LOAD_CONCURRENCY = 4;
const READS = 2_000;
const READ_CONCURRENCY = 8;
const ROUNDS = 4;
const WARM_UP_READS = 400;
const GRANTED_AT = new Date('2026-02-01T06:00:00.000Z');
const READ_AT = new Date('2026-06-01T00:00:00.000Z');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes one batch, putting back whatever DynamoDB left unprocessed until nothing is; returns how many retries it took. */
async function writeBatch(db: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]): Promise<number> {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  let retries = 0;
  while (requests.length > 0) {
    const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
    requests = (result.UnprocessedItems?.[table] ?? []) as typeof requests;
    if (requests.length > 0) {
      retries += 1;
      await sleep(Math.min(1_000, 25 * 2 ** retries));
    }
  }
  return retries;
}

/** Runs `count` calls of `read` with `concurrency` in flight; returns each call's latency and the wall time. */
async function measure(count: number, concurrency: number, read: () => Promise<unknown>): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let started = 0;
  const wallStart = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started += 1;
        const t0 = performance.now();
        await read();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - wallStart };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

const ddb = await startTestDynamoDb();
try {
  const table = ddb.tables.consent;
  const keys = Array.from({ length: PEOPLE }, (_, i) => personKey(`person-${i}@example.kz`, SECRET));

  // Every person granted every purpose: the state items as the adapter lays them out (running terms in the index too).
  const items = keys.flatMap((key) =>
    POLICY.purposes.map(({ id }) => {
      const action = parseConsentAction({ personKey: key, purposeId: id, at: GRANTED_AT, channel: 'web', evidence: { requestId: 'DRB-BENCH-00000' } });
      const state = applyEvents(undefined, grantEvents(undefined, action, POLICY));
      if (!state) throw new Error('a first grant always leads to a state');
      return stateItem(key, state);
    }),
  );
  const batches = Array.from({ length: Math.ceil(items.length / BATCH_SIZE) }, (_, i) => items.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE));
  const loadStart = performance.now();
  let next = 0;
  let retries = 0;
  await Promise.all(
    Array.from({ length: LOAD_CONCURRENCY }, async () => {
      while (next < batches.length) retries += await writeBatch(ddb.db, table, batches[next++] ?? []);
    }),
  );
  const loadSeconds = (performance.now() - loadStart) / 1000;
  console.log(
    `loaded ${PEOPLE} people × ${POLICY.purposes.length} purposes = ${items.length} state items in ${loadSeconds.toFixed(1)} s, ` +
      `${Math.round(items.length / loadSeconds)} items/s, ${batches.length} batches, ${retries} unprocessed-item retries`,
  );

  const ledger = new DynamoConsentLedger(ddb.db, table, POLICY);
  const randomKey = () => keys[randomInt(keys.length)] ?? '';
  const consentRead = async () => {
    const states = await ledger.current(randomKey(), READ_AT);
    if (states.length !== POLICY.purposes.length) throw new Error(`expected ${POLICY.purposes.length} states, got ${states.length}`);
  };
  const getItem = async () => {
    const purpose = POLICY.purposes[randomInt(POLICY.purposes.length)]?.id ?? '';
    const { Item } = await ddb.db.send(new GetCommand({ TableName: table, Key: { pk: randomKey(), sk: `STATE#${purpose}` } }));
    if (!Item) throw new Error('state item missing');
  };

  await measure(WARM_UP_READS, READ_CONCURRENCY, consentRead);
  await measure(WARM_UP_READS, READ_CONCURRENCY, getItem);

  const results = { consent: { latencies: [] as number[], wallMs: 0 }, getItem: { latencies: [] as number[], wallMs: 0 } };
  const perRound = READS / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['consent', 'getItem'] as const) : (['getItem', 'consent'] as const);
    for (const kind of order) {
      const { latencies, wallMs } = await measure(perRound, READ_CONCURRENCY, kind === 'consent' ? consentRead : getItem);
      results[kind].latencies.push(...latencies);
      results[kind].wallMs += wallMs;
    }
  }

  const summary = (label: string, { latencies, wallMs }: { latencies: number[]; wallMs: number }) => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = percentile(sorted, 0.99);
    console.log(
      `${label}: p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ` +
        `${Math.round(latencies.length / (wallMs / 1000))} reads/s over ${latencies.length} reads, concurrency ${READ_CONCURRENCY}`,
    );
    return p99.toFixed(2);
  };
  const consentP99 = summary('consent read (Query on pk, begins_with STATE#)', results.consent);
  const getItemP99 = summary('bare GetItem (one state item)', results.getItem);
  console.log(`consent read p99 ${consentP99} ms, bare GetItem p99 ${getItemP99} ms, ratio ${(Number(consentP99) / Number(getItemP99)).toFixed(2)}`);
} finally {
  await ddb.stop();
}
