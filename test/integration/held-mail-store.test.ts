import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoHeldMailStore, EXPIRES_ATTRIBUTE } from '../../functions/adapters/dynamodb/held-mail-store.ts';
import { ConflictError, NotFoundError } from '../../functions/domain/errors.ts';
import type { HeldMail } from '../../functions/domain/held-mail.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';

/** Held mail in the requests table, listed through its index, as the operator API and intake use it. */
let ddb: TestDynamoDb;
let store: DynamoHeldMailStore;
let audit: DynamoAuditLog;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
  store = new DynamoHeldMailStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
  audit = new DynamoAuditLog(ddb.db, ddb.tables.audit);
}, 180_000);
afterAll(async () => ddb?.stop());

const VERDICTS = { spam: 'PASS', virus: 'PASS', spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' } as const;
const DAY = 86_400_000;
const OPERATOR = { kind: 'person', sub: '3f0c9a52-7d1e-4c1b-9a34-5b2d8e6f1a07', email: 'aigerim.operator@demo.kz' } as const;

/** A held mail of one test (`prefix` keeps each test's apart), arrived at `at`. */
const held = (prefix: string, n: number, at: Date): HeldMail => ({
  sesMessageId: `${prefix}-${String(n).padStart(5, '0')}`,
  arrivedAt: at.toISOString(),
  reason: 'unauthenticated',
  sender: `sender.${n}@mail.example`,
  senderName: 'Дана ‮gnp.exe',
  subject: `Удаление данных ${n}`,
  verdicts: VERDICTS,
  size: 1234,
});

/** Every mail the list holds from `since`, page after page, and how many pages that took. */
async function everyPage(since: Date, limit = 100) {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.list({ limit, cursor, since });
    expect(page.mails.length).toBeLessThanOrEqual(limit);
    ids.push(...page.mails.map((m) => m.sesMessageId));
    cursor = page.cursor;
    pages++;
  } while (cursor);
  return { ids, pages };
}

