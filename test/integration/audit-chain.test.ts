import { createHash } from 'node:crypto';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { HEADS_INDEX, writeAudited } from '../../functions/adapters/dynamodb/audited-write.ts';
import { oneInvocation } from '../../functions/adapters/invocation-scope.ts';
import { DynamoBreachRegister } from '../../functions/adapters/dynamodb/breach-register.ts';
import { DynamoRequestStore } from '../../functions/adapters/dynamodb/request-store.ts';
import { DynamoSentMailLedger } from '../../functions/adapters/dynamodb/sent-mail-ledger.ts';
import { ChainBrokenError, NotFoundError } from '../../functions/domain/errors.ts';
import { newReference } from '../../functions/domain/request.ts';
import { verifyDigestChain, verifyPage, verifyTrail, writeDailyDigest } from '../../functions/use-cases/evidence.ts';
import type { AuditEvent } from '../../functions/domain/audit.ts';
import type { InboundMailEvent } from '../../functions/use-cases/ports.ts';
import { chainEvents, checkChain } from '../../functions/domain/audit-chain.ts';
import type { AuditDigest } from '../../functions/domain/audit-digest.ts';
import { describeCheck, describeDigests } from '../../infra/cli/commands/evidence.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';
import { newRequest } from '../support/requests.ts';

let ddb: TestDynamoDb;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
});
afterAll(async () => ddb?.stop());

const audit = () => new DynamoAuditLog(ddb.db, ddb.tables.audit);
/** The locked bucket's contract: objects are written once and read back (the local S3 stands in for it end to end). */
const bucket = new Map<string, string>();
const auditDigests = { put: async (key: string, body: string) => void bucket.set(key, body), read: async (key: string) => bucket.get(key)! };
let now = new Date('2026-11-20T00:05:00.000Z');
const deps = () => ({
  auditChains: audit(),
  auditDigests,
  requests: new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit),
  breaches: new DynamoBreachRegister(ddb.db, ddb.tables.requests, ddb.tables.audit),
  clock: { now: () => now },
});

/** A request taken to verification by the store, with a mail confirmed through the ledger and a few appends. */
async function requestWithTrail(): Promise<string> {
  const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
  const request = newRequest('kk');
  await store.create(request, { type: 'request.received', detail: { channel: 'web', types: ['access'], dueAt: request.deadline.dueAt, ruleId: 'kz' } });
  await store.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
  const ledger = new DynamoSentMailLedger(ddb.db, ddb.tables.requests, ddb.tables.audit);
  await ledger.confirm({ requestId: request.id, kind: 'receipt', round: 1 }, '<r@derbes.local>', { type: 'mail.sent', detail: { template: 'receipt', messageId: '<r@derbes.local>', sha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } });
  await audit().append(request.id, { type: 'verification.requested', detail: { expiresAt: '2026-11-23T10:00:00.000Z', joined: false } });
  await store.markVerified(request.id, '2026-11-20T11:00:00.000Z');
  return request.id;
}

