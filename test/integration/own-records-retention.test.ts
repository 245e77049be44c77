import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { addYearsInZone } from '../../functions/domain/deadlines/local-time.ts';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawMailStore } from '../../functions/adapters/aws/raw-mail-store.ts';
import { lazy } from '../../functions/adapters/lazy.ts';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoBreachRegister } from '../../functions/adapters/dynamodb/breach-register.ts';
import { OwnRecordsRetention } from '../../functions/adapters/dynamodb/own-records-retention.ts';
import { DynamoRequestStore, requestItem } from '../../functions/adapters/dynamodb/request-store.ts';
import { DynamoRetentionStates } from '../../functions/adapters/dynamodb/retention-state.ts';
import { loadProfileFile } from '../../functions/config/load-profile.ts';
import { canonicalJson } from '../../functions/domain/canonical.ts';
import { createDeadlineEngine, storedRule } from '../../functions/domain/deadlines/index.ts';
import { OWN_RECORDS } from '../../functions/domain/retention.ts';
import { ConflictError } from '../../functions/domain/errors.ts';
import { keyedHash } from '../../functions/domain/person-key.ts';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';
import { approveRule, holdRequest, planChunk, purgeExpired, retentionRules } from '../../functions/use-cases/retention.ts';
import { freePort } from '../../infra/local/free-port.ts';
import { verifyTrail } from '../../functions/use-cases/evidence.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';
import { SHIPPED_RULES } from '../../functions/domain/deadlines/shipped.ts';

/**
 * derbes' own records after their term (KZ: 3 years from the close, Civil Code Art. 178), on DynamoDB Local and a
 * local S3: the closed request past its term is anonymised with its source results and raw mail gone, a keyed hash
 * of what it held stays and checks out; a younger closed request and an open one are untouched; nothing before the
 * operator approves; a run that crashes midway and its repeat anonymise and record once, with one digest.
 */
const T0 = new Date('2026-11-29T12:00:00Z');
const MS_PER_DAY = 86_400_000;
const yearsBeforeT0 = (years: number) => addYearsInZone(T0, -years, 'UTC');
const BUCKET = 'raw-mail-own';
const SECRET = 'own-records-test-secret-of-at-least-32-bytes';
const engine = createDeadlineEngine({}, SHIPPED_RULES);

let ddb: TestDynamoDb;
let s3: S3rver;
let s3Directory: string;
const profile = loadProfileFile('profiles/demo.json');

beforeAll(async () => {
  ddb = await startTestDynamoDb();
  s3Directory = mkdtempSync(join(tmpdir(), 'derbes-own-s3-'));
  const port = await freePort();
  s3 = new S3rver({ port, address: '127.0.0.1', directory: s3Directory, silent: true, configureBuckets: [{ name: BUCKET }] });
  await s3.run();
  // s3rver knows one access key, S3RVER; DynamoDB Local takes any.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` });
}, 180_000);
afterAll(async () => {
  await ddb?.stop();
  await s3?.close();
  if (s3Directory) rmSync(s3Directory, { recursive: true, force: true });
});

const client = () => new S3Client({ forcePathStyle: true });
const exists = (key: string) =>
  client()
    .send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
    .then(() => true)
    .catch(() => false);

const rawMail = lazy<RawMailStore>(async () => new RawMailStore(BUCKET, 'inbound/'));
let crashBeforeLastWrite = false;
/** Runs once, just before the purge's last write (after its raw mail and results are removed). */
let beforeLastWrite: (() => Promise<void>) | undefined;
function deps(now: Date) {
  const digest = async (canonical: string) => keyedHash('own-records', canonical, SECRET);
  const db = new Proxy(ddb.db, {
    get(target, name) {
      if (name !== 'send') return Reflect.get(target, name);
      return async (command: { constructor: { name: string } }) => {
        if (crashBeforeLastWrite && command.constructor.name === 'TransactWriteCommand') {
          crashBeforeLastWrite = false;
          throw new Error('the run crashed before its last write');
        }
        if (beforeLastWrite && command.constructor.name === 'TransactWriteCommand') {
          const hook = beforeLastWrite;
          beforeLastWrite = undefined;
          await hook();
        }
        return target.send(command as never);
      };
    },
  });
  return {
    profile,
    deadlines: engine,
    retentionStates: new DynamoRetentionStates(ddb.db, ddb.tables.requests),
    audit: new DynamoAuditLog(ddb.db, ddb.tables.audit, () => now),
    clock: { now: () => now },
    keyedHash: async (kind: string, value: string) => keyedHash(kind, value, SECRET),
    mailer: { send: async () => 'sent' as const },
    retentionSourceFor: () => {
      throw new Error('the demo profile has no source retention rules');
    },
    // The raw-mail store behind lazy(), as the composition hands it over (its module loads on the first call).
    ownRecords: new OwnRecordsRetention(db, ddb.tables.requests, ddb.tables.audit, () => rawMail, digest),
  };
}

