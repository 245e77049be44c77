import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoRequestStore, requestItem } from '../../functions/adapters/dynamodb/request-store.ts';
import { DynamoVerificationStore } from '../../functions/adapters/dynamodb/verification-store.ts';
import { appliedRuleDigest, storedRule } from '../../functions/domain/deadlines/index.ts';
import { ConflictError, IdempotencyKeyReusedError, InvalidTokenError } from '../../functions/domain/errors.ts';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';
import { reportFactsOf } from '../../functions/domain/report.ts';
import { newSecretCode } from '../../functions/domain/secret-code.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';
import { newRequest } from '../support/requests.ts';

let ddb: TestDynamoDb;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
});
afterAll(async () => ddb?.stop());

const received = { type: 'request.received' as const, detail: { channel: 'web', types: ['access'], dueAt: '2026-11-25T23:59:59+05:00', ruleId: 'x' } };

describe('requests in DynamoDB', () => {
  it('keeps a statute rule by its id, figures and digest, and reads it back with its texts; an item that kept the whole rule still reads', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const request = newRequest();
    const { rule } = request.deadline;
    await store.create(request, received);
    const item = async (id: string) => (await ddb.db.send(new GetCommand({ TableName: ddb.tables.requests, Key: { pk: id, sk: 'REQUEST' } }))).Item!;
    const kept = await item(request.id);
    expect(kept.deadline.rule).toEqual(storedRule(rule));
    expect(JSON.stringify(kept)).not.toContain(rule.source);
    expect(JSON.stringify(kept)).not.toContain(rule.citation.ru);
    // Nor what it reads back from elsewhere: the instant of receipt is the request's, the report's id and instant the index keys.
    expect(kept.deadline).not.toHaveProperty('receivedAt');
    expect(kept.report).not.toHaveProperty('id');
    expect(kept.report).not.toHaveProperty('receivedAt');
    expect((await store.get(request.id)).deadline).toEqual({ ...request.deadline, rule: expect.anything() });
    const reported = (await store.receivedBetween(new Date(request.receivedAt), new Date(request.receivedAt))).filter((facts) => facts.id === request.id);
    expect(reported).toEqual([reportFactsOf(request)]);
    const asRead = { ...rule, storedAs: { digest: appliedRuleDigest(rule), current: true } };
    expect((await store.get(request.id)).deadline.rule).toEqual(asRead);
    // The due-date index holds the item as kept: a page of open requests reads the texts back too.
    let listed: DataSubjectRequest | undefined;
    for await (const open of store.eachOpen()) if (open.id === request.id) listed = open;
    expect(listed?.deadline.rule).toEqual(asRead);
    // Written again, it keeps the digest it was applied with.
    await store.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
    expect((await item(request.id)).deadline.rule).toEqual(storedRule(rule));
    // Closed, it keeps the due date in its deadline only: the due-date index's sort key goes with its partition key.
    expect(await item(request.id)).toHaveProperty('dueAtUtc');
    await store.transition(request.id, 'AWAITING_VERIFICATION', 'CLOSED_UNVERIFIED', { closedAt: '2026-11-21T10:00:00.000Z' });
    expect(await item(request.id)).not.toHaveProperty('dueAtUtc');
    expect((await store.get(request.id)).deadline).toEqual({ ...request.deadline, rule: asRead });

    // An item written before rules were kept by id: the whole rule, read as it is, kept by id at its next write.
    const old = newRequest();
    await ddb.db.send(new PutCommand({ TableName: ddb.tables.requests, Item: { ...requestItem(old), deadline: old.deadline } }));
    expect((await item(old.id)).deadline.rule.source).toBe(rule.source);
    expect(await store.get(old.id)).toEqual(old);
    await store.transition(old.id, 'RECEIVED', 'AWAITING_VERIFICATION');
    expect((await item(old.id)).deadline.rule).toEqual(storedRule(old.deadline.rule));
    expect((await store.get(old.id)).deadline.rule).toEqual({ ...old.deadline.rule, storedAs: { digest: appliedRuleDigest(old.deadline.rule), current: true } });
  });

  it('an item that said "particular data" the earlier way reads with the one field that says it now', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const old = { ...newRequest(), types: [] };
    await ddb.db.send(new PutCommand({ TableName: ddb.tables.requests, Item: { ...requestItem(old), unclearBecause: 'particularData' } }));
    const read = await store.get(old.id);
    expect(read.particularData).toBe(true);
    expect(read).not.toHaveProperty('unclearBecause');
  });

  it('a retry with the same idempotency key returns the first request and writes nothing new', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const key = { key: 'key-1', bodyHash: 'a'.repeat(64), field: 'Idempotency-Key' };
    const first = await store.create(newRequest(), received, key);
    const second = await store.create(newRequest(), received, key);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.request.id).toBe(first.request.id);
    expect(await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(first.request.id)).toHaveLength(1);
  });

  it('a double click — the same key at once, many times — makes one request, and every click gets it', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const key = { key: `key-${randomBytes(8).toString('hex')}`, bodyHash: 'b'.repeat(64), field: 'Idempotency-Key' };
    const results = await Promise.all(Array.from({ length: 6 }, () => store.create(newRequest(), received, key)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.request.id)).size).toBe(1);
  });

  it('a create that DynamoDB cancels while another writes the same key (TransactionConflict) finds that one\'s request', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const key = { key: `key-${randomBytes(8).toString('hex')}`, bodyHash: 'c'.repeat(64), field: 'Idempotency-Key' };
    let other: string | undefined;
    let transactions = 0;
    // DynamoDB Local runs transactions one at a time; DynamoDB cancels the one that meets another on the same item.
    const conflicting = {
      send: async (command: unknown) => {
        if (command instanceof TransactWriteCommand && transactions++ === 0) {
          other = (await store.create(newRequest(), received, key)).request.id;
          throw new TransactionCanceledException({
            message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None, None, None]',
            $metadata: {},
            CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }],
          });
        }
        return ddb.db.send(command as TransactWriteCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    const second = await new DynamoRequestStore(conflicting, ddb.tables.requests, ddb.tables.audit).create(newRequest(), received, key);
    expect(second).toMatchObject({ created: false, request: { id: other } });
    expect(transactions).toBe(2);
  });

  it('the same key with another body is refused, naming where the key came from, and shows nothing of the first', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    await store.create(newRequest(), received, { key: 'key-2', bodyHash: 'a'.repeat(64), field: 'Idempotency-Key' });
    const refused = store.create(newRequest(), received, { key: 'key-2', bodyHash: 'b'.repeat(64), field: 'Idempotency-Key' });
    await expect(refused).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await expect(refused).rejects.toMatchObject({ problems: [{ field: 'Idempotency-Key' }] });
  });

  it('tells whether a key made a request already, on its own channel only', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const key = `message-id:<${randomBytes(8).toString('hex')}@mail.example>`;
    expect(await store.madeUnder('email', key)).toBe(false);
    await store.create({ ...newRequest(), channel: 'email' }, received, { key, bodyHash: 'a'.repeat(64), field: 'Message-ID' });
    expect(await store.madeUnder('email', key)).toBe(true);
    expect(await store.madeUnder('web', key)).toBe(false);
  });

  it('finds an address\'s requests by its keyed hash through the person index, newest first, and none once anonymised', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const person = randomBytes(32).toString('hex');
    const older = { ...newRequest(), personKey: person };
    const newer = { ...newRequest(), personKey: person, receivedAt: '2026-11-21T10:00:00.000Z' };
    await store.create(older, received);
    await store.create(newer, received);
    await store.create({ ...newRequest(), personKey: randomBytes(32).toString('hex') }, received);
    expect((await store.findByPerson(person)).map((r) => r.id)).toEqual([newer.id, older.id]);
    const { personKey: _gone, ...anonymised } = older;
    await ddb.db.send(new PutCommand({ TableName: ddb.tables.requests, Item: { pk: older.id, sk: 'REQUEST', ...anonymised } }));
    expect((await store.findByPerson(person)).map((r) => r.id)).toEqual([newer.id]);
  });

  it('an amendment made from the request as it stands keeps what a concurrent one added', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const request = newRequest();
    await store.create(request, received);
    const note = (text: string) => ({ id: text, at: '2026-11-20T10:00:00.000Z', by: 'op', text });
    await Promise.all(['a', 'b', 'c'].map((text) => store.amend(request.id, 'RECEIVED', (current) => ({ notes: [...(current.notes ?? []), note(text)] }), [])));
    expect((await store.get(request.id)).notes?.map((n) => n.text).sort()).toEqual(['a', 'b', 'c']);
  });

  it('keys are per channel: a web key never meets a mail Message-ID of the same text', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const mail = await store.create({ ...newRequest(), channel: 'email' }, received, { key: 'message-id:<x@y>', bodyHash: 'c'.repeat(64), field: 'Message-ID' });
    const web = await store.create(newRequest(), received, { key: 'message-id:<x@y>', bodyHash: 'c'.repeat(64), field: 'Idempotency-Key' });
    expect(web.created).toBe(true);
    expect(web.request.id).not.toBe(mail.request.id);
  });

  it('moves status only from the expected one, recording each change in the audit trail', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const { request } = await store.create(newRequest(), received);
    await store.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
    await expect(store.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION')).rejects.toBeInstanceOf(ConflictError);
    await expect(store.transition(request.id, 'AWAITING_VERIFICATION', 'COMPLETED')).rejects.toBeInstanceOf(ConflictError);
    expect((await store.get(request.id)).status).toBe('AWAITING_VERIFICATION');
    const trail = await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(request.id);
    expect(trail.map((e) => e.type)).toEqual(['request.received', 'status.changed']);
    expect(trail[1]!.detail).toEqual({ from: 'RECEIVED', to: 'AWAITING_VERIFICATION' });
  });
});

