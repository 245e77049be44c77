import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAttentionStore } from '../../functions/adapters/dynamodb/attention-store.ts';
import { DynamoDecisionStore } from '../../functions/adapters/dynamodb/decision-store.ts';
import { DynamoOpenWorkStore } from '../../functions/adapters/dynamodb/open-work-store.ts';
import { NotFoundError } from '../../functions/domain/errors.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';

/** What waits for the operator, each kind under its own partition of the requests table. */
let ddb: TestDynamoDb;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
}, 180_000);
afterAll(async () => ddb?.stop());

const sealingKey = async () => Buffer.alloc(32, 7);

describe('the operator queues in DynamoDB', () => {
  it('keeps a pending decision with its task token sealed, lists it without the token, and hands it out once', async () => {
    const decisions = new DynamoDecisionStore(ddb.db, ddb.tables.requests, sealingKey);
    const pending = { requestId: 'DRB-00000-00101', taskToken: 'token-of-the-wait', reasons: ['a claim'], requestedAt: '2026-02-10T05:15:00.000Z' };
    await decisions.put(pending);
    const raw = JSON.stringify(await ddb.db.send(new GetCommand({ TableName: ddb.tables.requests, Key: { pk: 'DECISION', sk: pending.requestId } })));
    expect(raw).not.toContain('token-of-the-wait');
    expect(await decisions.list()).toEqual([{ requestId: pending.requestId, reasons: ['a claim'], requestedAt: pending.requestedAt }]);
    const [first, second] = await Promise.allSettled([decisions.take(pending.requestId), decisions.take(pending.requestId)]);
    expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
    expect(first.status === 'fulfilled' ? first.value : (second as PromiseFulfilledResult<typeof pending>).value).toEqual(pending);
    expect((first.status === 'rejected' ? first.reason : (second as PromiseRejectedResult).reason) as unknown).toBeInstanceOf(NotFoundError);
  });

  it('keeps a failed step to resume, and open work listed oldest first until it is done', async () => {
    const attention = new DynamoAttentionStore(ddb.db, ddb.tables.requests);
    await attention.put({ requestId: 'DRB-00000-00102', taskToken: 'resume-token', step: 'answer', code: 'dependency_failed', since: '2026-02-10T05:15:00.000Z' });
    expect(await attention.take('DRB-00000-00102')).toMatchObject({ requestId: 'DRB-00000-00102', step: 'answer' });
    await expect(attention.take('DRB-00000-00102')).rejects.toBeInstanceOf(NotFoundError);

    const work = new DynamoOpenWorkStore(ddb.db, ddb.tables.requests);
    const item = { kind: 'processor_notice', type: 'erasure' } as const;
    await work.put({ ...item, requestId: 'DRB-00000-00103', id: 'processor:x:erasure', processorId: 'x', since: '2026-02-11T00:00:00.000Z' });
    await work.put({ ...item, requestId: 'DRB-00000-00104', id: 'processor:y:erasure', processorId: 'y', since: '2026-02-10T00:00:00.000Z' });
    expect((await work.list()).map((item) => item.requestId)).toEqual(['DRB-00000-00104', 'DRB-00000-00103']);
    await work.remove('DRB-00000-00104', 'processor:y:erasure');
    expect((await work.list()).map((item) => item.requestId)).toEqual(['DRB-00000-00103']);
  });

  it("keeps the person's unanswered mail open from the first of it, whatever order the mails are recorded in", async () => {
    const work = new DynamoOpenWorkStore(ddb.db, ddb.tables.requests);
    const reply = (minute: number) => ({ requestId: 'DRB-00000-00105', id: 'reply', kind: 'reply', since: `2026-02-12T10:${String(minute).padStart(2, '0')}:00.000Z` }) as const;
    await Promise.all([12, 3, 40, 7].map((minute) => work.putEarliest(reply(minute))));
    await work.putEarliest(reply(50));
    expect((await work.list()).filter((item) => item.requestId === 'DRB-00000-00105')).toEqual([reply(3)]);
    await work.remove('DRB-00000-00105', 'reply');
    await work.putEarliest(reply(55));
    expect((await work.list()).filter((item) => item.requestId === 'DRB-00000-00105')).toEqual([reply(55)]);
  });
});