/** A request as the workflow leaves it, closed `closedAt` (or open), with a source result, raw mail and an attachment. */
async function request(id: string, closedAt: string | undefined): Promise<DataSubjectRequest> {
  const receivedAt = new Date(Date.parse(closedAt ?? T0.toISOString()) - 2 * MS_PER_DAY);
  const request: DataSubjectRequest = {
    id,
    types: ['rectification'],
    status: closedAt ? 'REFUSED' : 'AWAITING_DECISION',
    channel: 'email',
    email: `${id.toLowerCase()}@example.kz`,
    name: 'Айгерим Сәрсенова',
    language: 'kk',
    receivedAt: receivedAt.toISOString(),
    deadline: engine.compute({ jurisdiction: 'KZ', requestType: 'rectification', receivedAt }),
    changes: { deliveryAddress: 'Алматы, Абай 1' },
    verifiedAt: receivedAt.toISOString(),
    ...(closedAt && {
      decision: { approved: false, decidedAt: closedAt, reason: 'Айгерим, мекенжайды растайтын құжат жоқ', basis: { text: 'Өз негізіміз' } },
      closedAt,
    }),
  };
  // Made through the store with the mail's Message-ID as its idempotency key, as intake makes it.
  const received = { type: 'request.received' as const, detail: { channel: 'email', types: request.types, dueAt: request.deadline.dueAt, ruleId: request.deadline.rule.id } };
  const bodyHash = keyedHash('body', JSON.stringify({ email: request.email, name: request.name }), SECRET);
  const { request: created } = await store().create(request, received, { key: `message-id:<${id}@example.kz>`, bodyHash, field: 'Message-ID' });
  await new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit).putSourceResult(id, { sourceId: 'customers', records: [{ email: request.email, name: 'Айгерим' }], outcomes: {}, attempts: 1 });
  const attachment = `attachments/${id}/a1b2c3d4e5f60718293a4b5c6d7e8f90`;
  for (const key of [`inbound/ses-${id}`, attachment]) await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'bytes' }));
  await new DynamoAuditLog(ddb.db, ddb.tables.audit, () => receivedAt).append(id, {
    type: 'mail.received',
    detail: { sesMessageId: `ses-${id}`, sha256: 'b'.repeat(64), verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' }, outcome: 'request', attachments: [{ size: 5, key: attachment }] },
  });
  return created;
}