describe('held mail in DynamoDB', () => {
  it('keeps a mail once, its first arrival standing, with an expiry the table\'s TTL reads', async () => {
    const at = new Date('2031-01-01T10:00:00Z');
    const mail = held('once', 1, at);
    const expires = new Date(at.getTime() + 60 * DAY);
    await store.hold(mail, expires);
    await store.hold({ ...mail, arrivedAt: new Date(at.getTime() + 1000).toISOString(), subject: 'again' }, new Date(expires.getTime() + 1000));
    expect(await store.get(mail.sesMessageId)).toEqual(mail);
    const item = (await ddb.db.send(new GetCommand({ TableName: ddb.tables.requests, Key: { pk: `HELD#${mail.sesMessageId}`, sk: 'HELD' } }))).Item!;
    expect(item[EXPIRES_ATTRIBUTE]).toBe(expires.getTime() / 1000);
    const ttl = await ddb.db.send(new DescribeTimeToLiveCommand({ TableName: ddb.tables.requests }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(EXPIRES_ATTRIBUTE);
    await expect(store.get('never-held')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('moves a mail only from where it stands, takes it off the list with its sender\'s details once settled, and records the settling in the same write', async () => {
    const at = new Date('2032-01-01T10:00:00Z');
    const since = new Date(at.getTime() - DAY);
    const [a, b, c] = [1, 2, 3].map((n) => held('moves', n, new Date(at.getTime() + n * 1000)));
    for (const mail of [a!, b!, c!]) await store.hold(mail, new Date(at.getTime() + 60 * DAY));
    const admitting = { kind: 'admitting', by: OPERATOR.email, at: at.toISOString() } as const;
    // Admitting: taken from held, taken up again from admitting; not dismissed meanwhile; given back when it cannot finish.
    expect(await store.startAdmission(a!.sesMessageId, admitting)).toBe(true);
    expect(await store.startAdmission(a!.sesMessageId, { ...admitting, by: 'another@demo.kz' })).toBe(true);
    expect(await store.settle(a!.sesMessageId, { kind: 'dismissed', by: OPERATOR.email, at: at.toISOString() }, { type: 'mail.dismissed', detail: { operator: OPERATOR } })).toBe(false);
    expect(await audit.list(`INBOUND#${a!.sesMessageId}`)).toEqual([]);
    expect((await store.list({ limit: 10, since })).mails.find((m) => m.sesMessageId === a!.sesMessageId)?.resolution).toEqual({ ...admitting, by: 'another@demo.kz' });
    await store.abandonAdmission(a!.sesMessageId);
    expect((await store.get(a!.sesMessageId)).resolution).toBeUndefined();
    // Admitted only from admitting.
    expect(await store.settle(b!.sesMessageId, { kind: 'admitted', by: OPERATOR.email, at: at.toISOString(), requestId: 'DRB-00000-00001' }, { type: 'mail.admitted', detail: { requestId: 'DRB-00000-00001', operator: OPERATOR } })).toBe(false);
    expect(await store.startAdmission(b!.sesMessageId, admitting)).toBe(true);
    const admitted = { kind: 'admitted', by: OPERATOR.email, at: at.toISOString(), requestId: 'DRB-00000-00001' } as const;
    expect(await store.settle(b!.sesMessageId, admitted, { type: 'mail.admitted', detail: { requestId: 'DRB-00000-00001', operator: OPERATOR } })).toBe(true);
    // Dismissed only from held; a dismissed one is not taken for admission.
    const dismissed = { kind: 'dismissed', by: OPERATOR.email, at: at.toISOString() } as const;
    expect(await store.settle(c!.sesMessageId, dismissed, { type: 'mail.dismissed', detail: { operator: OPERATOR } })).toBe(true);
    expect(await store.settle(c!.sesMessageId, dismissed, { type: 'mail.dismissed', detail: { operator: OPERATOR } })).toBe(false);
    expect(await store.startAdmission(c!.sesMessageId, admitting)).toBe(false);

    const { sender: _s, senderName: _n, subject: _t, ...rest } = b!;
    expect(await store.get(b!.sesMessageId)).toEqual({ ...rest, resolution: admitted });
    expect((await store.get(c!.sesMessageId)).resolution).toEqual(dismissed);
    expect((await everyPage(since)).ids).toEqual([a!.sesMessageId]);
    expect(await store.count(since)).toBe(1);
    // Each settling is on the mail's own trail, once.
    expect((await audit.list(`INBOUND#${b!.sesMessageId}`)).map((e) => [e.type, e.detail])).toEqual([['mail.admitted', { requestId: 'DRB-00000-00001', operator: OPERATOR }]]);
    expect((await audit.list(`INBOUND#${c!.sesMessageId}`)).map((e) => e.type)).toEqual(['mail.dismissed']);
  });

  it('lists 10,000 held mails the latest first, 100 a page, every one once; the count agrees; an expired one is neither listed nor counted', async () => {
    const start = new Date('2033-01-01T00:00:00Z');
    const n = 10_000;
    // Written as intake writes them, a few at a time.
    for (let i = 0; i < n; i += 25) {
      await Promise.all(Array.from({ length: Math.min(25, n - i) }, (_, k) => store.hold(held('flood', i + k, new Date(start.getTime() + (i + k) * 1000)), new Date(start.getTime() + 60 * DAY))));
    }
    // Arrived before the cut-off: expired, though the TTL has not removed it yet.
    await store.hold(held('flood-old', 1, new Date(start.getTime() - 1000)), new Date(start.getTime() + DAY));
    const { ids, pages } = await everyPage(start);
    // A page that ends the list exactly at its limit may be followed by an empty one (DynamoDB cannot tell yet).
    expect(pages).toBeLessThanOrEqual(n / 100 + 1);
    expect(ids).toHaveLength(n);
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => held('flood', n - 1 - i, start).sesMessageId));
    expect(await store.count(start)).toBe(n);
  }, 240_000);

  it('refuses a cursor it did not give', async () => {
    await expect(store.list({ limit: 10, cursor: 'not-a-cursor', since: new Date(0) })).rejects.toBeInstanceOf(ConflictError);
  });
});