describe('open requests and once-only steps', () => {
  it('pages through every open request by due date, dropping none and listing no closed one', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const created: string[] = [];
    // Several pages of both readers, and a few closed requests that must not appear.
    for (let i = 0; i < 30; i++) created.push((await store.create(newRequest(), received)).request.id);
    for (const id of created.slice(0, 5)) {
      await store.transition(id, 'RECEIVED', 'AWAITING_VERIFICATION');
      await store.transition(id, 'AWAITING_VERIFICATION', 'CLOSED_UNVERIFIED');
    }
    const open = new Set(created.slice(5));

    const paged: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listOpen({ limit: 4, cursor });
      expect(page.requests.length).toBeLessThanOrEqual(4);
      paged.push(...page.requests.map((r) => r.id));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(6);
    expect(paged.filter((id) => open.has(id)).sort()).toEqual([...open].sort());
    expect(paged.filter((id) => created.slice(0, 5).includes(id))).toEqual([]);

    const all: string[] = [];
    for await (const request of store.eachOpen(7)) all.push(request.id);
    expect(new Set(all)).toEqual(new Set(paged));
    expect(all.length).toBe(new Set(all).size);
    await expect(store.listOpen({ limit: 10, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(/cursor/);
  });

  it('lets one runner claim a step; a claim left by a crashed runner lapses after its lease', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const { request } = await store.create(newRequest(), received);
    const now = new Date('2026-11-21T10:00:00Z');
    expect(await store.claimStep(request.id, 'delay_notice', now)).toBe(true);
    expect(await store.claimStep(request.id, 'delay_notice', now)).toBe(false);
    expect(await store.claimStep(request.id, 'delay_notice', new Date(now.getTime() + 11 * 60_000))).toBe(true);
    await store.completeStep(request.id, 'delay_notice', now);
    expect(await store.claimStep(request.id, 'delay_notice', new Date(now.getTime() + 60 * 60_000))).toBe(false);
    expect(await store.claimStep(request.id, 'overdue', now)).toBe(true);
  });
});

describe('source results', () => {
  it('keeps a result larger than a DynamoDB item in the bucket, and reads it back whole', async () => {
    const bucket = new Map<string, string>();
    const largeResults = () => ({ put: async (key: string, body: string) => void bucket.set(key, body), read: async (key: string) => bucket.get(key)! });
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit, undefined, largeResults);
    const { request } = await store.create(newRequest(), received);
    // 2,000 records of about 300 bytes: 600 KB, over the 400 KB an item may hold.
    const records = Array.from({ length: 2000 }, (_, i) => ({ recordId: `r-${i}`, note: 'x'.repeat(280) }));
    await store.putSourceResult(request.id, { sourceId: 'crm', records, outcomes: {}, attempts: 1 });
    await store.putSourceResult(request.id, { sourceId: 'orders', records: [{ recordId: 'small' }], outcomes: {}, attempts: 1 });
    expect([...bucket.keys()]).toEqual([`results/${request.id}/crm.json`]);
    const results = await store.listSourceResults(request.id);
    expect(results.find((r) => r.sourceId === 'crm')!.records).toEqual(records);
    expect(results.find((r) => r.sourceId === 'orders')!.records).toEqual([{ recordId: 'small' }]);
    // Without a bucket it fails loudly rather than losing records.
    const bare = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    await expect(bare.putSourceResult(request.id, { sourceId: 'crm', records, outcomes: {}, attempts: 1 })).rejects.toThrow(/no bucket/);
  });
});