const store = () => new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
/** The request as a deploy before the closed-date index wrote it: without the index's attributes. */
async function writtenBeforeTheIndex(request: DataSubjectRequest): Promise<void> {
  const { closedIndex: _index, closedAtUtc: _at, ...old } = requestItem(request);
  await ddb.db.send(new PutCommand({ TableName: ddb.tables.requests, Item: old }));
}
const item = async (id: string, sk: string) => (await ddb.db.send(new GetCommand({ TableName: ddb.tables.requests, Key: { pk: id, sk }, ConsistentRead: true }))).Item;
const trail = async (pk: string) =>
  ((await ddb.db.send(new QueryCommand({ TableName: ddb.tables.audit, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)', ExpressionAttributeValues: { ':pk': pk, ':event': 'EVENT#' } }))).Items ?? []) as Array<{
    type: string;
    detail: Record<string, unknown>;
  }>;

describe("derbes' own records after their term", () => {
  const past = new Date(yearsBeforeT0(3).getTime() - MS_PER_DAY).toISOString();
  const younger = yearsBeforeT0(2).toISOString();
  let old: DataSubjectRequest;

  it('are planned by count from the closed-date index, and wait for the operator', async () => {
    old = await request('DRB-OLD00-00001', new Date(past).toISOString());
    await request('DRB-YOUNG-00002', new Date(younger).toISOString());
    await request('DRB-OPEN0-00003', undefined);
    // Closed before the closed-date index existed (written without its attributes), within its term.
    await writtenBeforeTheIndex(await request('DRB-LEGCY-00008', new Date(younger).toISOString()));
    await request('DRB-HELD0-00004', yearsBeforeT0(4).toISOString());
    await holdRequest({ requests: store() }, 'DRB-HELD0-00004', { basis: 'Дело № 2-5/2026' }, { kind: 'key', keyId: 'op-1' } as const);
    await expect(holdRequest({ requests: store() }, 'DRB-HELD0-00004', { basis: '  ' }, { kind: 'key', keyId: 'op-1' } as const)).rejects.toThrow(/basis/);

    const [rule] = (await retentionRules(deps(T0) as never)).filter((r) => r.source === OWN_RECORDS);
    expect(rule).toMatchObject({ keepFor: { amount: 3, unit: 'years' }, from: 'closedAt', erasure: 'anonymise', approved: false });
    expect(rule!.cutoff).toBe('2023-11-28T18:00:00.000Z'); // the start of 29 Nov 2023 in Almaty (UTC+6 until March 2024)
    const plan = await planChunk(deps(T0) as never, OWN_RECORDS);
    expect(plan).toMatchObject({ expired: 1, held: { 'Дело № 2-5/2026': 1 }, basis: expect.stringContaining('статья 178') }); // the demo operator's language
    expect(JSON.stringify(plan)).not.toContain('example.kz');

    const report = await purgeExpired(deps(T0) as never);
    expect(report.awaitingApproval).toContain(OWN_RECORDS);
    // The back-fill needs no approval (it changes nothing personal): the old request now has its place in the index.
    expect(report.indexed).toBe(1);
    expect(await item('DRB-LEGCY-00008', 'REQUEST')).toMatchObject({ closedIndex: 'CLOSED', closedAtUtc: new Date(younger).toISOString() });
    expect((await trail(`RETENTION#${OWN_RECORDS}`)).map((e) => e.type)).toContain('retention.index_backfilled');
    expect((await purgeExpired(deps(T0) as never)).indexed).toBe(0); // read to its end once: done
    expect(await item(old.id, 'REQUEST')).toMatchObject({ email: old.email, name: old.name });
    expect(await item(old.idempotencyMarker!, 'MARKER')).toMatchObject({ requestId: old.id });
  });

  it('once approved, anonymise the request past its term — once, with one digest, even when a run crashes midway', async () => {
    await approveRule(deps(T0) as never, OWN_RECORDS, { expired: 1, held: {} });
    // What the request held: its rule as the item keeps it (by id, figures and digest), not the texts a release reads back.
    const held = { ...old, deadline: { ...old.deadline, rule: storedRule(old.deadline.rule) } };
    const original = { request: held, results: [{ sk: 'RESULT#customers', sourceId: 'customers', records: [{ email: old.email, name: 'Айгерим' }], outcomes: {}, attempts: 1 }] };

    crashBeforeLastWrite = true;
    await expect(purgeExpired(deps(T0) as never)).rejects.toThrow(/crashed before its last write/);
    // The removals happened; the request still waits in the index for the next run.
    expect(await exists(`inbound/ses-${old.id}`)).toBe(false);
    expect(await item(old.id, 'REQUEST')).toMatchObject({ email: old.email, closedIndex: 'CLOSED' });

    const later = new Date(T0.getTime() + 11 * 60_000); // past the crashed run's lease
    const report = await purgeExpired(deps(later) as never);
    expect(report.purged).toBe(1);
    expect(report.passesFinished).toContain(OWN_RECORDS);
    expect((await purgeExpired(deps(new Date(later.getTime() + 3_600_000)) as never)).purged).toBe(0);

    const anonymised = (await item(old.id, 'REQUEST'))!;
    expect(anonymised).toMatchObject({
      id: old.id,
      status: 'REFUSED',
      types: ['rectification'],
      email: '[erased]',
      changes: { deliveryAddress: '[erased]' },
      decision: { approved: false, reason: '[erased]', basis: { text: '[erased]' } },
      closedAt: old.closedAt,
      receivedAt: old.receivedAt,
      // The rule kept by its id, figures and digest (stored-rule.ts).
      deadline: requestItem(old).deadline,
      anonymised: { at: later.toISOString(), digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    for (const gone of ['name', 'closedIndex', 'closedAtUtc', 'anonymising']) expect(anonymised).not.toHaveProperty(gone);
    expect(JSON.stringify(anonymised)).not.toMatch(/example\.kz|Айгерим|Абай/);
    // The digest is the keyed hash of what the request held: a copy the operator kept checks out against it.
    expect(anonymised.anonymised.digest).toBe(keyedHash('own-records', canonicalJson(original), SECRET));
    expect(await item(old.id, 'RESULT#customers')).toBeUndefined();
    // The idempotency key's record, which ties the key and a hash of the body to the request, is gone with it.
    expect(old.idempotencyMarker).toMatch(/^IDEMPOTENCY#/);
    expect(await item(old.idempotencyMarker!, 'MARKER')).toBeUndefined();
    expect(anonymised).not.toHaveProperty('idempotencyMarker');
    expect(await exists(`attachments/${old.id}/a1b2c3d4e5f60718293a4b5c6d7e8f90`)).toBe(false);

    const own = await trail(old.id);
    expect(own.filter((e) => e.type === 'retention.anonymised')).toEqual([
      expect.objectContaining({ detail: { digest: anonymised.anonymised.digest, sourceResults: 1, objects: 2 } }),
    ]);
    expect(own.map((e) => e.type)).toContain('mail.received'); // the trail stays
    const retention = await trail(`RETENTION#${OWN_RECORDS}`);
    expect(retention.filter((e) => e.type === 'retention.purged')).toHaveLength(1);
    expect(JSON.stringify(retention)).not.toContain('example.kz');
    // Anonymising keeps the trail as it was: both chains it wrote to still verify, with the crashed run's repeat.
    const chains = { auditChains: new DynamoAuditLog(ddb.db, ddb.tables.audit), auditDigests: { put: async () => {}, read: async () => '' }, requests: store(), breaches: new DynamoBreachRegister(ddb.db, ddb.tables.requests, ddb.tables.audit) };
    expect(await verifyTrail(chains, old.id)).toMatchObject({ verified: true, events: own.length });
    expect(await verifyTrail(chains, `RETENTION#${OWN_RECORDS}`)).toMatchObject({ verified: true, events: retention.length });
  });

  it('keep a request under a legal hold until the operator lifts it, then anonymise it with the next pass', async () => {
    expect(await item('DRB-HELD0-00004', 'REQUEST')).toMatchObject({ email: 'drb-held0-00004@example.kz', legalHold: 'Дело № 2-5/2026' });
    const released = await holdRequest({ requests: store() }, 'DRB-HELD0-00004', { basis: null }, { kind: 'key', keyId: 'op-1' } as const);
    expect(released.legalHold).toBeUndefined();
    const report = await purgeExpired(deps(new Date(T0.getTime() + 3 * 3_600_000)) as never);
    expect(report.purged).toBe(1);
    expect(await item('DRB-HELD0-00004', 'REQUEST')).toMatchObject({ email: '[erased]', anonymised: expect.anything() });
    const holds = (await trail('DRB-HELD0-00004')).filter((e) => e.type === 'retention.hold').map((e) => e.detail);
    expect(holds).toEqual([
      { held: true, basis: 'Дело № 2-5/2026', operator: { kind: 'key', keyId: 'op-1' } },
      { held: false, operator: { kind: 'key', keyId: 'op-1' } },
    ]);
    await expect(holdRequest({ requests: store() }, 'DRB-HELD0-00004', { basis: 'too late' }, { kind: 'key', keyId: 'op-1' } as const)).rejects.toThrow(/was anonymised/);
  });

  it('refuse a legal hold asked for once the purge has begun removing a request\'s records, and anonymise it whole', async () => {
    const id = 'DRB-RACE0-00005';
    await request(id, yearsBeforeT0(5).toISOString());
    let hold: unknown;
    // The operator asks for a hold between the purge's first write and its last: raw mail and results are gone by then.
    beforeLastWrite = async () => {
      hold = await holdRequest({ requests: store() }, id, { basis: 'Дело № 3-1/2026' }, { kind: 'key', keyId: 'op-1' } as const).catch((error: unknown) => error);
    };
    const report = await purgeExpired(deps(new Date(T0.getTime() + 5 * 3_600_000)) as never);
    expect(hold).toBeInstanceOf(ConflictError);
    expect(String(hold)).toMatch(/is being anonymised/);
    expect(report.purged).toBe(1);
    const anonymised = await item(id, 'REQUEST');
    expect(anonymised).toMatchObject({ email: '[erased]', anonymised: expect.anything() });
    expect(anonymised).not.toHaveProperty('legalHold');
    expect(anonymised).not.toHaveProperty('anonymising');
    expect((await trail(id)).map((e) => e.type)).not.toContain('retention.hold');
  });

  it('never let a copy read before the purge overwrite the anonymised request', async () => {
    const id = 'DRB-STALE-00006';
    const before = await request(id, yearsBeforeT0(5).toISOString());
    expect((await purgeExpired(deps(new Date(T0.getTime() + 6 * 3_600_000)) as never)).purged).toBe(1);
    // A writer that read the request before the purge (never revised, so no revision) writes as the request store does.
    const write = ddb.db.send(
      new PutCommand({
        TableName: ddb.tables.requests,
        Item: requestItem({ ...before, legalHold: 'late' }, 1),
        ConditionExpression: '#status = :expected AND attribute_not_exists(#revision)',
        ExpressionAttributeNames: { '#status': 'status', '#revision': 'revision' },
        ExpressionAttributeValues: { ':expected': before.status },
      }),
    );
    await expect(write).rejects.toThrow(/conditional request failed/i);
    expect(await item(id, 'REQUEST')).toMatchObject({ email: '[erased]', revision: 2 });
  });

  it('back-fill the closed-date index a bounded page at a time, from where the last page stopped', async () => {
    const ids = ['DRB-LEGCY-00009', 'DRB-LEGCY-00010', 'DRB-LEGCY-00011'];
    for (const id of ids) await writtenBeforeTheIndex(await request(id, new Date(younger).toISOString()));
    const own = deps(T0).ownRecords;
    let cursor: string | undefined;
    let pages = 0;
    let indexed = 0;
    do {
      const page = await own.indexClosedPage({ cursor, limit: 5 });
      indexed += page.indexed;
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(indexed).toBe(3);
    expect(pages).toBeGreaterThan(3); // each page reads at most 5 items of a table that holds many more
    for (const id of ids) expect(await item(id, 'REQUEST')).toMatchObject({ closedIndex: 'CLOSED' });
    expect(await item('DRB-OPEN0-00003', 'REQUEST')).not.toHaveProperty('closedIndex');
  });

  it('keep a request closed within the term, and an open one, as they were', async () => {
    expect(await item('DRB-YOUNG-00002', 'REQUEST')).toMatchObject({ email: 'drb-young-00002@example.kz', name: 'Айгерим Сәрсенова', closedIndex: 'CLOSED' });
    expect(await item('DRB-YOUNG-00002', 'RESULT#customers')).toBeDefined();
    expect(await exists('inbound/ses-DRB-YOUNG-00002')).toBe(true);
    expect(await item('DRB-OPEN0-00003', 'REQUEST')).toMatchObject({ email: 'drb-open0-00003@example.kz' });
    expect(await item('DRB-OPEN0-00003', 'REQUEST')).not.toHaveProperty('closedIndex');
  });
});
