import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoSentMailLedger } from '../../functions/adapters/dynamodb/sent-mail-ledger.ts';
import { newReference } from '../../functions/domain/request.ts';
import { MAIL_CLAIM_LEASE_MS } from '../../functions/use-cases/ports.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';

let ddb: TestDynamoDb;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
});
afterAll(async () => ddb?.stop());

describe('the sent-mail ledger in DynamoDB', () => {
  it('claims a mail for one of several runs at the same moment, holds it from the others, and confirms it with its audit event', async () => {
    const ledger = new DynamoSentMailLedger(ddb.db, ddb.tables.requests, ddb.tables.audit);
    const key = { requestId: newReference(), kind: 'receipt', round: 1 };
    const claims = await Promise.all(['<a@derbes.local>', '<b@derbes.local>', '<c@derbes.local>'].map((id) => ledger.claim(key, id)));
    expect(claims.map((claim) => claim.state).sort()).toEqual(['held', 'held', 'ours']);
    const first = claims.find((claim) => claim.state === 'ours')!;
    expect(new Set(claims.map((claim) => claim.messageId))).toEqual(new Set([first.messageId]));

    await ledger.confirm(key, first.messageId, { type: 'mail.sent', detail: { template: 'receipt', messageId: first.messageId, sha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } });
    expect(await ledger.claim(key, '<c@derbes.local>')).toEqual({ state: 'sent', messageId: first.messageId });
    expect(await ledger.claim({ ...key, round: 2 }, '<d@derbes.local>')).toEqual({ state: 'ours', messageId: '<d@derbes.local>', token: expect.any(String), first: true });
    const trail = await new DynamoAuditLog(ddb.db, ddb.tables.audit).list(key.requestId);
    expect(trail.map((e) => e.type)).toEqual(['mail.sent']);
  });

  it('hands a released claim, or one whose lease lapsed, to one next run, under the first Message-ID', async () => {
    let now = new Date('2026-11-20T10:00:00.000Z');
    const ledger = new DynamoSentMailLedger(ddb.db, ddb.tables.requests, ddb.tables.audit, () => now);
    const key = { requestId: newReference(), kind: 'answer', round: 1 };
    const first = await ledger.claim(key, '<first@derbes.local>');
    if (first.state !== 'ours') throw new Error('not claimed');
    // A release by a run that no longer holds the claim changes nothing.
    await ledger.release(key, first.messageId, 'another-runs-token');
    expect(await ledger.claim(key, '<x@derbes.local>')).toEqual({ state: 'held', messageId: '<first@derbes.local>' });
    await ledger.release(key, first.messageId, first.token);
    const [again, meanwhile] = await Promise.all([ledger.claim(key, '<y@derbes.local>'), ledger.claim(key, '<z@derbes.local>')]);
    expect([again.state, meanwhile.state].sort()).toEqual(['held', 'ours']);
    expect([again.messageId, meanwhile.messageId]).toEqual(['<first@derbes.local>', '<first@derbes.local>']);

    // The run that took it crashed: held until its lease lapses, then one run takes it over.
    now = new Date(now.getTime() + MAIL_CLAIM_LEASE_MS - 1_000);
    expect((await ledger.claim(key, '<y@derbes.local>')).state).toBe('held');
    now = new Date(now.getTime() + 2_000);
    const takeovers = await Promise.all([ledger.claim(key, '<y@derbes.local>'), ledger.claim(key, '<z@derbes.local>')]);
    expect(takeovers.map((claim) => claim.state).sort()).toEqual(['held', 'ours']);
    expect(takeovers.map((claim) => claim.messageId)).toEqual(['<first@derbes.local>', '<first@derbes.local>']);
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
    expect(await ledger.claim(key, '<s@derbes.local>')).toEqual({ state: 'sent', messageId });
  });
});