describe('a read kept for an access request', () => {
  it('is written once: the first read of a source wins, inline or in the bucket, and a later one is refused', async () => {
    const bucket = new Map<string, string>();
    const largeResults = () => ({ put: async (key: string, body: string) => void bucket.set(key, body), read: async (key: string) => bucket.get(key)! });
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit, undefined, largeResults);
    const { request } = await store.create(newRequest(), received);
    const read = (records: Array<Record<string, unknown>>, readBefore?: string) => ({
      sourceId: 'crm',
      records,
      outcomes: { access: { status: 'done' as const, affected: records.length } },
      attempts: 0,
      ...(readBefore && { readBefore }),
    });
    const large = Array.from({ length: 2000 }, (_, i) => ({ recordId: `r-${i}`, note: 'x'.repeat(280) }));
    // A result with no read yet (a step's count kept first) does not stop one.
    await store.putSourceResult(request.id, { sourceId: 'crm', records: [], outcomes: {}, attempts: 1 });
    expect(await store.putSourceResult(request.id, read(large, 'DRB-ERASE-00001'), 'unread')).toBe(true);
    // The request's own read, after the records were destroyed, finds nothing and loses, also against a body in the bucket.
    expect(await store.putSourceResult(request.id, read([]), 'unread')).toBe(false);
    expect(await store.putSourceResult(request.id, read(large), 'unread')).toBe(false);
    const [kept] = await store.listSourceResults(request.id);
    expect(kept).toEqual(read(large, 'DRB-ERASE-00001'));
    // The losers' bodies went to objects of their own: the winner's is whole.
    expect(bucket.size).toBe(2);
  });
});

