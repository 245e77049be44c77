import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoSentMailLedger } from '../../functions/adapters/dynamodb/sent-mail-ledger.ts';
import { newReference } from '../../functions/domain/request.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';

let ddb: TestDynamoDb;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
});
afterAll(async () => ddb?.stop());

describe('the sent-mail ledger in DynamoDB', () => {
  it('claims a mail once, even when two runs claim it at the same moment, and confirms it with its audit event', async () => {
    const ledger = new DynamoSentMailLedger(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const key = { requestId: newReference(), kind: 'receipt', round: 1 };
    const [first, second] = await Promise.all([ledger.claim(key, '<a@derbes.local>'), ledger.claim(key, '<b@derbes.local>')]);
    expect(first.messageId).toBe(second.messageId);
    expect(['<a@derbes.local>', '<b@derbes.local>']).toContain(first.messageId);
    expect(first.sent || second.sent).toBe(false);
    expect([first.first, second.first].sort()).toEqual([false, true]);

    await ledger.confirm(key, first.messageId, { type: 'mail.sent', detail: { template: 'receipt', messageId: first.messageId, sha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } });
    expect(await ledger.claim(key, '<c@derbes.local>')).toEqual({ messageId: first.messageId, sent: true, first: false });
    expect(await ledger.claim({ ...key, round: 2 }, '<d@derbes.local>')).toEqual({ messageId: '<d@derbes.local>', sent: false, first: true });
    const trail = await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(key.requestId);
    expect(trail.map((e) => e.type)).toEqual(['mail.sent']);
  });

  it('a repeated confirm (a step run again after the mail went out) records the mail once', async () => {
    const ledger = new DynamoSentMailLedger(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const key = { requestId: newReference(), kind: 'receipt', round: 1 };
    const { messageId } = await ledger.claim(key, '<r@derbes.local>');
    const sent = { type: 'mail.sent' as const, detail: { template: 'receipt', messageId, sha256: 'c'.repeat(64) } };
    await ledger.confirm(key, messageId, sent);
    await ledger.confirm(key, messageId, sent);
    const trail = await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(key.requestId);
    expect(trail.map((e) => e.type)).toEqual(['mail.sent']);
    expect(await ledger.claim(key, '<s@derbes.local>')).toEqual({ messageId, sent: true, first: false });
  });
});
