import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { addYears } from '../../functions/domain/deadlines/local-time.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoRetentionStates } from '../../functions/adapters/dynamodb/retention-state.ts';
import { DynamoDbRetentionSource } from '../../functions/adapters/sources/dynamodb-retention.ts';
import { DynamoDbSourceConnector } from '../../functions/adapters/sources/dynamodb-source.ts';
import { loadProfileFile } from '../../functions/config/load-profile.ts';
import type { DataSource, OperatorProfile } from '../../functions/config/profile-schema.ts';
import { approveRule, purgeExpired } from '../../functions/use-cases/retention.ts';
import type { OwnRecords, RetentionSource } from '../../functions/use-cases/ports.ts';
import { createRecordTable, startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';

/**
 * The retention purge against DynamoDB Local when runs overlap: the local schedule and EventBridge retries start runs
 * while one is still working, an approval can arrive mid-run, and a run can outlive its lease. Whatever the overlap, a
 * record is purged once and its purge is in the audit trail once.
 */
const MESSAGES = 'retention-it-messages'; // anonymised; the address is the partition key, so it moves to a new key
const ACCOUNTS = 'retention-it-accounts'; // deleted
const T0 = new Date('2026-03-20T12:00:00Z');
const SIX_YEARS_AGO = addYears(T0.toISOString().slice(0, 10), -6);

let ddb: TestDynamoDb;
let seed: OperatorProfile;
let profile: OperatorProfile;
let test = 0;
/** This test's source ids (its own audit trails and rule states in the shared tables) and tables. */
let ids: { messages: string; accounts: string };
let tables: { messages: string; accounts: string };

beforeAll(async () => {
  ddb = await startTestDynamoDb();
  seed = loadProfileFile('profiles/seeds/vnedrah.json');
}, 180_000);
afterAll(async () => ddb?.stop());

beforeEach(async () => {
  test++;
  ids = { messages: `messages-${test}`, accounts: `accounts-${test}` };
  tables = { messages: `${MESSAGES}-${test}`, accounts: `${ACCOUNTS}-${test}` };
  for (const table of Object.values(tables)) await createRecordTable(ddb.db, table);
  for (const n of [1, 2]) {
    await ddb.db.send(new PutCommand({ TableName: tables.messages, Item: { email: `old${n}@mail.example`, recordId: 'review', authorName: `Автор ${n}`, lastInteraction: SIX_YEARS_AGO } }));
    await ddb.db.send(new PutCommand({ TableName: tables.accounts, Item: { email: `old${n}@mail.example`, recordId: 'account', lastName: `Фамилия ${n}`, lastInteraction: SIX_YEARS_AGO } }));
  }
});

/** Vnedrah's rules for the named sources only, on this test's tables. */
function useRules(...sources: Array<'messages' | 'accounts'>) {
  const renamed = (id: string) => (id === 'messages' || id === 'accounts' ? ids[id] : id);
  profile = {
    ...seed,
    sources: seed.sources.map((s) => (s.kind === 'dynamodb' && (s.id === 'messages' || s.id === 'accounts') ? { ...s, id: ids[s.id], tableName: tables[s.id] } : s)),
    retentionSchedule: {
      ...seed.retentionSchedule,
      sources: seed.retentionSchedule.sources.filter((r) => (sources as string[]).includes(r.source)).map((r) => ({ ...r, source: renamed(r.source) })),
    },
  };
}

/** A gate that holds each source's first page read of a run until the other run has read it too. */
function gate() {
  const waiting = new Map<string, { arrived: number; open: Promise<void>; release: () => void; first: Promise<void>; firstArrived: () => void }>();
  const at = (source: string) => {
    let entry = waiting.get(source);
    if (!entry) {
      let release!: () => void;
      let firstArrived!: () => void;
      const open = new Promise<void>((resolve) => (release = resolve));
      const first = new Promise<void>((resolve) => (firstArrived = resolve));
      entry = { arrived: 0, open, release, first, firstArrived };
      waiting.set(source, entry);
    }
    return entry;
  };
  return {
    /** Resolves once the first run is waiting at this source. */
    firstAt: (source: string) => at(source).first,
    open: (source: string) => at(source).release(),
    async pass(source: string, seen: Set<string>) {
      if (seen.has(source)) return;
      seen.add(source);
      const entry = at(source);
      entry.arrived++;
      if (entry.arrived === 1) entry.firstArrived();
      if (entry.arrived === 2) entry.release();
      await entry.open;
    },
  };
}

const unread = async (): Promise<never> => {
  throw new Error("derbes' own records are not read in these tests");
};

function deps(clock: Date, wrap: (source: DataSource, inner: RetentionSource) => RetentionSource = (_, inner) => inner) {
  const audit = new DynamoAuditLog(ddb.db, ddb.tables.audit);
  return {
    profile,
    deadlines: { timeZone: () => 'Asia/Almaty' } as never,
    retentionStates: new DynamoRetentionStates(ddb.db, ddb.tables.requests),
    audit,
    clock: { now: () => clock },
    keyedHash: async (kind: string, value: string) => `${kind}:${value}`,
    mailer: { send: async () => ({ messageId: 'unused' }) } as never,
    // These tests approve only source rules: derbes' own records (test/integration/own-records-retention.test.ts) wait unread,
    // and none was closed before the closed-date index: its back-fill finds nothing.
    ownRecords: { expired: unread, purge: unread, keyOf: unread, indexClosedPage: async () => ({ indexed: 0 }) } satisfies OwnRecords,
    retentionSourceFor(source: DataSource) {
      if (source.kind !== 'dynamodb') throw new Error('dynamodb only');
      const connector = new DynamoDbSourceConnector(ddb.db, source, async () => ['email', 'recordId']);
      return wrap(source, new DynamoDbRetentionSource(ddb.db, source, connector, ddb.tables.audit));
    },
  };
}

function gated(g: ReturnType<typeof gate>) {
  const seen = new Set<string>();
  return (source: DataSource, inner: RetentionSource): RetentionSource => ({
    async expired(rule, before, options) {
      const page = await inner.expired(rule, before, options);
      await g.pass(source.id, seen);
      return page;
    },
    purge: inner.purge.bind(inner),
    keyOf: inner.keyOf.bind(inner),
  });
}

async function purgedRecords(source: string): Promise<string[]> {
  const events = await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(`RETENTION#${source}`);
  return events.filter((e) => e.type === 'retention.purged').map((e) => (e.detail as { record: string }).record);
}
const scan = async (table: string) => (await ddb.db.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];

async function approveAll(at: Date) {
  for (const rule of profile.retentionSchedule.sources) await approveRule(deps(at), rule.source, { expired: 2, held: {} });
}
const recordKey = (source: 'messages' | 'accounts', n: number) => `record:{"email":"old${n}@mail.example","recordId":"${source === 'messages' ? 'review' : 'account'}"}`;

describe('retention purge under overlapping runs', () => {
  it('an approval given while a run holds the rule does not free the rule for a second run', async () => {
    useRules('messages');
    const states = new DynamoRetentionStates(ddb.db, ddb.tables.requests);
    // The run claims the rule while the approval is under way (after its reads, before its write).
    let claimedByRun: unknown;
    const interleaving = new Proxy(ddb.db, {
      get(target, name) {
        if (name !== 'send') return Reflect.get(target, name);
        return async (command: { constructor: { name: string } }) => {
          if (claimedByRun === undefined && command.constructor.name !== 'GetCommand') claimedByRun = await states.claim(ids.messages, T0, new Date(T0.getTime() + 600_000));
          return target.send(command as never);
        };
      },
    });
    await approveRule({ ...deps(T0), retentionStates: new DynamoRetentionStates(interleaving, ddb.tables.requests) }, ids.messages, { expired: 2, held: {} });
    expect(claimedByRun).toBeTruthy();
    expect(await states.claim(ids.messages, new Date(T0.getTime() + 1000), new Date(T0.getTime() + 600_000))).toBeFalsy();
    expect(await states.get(ids.messages)).toMatchObject({ approvedAt: T0.toISOString() });
  });

  it.each(['accounts', 'messages'] as const)('two runs on the same page of %s (the first outlived its lease) purge and record each record once', async (source) => {
    useRules(source);
    await approveAll(T0);
    const g = gate();
    const later = new Date(T0.getTime() + 11 * 60_000); // past the first run's 10-minute lease
    const first = purgeExpired(deps(T0, gated(g)));
    await g.firstAt(ids[source]); // the first run holds the rule and has read its page
    const second = purgeExpired(deps(later, gated(g)));
    const reports = await Promise.all([first, second]);

    expect(reports[0].purged + reports[1].purged).toBe(2);
    expect((await purgedRecords(ids[source])).sort()).toEqual([recordKey(source, 1), recordKey(source, 2)]);
    const left = await scan(tables[source]);
    if (source === 'accounts') expect(left).toEqual([]);
    else {
      // One anonymised copy per message, none left under the address.
      expect(left).toHaveLength(2);
      for (const message of left) expect(message).toMatchObject({ email: expect.stringMatching(/^\[erased\]/), authorName: '[erased]', retentionAnonymisedAt: expect.any(String) });
    }
    // The run that lost its lease wrote nothing about the pass: one pass finished, by the run that held the rule.
    const events = await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(`RETENTION#${ids[source]}`);
    expect(events.filter((e) => e.type === 'retention.pass_finished')).toHaveLength(1);
    expect(reports[0].passesFinished).toEqual([]);
  });

  it('a record the company touched after the page was read is kept, and nothing is recorded for it', async () => {
    useRules('accounts');
    await approveAll(T0);
    const g = gate();
    const run = purgeExpired(deps(T0, gated(g)));
    await g.firstAt(ids.accounts);
    await ddb.db.send(new UpdateCommand({ TableName: tables.accounts, Key: { email: 'old1@mail.example', recordId: 'account' }, UpdateExpression: 'SET lastInteraction = :today', ExpressionAttributeValues: { ':today': '2026-03-20' } }));
    await ddb.db.send(new UpdateCommand({ TableName: tables.accounts, Key: { email: 'old2@mail.example', recordId: 'account' }, UpdateExpression: 'SET legalHold = :case', ExpressionAttributeValues: { ':case': 'Дело № 1' } }));
    g.open(ids.accounts);
    expect((await run).purged).toBe(0);
    expect((await ddb.db.send(new GetCommand({ TableName: tables.accounts, Key: { email: 'old1@mail.example', recordId: 'account' } }))).Item).toMatchObject({ lastName: 'Фамилия 1' });
    expect((await ddb.db.send(new GetCommand({ TableName: tables.accounts, Key: { email: 'old2@mail.example', recordId: 'account' } }))).Item).toMatchObject({ lastName: 'Фамилия 2' });
    expect(await purgedRecords(ids.accounts)).toEqual([]);
  });
});