describe('two writers of one request', () => {
  it('keep both changes: an extension written while a step moves the request on is not lost', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const { request } = await store.create(newRequest(), received);
    const extended = { ...request.deadline, dueAt: '2027-01-15T23:59:59+05:00' };
    // The step has read the request; the operator's extension is written before the step writes.
    let interleaved = false;
    const racing = {
      send: async (command: unknown) => {
        if (!interleaved && command instanceof TransactWriteCommand) {
          interleaved = true;
          await store.amend(request.id, 'RECEIVED', { deadline: extended }, [
            { type: 'deadline.extended', detail: { from: request.deadline.dueAt, to: extended.dueAt, citation: 'test', operator: { kind: 'key', keyId: 'key-test' } } },
          ]);
        }
        return ddb.db.send(command as TransactWriteCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    await new DynamoRequestStore(racing, ddb.tables.requests, ddb.tables.audit).transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
    expect(interleaved).toBe(true);
    const after = await store.get(request.id);
    expect(after.status).toBe('AWAITING_VERIFICATION');
    expect(after.deadline.dueAt).toBe(extended.dueAt);
    const trail = (await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(request.id)).map((e) => e.type);
    expect(trail.filter((type) => type === 'status.changed')).toHaveLength(1);
    expect(trail.filter((type) => type === 'deadline.extended')).toHaveLength(1);
  });

  it('a writer that holds the request writes on it without reading it again, and reads it only when another wrote it since', async () => {
    const reads: unknown[] = [];
    const counting = {
      send: async (command: unknown) => {
        if (command instanceof GetCommand && command.input.Key?.sk === 'REQUEST') reads.push(command.input.Key);
        return ddb.db.send(command as GetCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    const store = new DynamoRequestStore(counting, ddb.tables.requests, ddb.tables.audit);
    const { request } = await store.create(newRequest(), received);
    const waiting = await store.transition(request, 'RECEIVED', 'AWAITING_VERIFICATION');
    expect(reads).toEqual([]);
    // The operator extends the due date through another function: the step's copy is behind.
    const extended = { ...request.deadline, dueAt: '2027-01-15T23:59:59+05:00' };
    await new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit).amend(request.id, 'AWAITING_VERIFICATION', { deadline: extended }, [
      { type: 'deadline.extended', detail: { from: request.deadline.dueAt, to: extended.dueAt, citation: 'test', operator: { kind: 'key', keyId: 'key-test' } } },
    ]);
    const begun = await store.transition(waiting, 'AWAITING_VERIFICATION', 'IN_PROGRESS');
    expect(reads).toHaveLength(1);
    expect(begun.deadline.dueAt).toBe(extended.dueAt);
    // A copy the request has moved on from: its write fails on the revision, the request is read, and the move refused.
    await expect(store.transition(waiting, 'AWAITING_VERIFICATION', 'IN_PROGRESS')).rejects.toThrow(ConflictError);
    expect(reads).toHaveLength(2);
    const trail = (await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(request.id)).map((e) => e.type);
    expect(trail).toEqual(['request.received', 'status.changed', 'deadline.extended', 'status.changed']);
  });

  it('a writer that keeps losing gives up with a conflict, writing nothing', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const { request } = await store.create(newRequest(), received);
    // Another writer gets in before each of its writes.
    const racing = {
      send: async (command: unknown) => {
        if (command instanceof TransactWriteCommand) await store.amend(request.id, 'RECEIVED', {}, []);
        return ddb.db.send(command as TransactWriteCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    await expect(new DynamoRequestStore(racing, ddb.tables.requests, ddb.tables.audit).transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION')).rejects.toThrow(
      ConflictError,
    );
    expect((await store.get(request.id)).status).toBe('RECEIVED');
  });
});

describe('marking a request verified', () => {
  it('marks once, with one audit event; a closed request is not marked', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const { request } = await store.create(newRequest(), received);
    await store.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
    const at = new Date().toISOString();
    const both = await Promise.all([store.markVerified(request.id, at), store.markVerified(request.id, at)]);
    expect(both.map((marked) => marked.outcome)).toEqual(expect.arrayContaining(['marked', 'already']));
    expect((await store.get(request.id)).verifiedAt).toBe(at);
    const trail = await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(request.id);
    expect(trail.filter((e) => e.type === 'verification.confirmed')).toHaveLength(1);
    const closed = (await store.create(newRequest(), received)).request;
    await store.transition(closed.id, 'RECEIVED', 'AWAITING_VERIFICATION');
    await store.transition(closed.id, 'AWAITING_VERIFICATION', 'CLOSED_UNVERIFIED');
    expect((await store.markVerified(closed.id, at)).outcome).toBe('closed');
  });

  it('begins a request in the same write where asked, conditioned on the request as read for it', async () => {
    const store = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const { request } = await store.create(newRequest(), received);
    await store.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
    const at = new Date().toISOString();
    const asked: string[] = [];
    const marked = await store.markVerified(request.id, at, (current) => (asked.push(current.verifiedAt!), true));
    expect(asked).toEqual([at]);
    expect(marked).toMatchObject({ outcome: 'marked', request: { status: 'IN_PROGRESS', verifiedAt: at } });
    expect(await store.get(request.id)).toMatchObject({ status: 'IN_PROGRESS', verifiedAt: at });
    const trail = await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(request.id);
    expect(trail.slice(-2).map((e) => [e.type, e.detail])).toEqual([
      ['verification.confirmed', {}],
      ['status.changed', { from: 'AWAITING_VERIFICATION', to: 'IN_PROGRESS' }],
    ]);
    expect((await store.markVerified(request.id, at, () => true)).outcome).toBe('already');
  });
});

describe('confirmation links', () => {
  const key = randomBytes(32);
  const store = () => new DynamoVerificationStore(ddb.db, ddb.tables.verifications, async () => key);
  const link = (recipientKey: string, expiresInMs = 60_000, owner = 'DRB-AAAAA-BBBBB') => ({
    codeHash: newSecretCode().codeHash,
    recipientKey,
    createdAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
    owner,
    waiting: [owner],
  });

  it('are confirmed once; a repeat after a crash finishes the work, and after completion the link is spent', async () => {
    const verifications = store();
    const first = link('r'.repeat(64));
    expect(await verifications.open(first)).toBe(true);
    expect(await verifications.join(first.codeHash, ['DRB-AAAAA-CCCCC'], new Date())).toBe(true);
    const claimed = await verifications.claim(first.codeHash, new Date());
    expect(claimed.waiting.sort()).toEqual(['DRB-AAAAA-BBBBB', 'DRB-AAAAA-CCCCC']);
    // No complete(): the first confirmation died part-way. A second one gets the same link, same time.
    const again = await verifications.claim(first.codeHash, new Date(Date.now() + 3_600_000));
    expect(again.confirmedAt).toBe(claimed.confirmedAt);
    await verifications.complete(first.codeHash, new Date());
    await expect(verifications.claim(first.codeHash, new Date())).rejects.toBeInstanceOf(InvalidTokenError);
    // A confirmed link takes no one else.
    expect(await verifications.join(first.codeHash, ['DRB-AAAAA-DDDDD'], new Date())).toBe(false);
  });

  it('expire, are unknown unless issued, and stop working once superseded', async () => {
    const verifications = store();
    const expired = link('s'.repeat(64), -1000);
    await verifications.open(expired);
    await expect(verifications.claim(expired.codeHash, new Date())).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifications.claim(newSecretCode().codeHash, new Date())).rejects.toBeInstanceOf(InvalidTokenError);
    const withheld = link('t'.repeat(64));
    await verifications.open(withheld);
    await verifications.markWithheld(withheld.codeHash, new Date());
    expect((await verifications.supersede(withheld.codeHash, new Date()))?.waiting).toEqual(['DRB-AAAAA-BBBBB']);
    await expect(verifications.claim(withheld.codeHash, new Date())).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('one current link per address: a second one replaces it only if it is still the one it read', async () => {
    const verifications = store();
    const recipient = 'u'.repeat(64);
    const first = link(recipient);
    expect(await verifications.open(first)).toBe(true);
    expect(await verifications.open(link(recipient))).toBe(false);
    expect(await verifications.open(link(recipient), 'not-the-current-one')).toBe(false);
    const second = link(recipient);
    expect(await verifications.open(second, first.codeHash)).toBe(true);
    expect((await verifications.current(recipient))?.codeHash).toBe(second.codeHash);
  });

  it('keep task tokens sealed: the table never holds one as it is', async () => {
    const verifications = store();
    const token = `token-${randomBytes(16).toString('hex')}`;
    await verifications.putTask('DRB-AAAAA-EEEEE', token, new Date(Date.now() + 60_000).toISOString());
    expect(await verifications.task('DRB-AAAAA-EEEEE')).toBe(token);
    const raw = await ddb.db.send(new GetCommand({ TableName: ddb.tables.verifications, Key: { pk: 'TASK#DRB-AAAAA-EEEEE' } }));
    expect(JSON.stringify(raw.Item)).not.toContain(token);
    // Sealed for its request: copied onto another request's item, it does not open.
    await ddb.db.send(new PutCommand({ TableName: ddb.tables.verifications, Item: { ...raw.Item, pk: 'TASK#DRB-AAAAA-FFFFF' } }));
    await expect(verifications.task('DRB-AAAAA-FFFFF')).rejects.toThrow();
  });
});
