import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoRequestStore } from '../../functions/adapters/dynamodb/request-store.ts';
import { loadProfileFile } from '../../functions/config/load-profile.ts';
import { periodReport } from '../../functions/use-cases/report.ts';
import { simulateYear, storedRequests } from '../../bench/lib/simulated-year.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';

let ddb: TestDynamoDb;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
});
afterAll(async () => ddb?.stop());

describe('the report per period, from the received-date index', () => {
  it("counts the deadlines bench's simulated requests as the bench does (bench/report.ts runs the whole year)", async () => {
    const year = simulateYear();
    // The first 150 of the year, plus one of them moved to be answered a day late.
    const stored = storedRequests(year).slice(0, 150);
    const late = stored.find((request) => request.status === 'COMPLETED')!;
    late.closedAt = new Date(Date.parse(late.deadline.dueAt) + 86_400_000).toISOString();
    const requests = new DynamoRequestStore(ddb.db, ddb.tables.requests, ddb.tables.audit);
    for (let i = 0; i < stored.length; i += 15) {
      await Promise.all(stored.slice(i, i + 15).map((request) => requests.create(request, { type: 'request.received', detail: { channel: request.channel, types: request.types, dueAt: request.deadline.dueAt, ruleId: request.deadline.rule.id } })));
    }
    const deps = { requests, audit: new DynamoAuditLog(ddb.db, ddb.tables.audit), profile: loadProfileFile('profiles/demo.json'), deadlines: year.engine, clock: { now: () => new Date('2026-02-01T00:00:00Z') } };
    const report = await periodReport(deps, { from: '2025-01-01', to: '2026-01-01' });
    const onTime = stored.filter((request) => request.closedAt && Date.parse(request.closedAt) <= Date.parse(request.deadline.dueAt)).length;
    expect(report).toMatchObject({ requests: 150, answered: { onTime, late: 1 }, open: { total: 150 - onTime - 1 } });
    expect(onTime).toBe(149);
    expect(Object.values(report.byType).reduce((a, b) => a + b, 0)).toBe(150);

    // A period is its days (in the operator's zone), both included: one request received in March is counted once in
    // March, not in February.
    const march = stored.filter((request) => request.receivedAt >= '2025-02-28T19:00:00.000Z' && request.receivedAt < '2025-03-31T19:00:00.000Z').length;
    expect((await periodReport(deps, { from: '2025-03-01', to: '2025-03-31' })).requests).toBe(march);
    // Only the report's facts are in the index: no address, no name.
    const indexed = await ddb.db.send(new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({ TableName: ddb.tables.requests, IndexName: 'byReceivedDate', KeyConditionExpression: 'receivedMonth = :m', ExpressionAttributeValues: { ':m': '2025-03' }, Limit: 1 }));
    expect(JSON.stringify(indexed.Items)).not.toContain('@simulated.example');
  });
});