async function eventKeys(trail: string) {
  const page = await ddb.db.send(
    new QueryCommand({ TableName: ddb.tables.audit, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)', ExpressionAttributeValues: { ':pk': trail, ':event': 'EVENT#' }, ConsistentRead: true }),
  );
  return (page.Items ?? []).map((item) => ({ pk: String(item.pk), sk: String(item.sk), type: String(item.type) }));
}

/** The document client, counting the reads of trail heads made through it. */
function countingHeadReads() {
  const headReads = { count: 0 };
  const counting = new Proxy(ddb.db, {
    get: (target, name) =>
      name === 'send'
        ? (command: { input?: { Key?: { sk?: unknown } } }) => ((headReads.count += command instanceof GetCommand && command.input?.Key?.sk === 'HEAD' ? 1 : 0), target.send(command as never))
        : Reflect.get(target, name),
  });
  return { headReads, counting };
}

describe('the audit trail as a hash chain in DynamoDB', () => {
  it('verifies a request written by the stores, the ledger and the audit log together', async () => {
    const id = await requestWithTrail();
    const check = await verifyTrail(deps(), id);
    expect(check).toMatchObject({ trail: id, verified: true, events: 5 });
    expect(describeCheck(check)).toBe(`${id}: verified: 5 events, not yet anchored (no daily digest covers it yet)`);
  });

  it('concurrent appends to one trail make one unbroken chain, none lost or numbered twice', async () => {
    const id = await requestWithTrail();
    await Promise.all(Array.from({ length: 6 }, (_, i) => audit().append(id, { type: 'deadline.step', detail: { kind: `step-${i}`, at: '2026-11-21T00:00:00.000Z' } })));
    expect(await verifyTrail(deps(), id)).toMatchObject({ verified: true, events: 11 });
    expect((await audit().list(id)).filter((e) => e.type === 'deadline.step')).toHaveLength(6);
  });

  it('an event appended once: one of several appends at once under one mark writes it, the mark is no event, the chain verifies', async () => {
    const id = await requestWithTrail();
    const event: AuditEvent = { type: 'mail.received', detail: { sesMessageId: 'ses-1', sha256: 'ab', verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' }, outcome: 'reply' } };
    expect(await audit().appendedOnce(id, 'mail:ses-1')).toBe(false);
    const appended = await Promise.all(Array.from({ length: 4 }, () => audit().appendOnce(id, 'mail:ses-1', event)));
    expect(appended.filter(Boolean)).toHaveLength(1);
    expect(await audit().appendedOnce(id, 'mail:ses-1')).toBe(true);
    expect(await audit().appendOnce(id, 'mail:ses-2', event)).toBe(true);
    expect((await audit().list(id)).filter((e) => e.type === 'mail.received')).toHaveLength(2);
    expect(await verifyTrail(deps(), id)).toMatchObject({ verified: true, events: 7 });
    // An inbound mail's own trail holds its one event, however often the mail is delivered.
    await Promise.all([audit().appendInboundMail('ses-3', event as InboundMailEvent), audit().appendInboundMail('ses-3', event as InboundMailEvent)]);
    expect(await audit().list('INBOUND#ses-3')).toHaveLength(1);
  });

  it('a trail that keeps moving while it is verified (a purge pass) verifies as it stood; an event put past its head still does not', async () => {
    const id = await requestWithTrail();
    // The workflow appends to the trail each time just after the verifier has read its events, and a reading of the
    // head sent while the events are being read is answered after that append.
    let appended = 0;
    let eventsRead: Promise<unknown> | undefined;
    type Sent = { constructor: { name: string }; input: { KeyConditionExpression?: string; Key?: { sk?: string } } };
    const moving = new Proxy(ddb.db, {
      get: (target, name) =>
        name === 'send'
          ? async (command: Sent) => {
              if (command.constructor.name === 'QueryCommand' && command.input.KeyConditionExpression?.includes('begins_with(sk, :events)')) {
                eventsRead = (async () => {
                  const result = await target.send(command as never);
                  await audit().append(id, { type: 'deadline.step', detail: { kind: `moved-${++appended}`, at: '2026-11-21T00:00:00.000Z' } });
                  return result;
                })();
                return eventsRead;
              }
              if (command.constructor.name === 'GetCommand' && command.input.Key?.sk === 'HEAD') await eventsRead;
              return target.send(command as never);
            }
          : Reflect.get(target, name),
    });
    const verifying = () => verifyTrail({ ...deps(), auditChains: new DynamoAuditLog(moving, ddb.tables.audit) }, id);
    for (let run = 0; run < 3; run++) expect(await verifying()).toMatchObject({ trail: id, verified: true, events: 5 + run });
    expect(appended).toBe(3);

    // An event put in the table past the head, while the trail moves: found, not taken for an append.
    const head = (await ddb.db.send(new QueryCommand({ TableName: ddb.tables.audit, KeyConditionExpression: 'pk = :pk AND sk = :head', ExpressionAttributeValues: { ':pk': id, ':head': 'HEAD' }, ConsistentRead: true }))).Items![0]!;
    const last = (await eventKeys(id)).at(-1)!;
    const lastItem = (await ddb.db.send(new QueryCommand({ TableName: ddb.tables.audit, KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': id, ':sk': last.sk }, ConsistentRead: true }))).Items![0]!;
    const added = Number(head.seq) + 3;
    await ddb.db.send(new PutCommand({ TableName: ddb.tables.audit, Item: { ...lastItem, sk: `EVENT#${String(added).padStart(10, '0')}`, seq: added } }));
    expect(await verifying()).toMatchObject({ trail: id, verified: false });
  });

  it('an audit item edited in the table fails verification, naming that event', async () => {
    const id = await requestWithTrail();
    const mail = (await eventKeys(id)).find((e) => e.type === 'mail.sent')!;
    await ddb.db.send(
      new UpdateCommand({ TableName: ddb.tables.audit, Key: { pk: mail.pk, sk: mail.sk }, UpdateExpression: 'SET detail.template = :t', ExpressionAttributeValues: { ':t': 'answer' } }),
    );
    const check = await verifyTrail(deps(), id);
    expect(check).toMatchObject({ verified: false, broken: { seq: 3, type: 'mail.sent', problem: 'changed' } });
    expect(describeCheck(check)).toMatch(new RegExp(`^${id}: BROKEN at event 3 \\(mail\\.sent, .+\\): changed`));
  });

  it('an audit item deleted from the table fails verification, in the middle and at the end', async () => {
    const id = await requestWithTrail();
    const keys = await eventKeys(id);
    await ddb.db.send(new DeleteCommand({ TableName: ddb.tables.audit, Key: { pk: keys[1]!.pk, sk: keys[1]!.sk } }));
    expect(await verifyTrail(deps(), id)).toMatchObject({ verified: false, broken: { seq: 2, problem: 'missing' } });

    const other = await requestWithTrail();
    const last = (await eventKeys(other)).at(-1)!;
    await ddb.db.send(new DeleteCommand({ TableName: ddb.tables.audit, Key: { pk: last.pk, sk: last.sk } }));
    expect(await verifyTrail(deps(), other)).toMatchObject({ verified: false, broken: { seq: 5, problem: 'missing_at_end' } });
  });

  it('a request whose whole trail was deleted is BROKEN at event 1; a reference nobody made is unknown', async () => {
    const id = await requestWithTrail();
    for (const key of [...(await eventKeys(id)), { pk: id, sk: 'HEAD' }]) await ddb.db.send(new DeleteCommand({ TableName: ddb.tables.audit, Key: { pk: key.pk, sk: key.sk } }));
    const check = await verifyTrail(deps(), id);
    expect(check).toMatchObject({ trail: id, verified: false, events: 0, broken: { seq: 1, problem: 'missing' } });
    expect(describeCheck(check)).toMatch(new RegExp(`^${id}: BROKEN at event 1: `));
    await expect(verifyTrail(deps(), newReference())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a write to a trail whose head is gone, or behind its events, fails at once with ChainBrokenError and writes nothing', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const transactions = { count: 0 };
    const counting = new Proxy(ddb.db, {
      get: (target, name) => (name === 'send' ? (command: object) => ((transactions.count += command.constructor.name === 'TransactWriteCommand' ? 1 : 0), target.send(command as never)) : Reflect.get(target, name)),
    });
    const headless = await requestWithTrail();
    await ddb.db.send(new DeleteCommand({ TableName: ddb.tables.audit, Key: { pk: headless, sk: 'HEAD' } }));
    const appended = new DynamoAuditLog(counting, ddb.tables.audit).append(headless, { type: 'deadline.step', detail: { kind: 'reminder', at: '2026-11-21T00:00:00.000Z' } });
    await expect(appended).rejects.toBeInstanceOf(ChainBrokenError);
    await expect(appended).rejects.toThrow(`the audit trail of ${headless} was changed outside derbes: its head is missing while it has events`);
    expect(transactions.count).toBe(1); // not retried: no other writer will ever move a missing head

    const behind = await requestWithTrail();
    const events = await ddb.db.send(new QueryCommand({ TableName: ddb.tables.audit, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)', ExpressionAttributeValues: { ':pk': behind, ':e': 'EVENT#' }, ConsistentRead: true }));
    const fourth = events.Items!.find((item) => item.seq === 4)!;
    await ddb.db.send(new UpdateCommand({ TableName: ddb.tables.audit, Key: { pk: behind, sk: 'HEAD' }, UpdateExpression: 'SET seq = :s, #h = :h', ExpressionAttributeNames: { '#h': 'hash' }, ExpressionAttributeValues: { ':s': 4, ':h': fourth.hash } }));
    const before = await store.get(behind);
    await expect(store.transition(behind, 'AWAITING_VERIFICATION', 'IN_PROGRESS')).rejects.toThrow(/its head stands at event 4, behind an event that exists/);
    expect(await store.get(behind)).toEqual(before);
    expect(await eventKeys(behind)).toHaveLength(5);
  });

  it('a new request begins its trail without reading a head; a write that begins a trail which exists reads its head and chains after it', async () => {
    const { headReads, counting } = countingHeadReads();
    const store = new DynamoRequestStore(counting, ddb.tables.requests, ddb.tables.audit);
    const request = newRequest();
    await store.create(request, { type: 'request.received', detail: { channel: 'web', types: ['access'], dueAt: request.deadline.dueAt, ruleId: 'kz' } });
    expect(headReads.count).toBe(0);
    expect(await verifyTrail(deps(), request.id)).toMatchObject({ verified: true, events: 1 });

    const existing = await requestWithTrail();
    await writeAudited(counting, ddb.tables.audit, [], [{ trail: existing, events: [{ type: 'deadline.step', detail: { kind: 'reminder', at: '2026-11-21T00:00:00.000Z' } }], begins: true }], now);
    expect(headReads.count).toBe(2); // the failed first write's check of the head, then the read before the second
    expect(await verifyTrail(deps(), existing)).toMatchObject({ verified: true, events: 6 });
    expect((await eventKeys(existing)).map((e) => e.type)).toContain('deadline.step');
  });

  it('in one invocation, a trail it moved is written on the head it left, unread; moved meanwhile by another writer, the write reads it and the chain holds', async () => {
    const { headReads, counting } = countingHeadReads();
    const store = new DynamoRequestStore(counting, ddb.tables.requests, ddb.tables.audit);
    const ledger = new DynamoSentMailLedger(counting, ddb.tables.requests, ddb.tables.audit);
    const request = newRequest();
    await store.create(request, { type: 'request.received', detail: { channel: 'web', types: ['access'], dueAt: request.deadline.dueAt, ruleId: 'kz' } });
    const sent: AuditEvent = { type: 'mail.sent', detail: { template: 'receipt', messageId: '<r@derbes.local>', sha256: 'a'.repeat(64) } };
    const step = (phases: { paused: Promise<void>; pausing: () => void }) =>
      oneInvocation(async () => {
        await store.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
        await ledger.confirm({ requestId: request.id, kind: 'receipt', round: 1 }, '<r@derbes.local>', sent);
        phases.pausing();
        await phases.paused;
        await new DynamoAuditLog(counting, ddb.tables.audit).append(request.id, { type: 'verification.requested', detail: { expiresAt: '2026-11-23T10:00:00.000Z', joined: false } });
      });
    let resume!: () => void;
    let pausing!: () => void;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    const atPause = new Promise<void>((resolve) => (pausing = resolve));
    const running = step({ paused, pausing });
    await atPause;
    // The move read the head the create left (another invocation's); the mail's write did not read the head again.
    expect(headReads.count).toBe(1);
    // Another function appends meanwhile, outside the step's invocation.
    await audit().append(request.id, { type: 'deadline.step', detail: { kind: 'reminder', at: '2026-11-21T00:00:00.000Z' } });
    resume();
    await running;
    expect(await verifyTrail(deps(), request.id)).toMatchObject({ verified: true, events: 5 });
    expect((await audit().list(request.id)).map((e) => e.type)).toEqual(['request.received', 'status.changed', 'mail.sent', 'deadline.step', 'verification.requested']);
    // A later invocation knows nothing of the heads an earlier one moved: it reads the head.
    headReads.count = 0;
    await oneInvocation(() => new DynamoAuditLog(counting, ddb.tables.audit).append(request.id, { type: 'deadline.step', detail: { kind: 'lastDay', at: '2026-11-22T00:00:00.000Z' } }));
    expect(headReads.count).toBe(1);
  });

  it('a head moved again on the same day is no write of the heads index: its item keeps the day as the index key and the instant apart', async () => {
    const id = await requestWithTrail();
    let headsIndexUnits = 0;
    const metered = new Proxy(ddb.db, {
      get: (target, name) =>
        name === 'send'
          ? async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
              const transaction = command.constructor.name === 'TransactWriteCommand';
              if (transaction) command.input.ReturnConsumedCapacity = 'INDEXES';
              const output = (await target.send(command as never)) as { ConsumedCapacity?: Array<{ GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> }> };
              if (transaction) for (const table of output.ConsumedCapacity ?? []) headsIndexUnits += table.GlobalSecondaryIndexes?.[HEADS_INDEX]?.CapacityUnits ?? 0;
              return output;
            }
          : Reflect.get(target, name),
    });
    const step = (kind: 'reminder' | 'interim_answer' | 'due_today') => ({ type: 'deadline.step' as const, detail: { kind, at: '2026-11-20T00:00:00.000Z' } });
    const at = (instant: string) => new DynamoAuditLog(metered, ddb.tables.audit, () => new Date(instant));
    await at('2026-12-03T09:00:00.000Z').append(id, step('reminder'));
    headsIndexUnits = 0;
    await at('2026-12-03T17:30:00.000Z').append(id, step('interim_answer'));
    expect(headsIndexUnits).toBe(0);
    const head = async () => (await ddb.db.send(new GetCommand({ TableName: ddb.tables.audit, Key: { pk: id, sk: 'HEAD' }, ConsistentRead: true }))).Item;
    expect(await head()).toMatchObject({ movedAt: '2026-12-03', movedInstant: '2026-12-03T17:30:00.000Z', heads: 'HEAD' });
    // The next day the key moves, and the index is written.
    await at('2026-12-04T08:00:00.000Z').append(id, step('due_today'));
    expect(headsIndexUnits).toBeGreaterThan(0);
    expect((await audit().chain(id)).head).toMatchObject({ movedAt: '2026-12-04T08:00:00.000Z' });
  });

  it('lists the heads moved since an instant, to the millisecond, whether the head keeps its day or (written before) its instant in movedAt', async () => {
    const [before, after, oldBefore, oldAfter] = [await requestWithTrail(), await requestWithTrail(), await requestWithTrail(), await requestWithTrail()];
    const step = { type: 'deadline.step' as const, detail: { kind: 'reminder' as const, at: '2026-11-20T00:00:00.000Z' } };
    await new DynamoAuditLog(ddb.db, ddb.tables.audit, () => new Date('2027-01-05T08:59:59.999Z')).append(before, step);
    await new DynamoAuditLog(ddb.db, ddb.tables.audit, () => new Date('2027-01-05T09:00:00.000Z')).append(after, step);
    // Heads as a release before kept them: the instant as the index key, nothing apart.
    for (const [trail, movedAt] of [[oldBefore, '2027-01-05T08:00:00.000Z'], [oldAfter, '2027-01-05T10:00:00.000Z']] as const) {
      await ddb.db.send(new UpdateCommand({ TableName: ddb.tables.audit, Key: { pk: trail, sk: 'HEAD' }, UpdateExpression: 'SET movedAt = :at REMOVE movedInstant', ExpressionAttributeValues: { ':at': movedAt } }));
    }
    const listed: string[] = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await audit().heads({ movedSince: '2027-01-05T09:00:00.000Z', cursor, limit: 2 });
      listed.push(...page.heads.map((head) => head.trail));
      cursor = page.cursor;
    }
    expect(listed).toContain(after);
    expect(listed).toContain(oldAfter);
    expect(listed).not.toContain(before);
    expect(listed).not.toContain(oldBefore);
    const all: string[] = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await audit().heads({ cursor, limit: 50 });
      all.push(...page.heads.map((head) => head.trail));
      cursor = page.cursor;
    }
    for (const trail of [before, after, oldBefore, oldAfter]) expect(all).toContain(trail);
  });

  it('reads the heads the index lists by BatchGetItem, 100 keys a call, asking again for the keys left unprocessed; the digest check reads no head', async () => {
    const step = { type: 'deadline.step' as const, detail: { kind: 'reminder' as const, at: '2026-11-20T00:00:00.000Z' } };
    const batch = `BATCH-${Date.now()}`;
    for (let i = 0; i < 101; i += 4) await Promise.all([0, 1, 2, 3].filter((j) => i + j < 101).map((j) => audit().append(`${batch}-${i + j}`, step)));
    /** The table's client, counting each call, and leaving half the keys of the first BatchGetItem unprocessed as DynamoDB may. */
    const calls: { name: string; sk?: unknown }[] = [];
    let unprocessedOnce = true;
    const counted = {
      send: async (command: { constructor: { name: string }; input: Record<string, any> }) => {
        calls.push({ name: command.constructor.name, sk: command.input.Key?.sk });
        const answer = await ddb.db.send(command as never) as Record<string, any>;
        if (command instanceof BatchGetCommand && unprocessedOnce) {
          unprocessedOnce = false;
          const items: Record<string, unknown>[] = answer.Responses[ddb.tables.audit];
          const kept = items.slice(0, Math.ceil(items.length / 2));
          const left = items.slice(kept.length).map((item) => ({ pk: item.pk, sk: item.sk }));
          return { ...answer, Responses: { [ddb.tables.audit]: kept }, UnprocessedKeys: left.length ? { [ddb.tables.audit]: { Keys: left, ConsistentRead: true } } : {} };
        }
        return answer;
      },
    } as unknown as DynamoDBDocumentClient;
    const listing = new DynamoAuditLog(counted, ddb.tables.audit);
    const names = (await audit().trails({ limit: 250 })).trails;
    expect(names.filter((name) => name.startsWith(`${batch}-`))).toHaveLength(101);
    const page = await listing.heads({ limit: 250 });
    expect(page.heads.map((head) => head.trail)).toEqual(names);
    for (const head of page.heads.filter((h) => h.trail.startsWith(`${batch}-`))) expect(head).toMatchObject({ seq: 1, movedAt: expect.stringMatching(/T/) });
    expect(calls.filter((call) => call.name === 'GetCommand')).toEqual([]);
    // One call per 100 keys, and one more for the keys the first left unprocessed.
    expect(calls.filter((call) => call.name === 'BatchGetCommand')).toHaveLength(Math.ceil(names.length / 100) + 1);
    calls.length = 0;
    await verifyDigestChain({ ...deps(), auditChains: listing });
    expect(calls.filter((call) => call.sk === 'HEAD' || call.name === 'BatchGetCommand')).toEqual([]);
  });

  it('--all pages through every trail from the heads index and reports the broken ones', async () => {
    const good = await requestWithTrail();
    const bad = await requestWithTrail();
    const first = (await eventKeys(bad))[0]!;
    await ddb.db.send(new UpdateCommand({ TableName: ddb.tables.audit, Key: { pk: first.pk, sk: first.sk }, UpdateExpression: 'SET #at = :at', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':at': '2026-01-01T00:00:00.000Z' } }));
    const checks = [];
    let cursor: string | undefined;
    do {
      const page = await verifyPage(deps(), cursor);
      checks.push(...page.checks);
      cursor = page.cursor;
    } while (cursor);
    expect(checks.find((c) => c.trail === good)).toMatchObject({ verified: true });
    expect(checks.find((c) => c.trail === bad)).toMatchObject({ verified: false, broken: { seq: 1, problem: 'changed' } });
  });

  it('the daily digest anchors every head that moved, once a day; a chain rewritten consistently afterwards no longer matches it', async () => {
    const id = await requestWithTrail();
    const first = await writeDailyDigest(deps());
    expect(first?.key).toMatch(/^digests\/2026-11-20T00-05-00-000Z\.json$/);
    expect(await writeDailyDigest(deps())).toBeUndefined(); // once a day
    const digest = JSON.parse(bucket.get(first!.key)!) as AuditDigest;
    expect(digest.heads.map((h) => h.trail)).toContain(id);
    expect(digest.previous).toBeUndefined();
    const check = await verifyTrail(deps(), id);
    expect(check).toMatchObject({ verified: true, events: 5, anchor: { day: '2026-11-20', seq: 5 } });
    expect(describeCheck(check)).toBe(`${id}: verified: 5 events, anchored 2026-11-20`);

    // The next day: only what moved since is listed, and the digest names the previous one by its hash.
    await audit().append(id, { type: 'deadline.step', detail: { kind: 'reminder', at: '2026-11-21T00:00:00.000Z' } });
    now = new Date('2026-11-21T00:05:00.000Z');
    const second = await writeDailyDigest(deps());
    const next = JSON.parse(bucket.get(second!.key)!) as AuditDigest;
    expect(next.previous).toMatchObject({ key: first!.key, sha256: createHash('sha256').update(bucket.get(first!.key)!).digest('hex') });
    expect(next.heads.find((h) => h.trail === id)).toMatchObject({ seq: 6 });
    expect(await verifyTrail(deps(), id)).toMatchObject({ verified: true, events: 6, anchor: { day: '2026-11-21', seq: 6 } });

    // Someone with write access rewrites an event and recomputes every hash and the head: the chain holds, the digest does not.
    const keys = await eventKeys(id);
    const stored = (await audit().chain(id)).events;
    const rewritten = chainEvents(id, undefined, stored.map((e, i) => (i === 2 ? { type: 'mail.sent', detail: { template: 'answer', messageId: '<x@y>', sha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } } : e)) as AuditEvent[], stored[0]!.at);
    for (const [i, { requestId: _trail, ...item }] of rewritten.entries()) {
      await ddb.db.send(new PutCommand({ TableName: ddb.tables.audit, Item: { pk: id, sk: keys[i]!.sk, ...item } }));
    }
    const fresh = (await audit().chain(id)).events;
    await ddb.db.send(new PutCommand({ TableName: ddb.tables.audit, Item: { pk: id, sk: 'HEAD', seq: 6, hash: fresh[5]!.hash, movedAt: now.toISOString(), heads: 'HEAD' } }));
    expect(checkChain(id, fresh, (await audit().chain(id)).head)).toMatchObject({ verified: true });
    expect(await verifyTrail(deps(), id)).toMatchObject({ verified: false, broken: { seq: 6, problem: 'differs_from_digest' } });
  });
});

describe('the gaps verify --all closes', () => {
  it('finds a trail whose head item was deleted, through the digests that listed it; a digest changed in the bucket breaks their chain', async () => {
    const id = await requestWithTrail();
    now = new Date('2026-12-01T00:05:00.000Z');
    expect(await writeDailyDigest(deps())).toBeDefined();
    await ddb.db.send(new DeleteCommand({ TableName: ddb.tables.audit, Key: { pk: id, sk: 'HEAD' } }));
    // The heads index no longer has it: page by page, --all would not see it.
    const listed: string[] = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await verifyPage(deps(), cursor);
      listed.push(...page.checks.map((check) => check.trail));
      cursor = page.cursor;
    }
    expect(listed).not.toContain(id);
    const walked = await verifyDigestChain(deps());
    expect(walked).toMatchObject({ latest: { day: '2026-12-01' } });
    expect(walked.broken).toBeUndefined();
    expect(walked.digests).toBeGreaterThanOrEqual(1);
    expect(walked.unlisted).toContainEqual(expect.objectContaining({ trail: id, verified: false, broken: expect.objectContaining({ problem: 'no_head' }) }));
    expect(describeDigests(walked)).toMatch(/^daily digests: \d+ chained, each naming the one before by its SHA-256; the latest 2026-12-01$/);

    const key = (await audit().latestDigest())!.key;
    const original = bucket.get(key)!;
    bucket.set(key, original.replace('"day":"2026-12-01"', '"day":"2026-12-02"'));
    expect((await verifyDigestChain(deps())).broken).toEqual({ key, problem: 'changed' });
    bucket.set(key, original);
  });

  it('events written before the chain are reported as unchained (never made to look chained), and whoever reads the trail still gets them', async () => {
    const id = await requestWithTrail();
    // The layout before the chain: sk = <ISO time>#<id>, no number, no hash.
    await ddb.db.send(new PutCommand({ TableName: ddb.tables.audit, Item: { pk: id, sk: '2025-06-01T10:00:00.000Z#a1', requestId: id, at: '2025-06-01T10:00:00.000Z', type: 'mail.received', detail: { sesMessageId: 'old', sha256: 'x', outcome: 'request' } } }));
    const listed = await audit().list(id);
    expect(listed[0]).toMatchObject({ type: 'mail.received', at: '2025-06-01T10:00:00.000Z' });
    expect(listed).toHaveLength(6);
    const check = await verifyTrail(deps(), id);
    expect(check).toMatchObject({ verified: true, events: 5, unchained: { events: 1, lastAt: '2025-06-01T10:00:00.000Z' } });
    expect(describeCheck(check)).toMatch(/: verified: 5 events, .+; 1 earlier events unchained, written before 2025-06-01 \(before trails were chained\)$/);
  });
});
