import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoLimits } from '../../functions/adapters/dynamodb/limits.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';

let ddb: TestDynamoDb;
let limits: DynamoLimits;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
  limits = new DynamoLimits(ddb.db, ddb.tables.limits);
});
afterAll(async () => ddb?.stop());

describe('token buckets in DynamoDB', () => {
  it('let the burst through at once, then one per interval, and say when to come back', async () => {
    // Times from now on: the table's TTL would remove items stamped in the past.
    const now = new Date();
    const limit = { burst: 3, perMinute: 6 }; // one token every 10 s
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(await limits.take('test:a', limit, now));
    expect(taken).toEqual([0, 0, 0, 10, 10]);
    expect(await limits.take('test:a', limit, new Date(now.getTime() + 10_000))).toBe(0);
    expect(await limits.take('test:a', limit, new Date(now.getTime() + 10_000))).toBe(10);
    // Another bucket is another count.
    expect(await limits.take('test:b', limit, now)).toBe(0);
  });

  it('hold under concurrent takers: never more than the burst', async () => {
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 20 }, () => limits.take('test:concurrent', { burst: 5, perMinute: 1 }, now)));
    expect(results.filter((r) => r === 0)).toHaveLength(5);
  });
});

describe('mail budgets', () => {
  it('an address gets at most max mails in any rolling window, and a confirmation gives the budget back', async () => {
    const budget = { max: 6, windowHours: 24 };
    const start = Date.now();
    const at = (hours: number) => new Date(start + hours * 3_600_000);
    const spent = await Promise.all(Array.from({ length: 10 }, () => limits.spendRecipient('a'.repeat(64), budget, at(0))));
    expect(spent.filter(Boolean)).toHaveLength(6);
    expect(await limits.spendRecipient('a'.repeat(64), budget, at(23.9))).toBe(false);
    expect(await limits.spendRecipient('a'.repeat(64), budget, at(24.1))).toBe(true);
    await limits.refundRecipient('a'.repeat(64));
    expect(await limits.spendRecipient('a'.repeat(64), budget, at(24.2))).toBe(true);
  });

  it('gives back the one mail spent at a time, whoever spent beside it', async () => {
    const budget = { max: 2, windowHours: 24 };
    const now = new Date();
    const later = new Date(now.getTime() + 1000);
    expect(await limits.spendRecipient('c'.repeat(64), budget, now)).toBe(true);
    expect(await limits.spendRecipient('c'.repeat(64), budget, later)).toBe(true);
    expect(await limits.spendRecipient('c'.repeat(64), budget, later)).toBe(false);
    await limits.returnRecipient('c'.repeat(64), later);
    // Given back once, however often it is asked: a second call finds nothing spent at that time.
    await limits.returnRecipient('c'.repeat(64), later);
    expect(await limits.spendRecipient('c'.repeat(64), budget, later)).toBe(true);
    expect(await limits.spendRecipient('c'.repeat(64), budget, later)).toBe(false);
  });

  it('an address with room in its budget is charged in one write, its times not read first; a full one is read and its old times dropped', async () => {
    const commands: string[] = [];
    const counting = {
      send: (command: { constructor: { name: string } }) => {
        commands.push(command.constructor.name);
        return ddb.db.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const counted = new DynamoLimits(counting, ddb.tables.limits);
    const budget = { max: 2, windowHours: 1 };
    const start = Date.now();
    expect(await counted.spendRecipient('b'.repeat(64), budget, new Date(start))).toBe(true);
    expect(await counted.spendRecipient('b'.repeat(64), budget, new Date(start + 1000))).toBe(true);
    expect(commands).toEqual(['UpdateCommand', 'UpdateCommand']);
    expect(await counted.spendRecipient('b'.repeat(64), budget, new Date(start + 2000))).toBe(false);
    // Past the window of the first, one more fits: read, the first dropped, written back with the new one.
    expect(await counted.spendRecipient('b'.repeat(64), budget, new Date(start + 3_600_500))).toBe(true);
    expect(await counted.spendRecipient('b'.repeat(64), budget, new Date(start + 3_600_600))).toBe(false);
  });

  it('the hour\'s budget refuses once spent, and says so once (for one alert)', async () => {
    const hour = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
    const now = new Date(hour + 30 * 60_000);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limits.spendHourly('other', 3, now));
    expect(results).toEqual([
      { allowed: true, firstRefusal: false },
      { allowed: true, firstRefusal: false },
      { allowed: true, firstRefusal: false },
      { allowed: false, firstRefusal: true },
      { allowed: false, firstRefusal: false },
    ]);
    expect(await limits.spendHourly('other', 3, new Date(hour + 3_600_000))).toEqual({ allowed: true, firstRefusal: false });
  });

  it('a recipient domain\'s count allows its budget of the hour however many spend at once, and no more', async () => {
    const now = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3 * 3_600_000 + 60_000);
    const spent = await Promise.all(Array.from({ length: 12 }, () => limits.spendHourly('domain:catchall', 10, now)));
    expect(spent.filter((r) => r.allowed)).toHaveLength(10);
    expect((await limits.spendHourly('domain:other', 10, now)).allowed).toBe(true);
  });

  it('each share of the hour is counted apart: mail spending its share all at once leaves the other\'s whole', async () => {
    const now = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 2 * 3_600_000 + 60_000);
    const byMail = await Promise.all(Array.from({ length: 8 }, () => limits.spendHourly('email', 5, now)));
    expect(byMail.filter((r) => r.allowed)).toHaveLength(5);
    expect(byMail.filter((r) => r.firstRefusal)).toHaveLength(1);
    const other = [];
    for (let i = 0; i < 3; i++) other.push(await limits.spendHourly('other', 3, now));
    expect(other.every((r) => r.allowed)).toBe(true);
  });

  it('firstThisHour is true once per name and clock hour, however many ask at once', async () => {
    const now = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3 * 3_600_000 + 60_000);
    const answers = await Promise.all(Array.from({ length: 6 }, () => limits.firstThisHour('mail-held', now)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await limits.firstThisHour('other-name', now)).toBe(true);
    expect(await limits.firstThisHour('mail-held', new Date(now.getTime() + 3_600_000))).toBe(true);
  });
});
