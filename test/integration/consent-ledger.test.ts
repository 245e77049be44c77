import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendConsentEvents,
  CONSENT_TERM_INDEX,
  ConcurrentConsentChangeError,
  DynamoConsentLedger,
  historyItem,
} from '../../functions/adapters/dynamodb/consent-ledger.ts';
import { foldConsent, type ConsentActionInput, type ConsentPolicy, type ConsentState, type RecordedConsentEvent } from '../../functions/domain/consent/index.ts';
import { ValidationError } from '../../functions/domain/errors.ts';
import { personKey } from '../../functions/domain/person-key.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb.ts';

/**
 * Tests share one table, so each works in its own era: term ends that one test makes due never fall into
 * another's window (ledger basics 2026→2029, boundary 2011→2023, due() 2019→2022, late catch-up 1890→2000).
 */
const POLICY: ConsentPolicy = {
  timeZone: 'Asia/Almaty',
  purposes: [
    { id: 'service', version: 'v1', consentTerm: { years: 3, autoProlong: true } },
    { id: 'marketing', version: 'v1', consentTerm: { years: 3, autoProlong: false } },
    { id: 'analytics', version: 'v1' },
    { id: 'yearly', version: 'v1', consentTerm: { years: 1, autoProlong: true } },
  ],
};
const SECRET = 'integration test secret, at least 32 bytes long';
const RECORDED_AT = new Date('2031-01-01T00:00:00.000Z');
/** No term has ended at the epoch, so `current` at this instant shows the states exactly as stored. */
const AS_STORED = new Date(0);

let ddb: TestDynamoDb;
let ledger: DynamoConsentLedger;
beforeAll(async () => {
  ddb = await startTestDynamoDb();
  ledger = new DynamoConsentLedger(ddb.db, ddb.tables.consent, POLICY, () => RECORDED_AT);
});
afterAll(async () => ddb?.stop());

const newPerson = () => personKey(`person-${randomUUID()}@example.kz`, SECRET);
const act = (key: string, purposeId: string, at: string, extra: Partial<ConsentActionInput> = {}): ConsentActionInput => ({
  personKey: key,
  purposeId,
  at: new Date(at),
  channel: 'web',
  ...extra,
});

/** Runs `work` over `items`, `concurrency` at a time. */
async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++] as T);
  }));
}

/** Each stored state equals the fold of its purpose's stored history, in recording order. */
async function expectStatesAreFoldsOfHistory(key: string): Promise<ConsentState[]> {
  const states = await ledger.current(key, AS_STORED, { consistentRead: true });
  const history = await ledger.history(key);
  const purposes = new Set(history.map((event) => event.purposeId));
  expect(states.map((s) => s.purposeId).sort()).toEqual([...purposes].sort());
  for (const state of states) {
    const events = history.filter((e) => e.purposeId === state.purposeId).sort((a, b) => a.seq - b.seq);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(foldConsent(events.map(({ seq: _seq, recordedAt: _recordedAt, ...event }) => event))).toEqual(state);
  }
  return states;
}

describe('consent ledger in DynamoDB', () => {
  it('grants, reads, withdraws and reads again', async () => {
    const key = newPerson();
    await ledger.grant(act(key, 'service', '2026-03-02T09:00:00.000Z', { evidence: { requestId: 'DRB-AAAAA-BBBBB', ipHash: 'ab'.repeat(32) } }));
    await ledger.grant(act(key, 'marketing', '2026-03-02T09:00:01.000Z', { evidence: { gpc: false } }));
    const now = new Date('2026-03-03T00:00:00.000Z');
    expect(await ledger.current(key, now)).toEqual([
      expect.objectContaining({ purposeId: 'marketing', status: 'granted', termEndsAt: '2029-03-02T09:00:01.000Z' }),
      expect.objectContaining({ purposeId: 'service', status: 'granted', termEndsAt: '2029-03-02T09:00:00.000Z', version: 1 }),
    ]);

    const change = await ledger.withdraw(act(key, 'marketing', '2026-04-01T10:00:00.000Z', { channel: 'email', evidence: { messageId: '<w1@example.kz>' } }));
    expect(change.recorded).toMatchObject([{ type: 'withdrawn', channel: 'email' }]);
    const again = await ledger.withdraw(act(key, 'marketing', '2026-04-01T10:05:00.000Z', { channel: 'email', evidence: { messageId: '<w2@example.kz>' } }));
    expect(again.recorded).toEqual([]);
    const states = await ledger.current(key, new Date('2026-04-02T00:00:00.000Z'), { consistentRead: true });
    expect(states.find((s) => s.purposeId === 'marketing')).toMatchObject({ status: 'withdrawn', version: 2, channel: 'email' });
    expect(states.find((s) => s.purposeId === 'marketing')?.termEndsAt).toBeUndefined();
    expect(states.find((s) => s.purposeId === 'service')).toMatchObject({ status: 'granted' });
    await expectStatesAreFoldsOfHistory(key);
  });

  it('keeps every event in the history with its evidence', async () => {
    const key = newPerson();
    await ledger.grant(act(key, 'service', '2026-05-01T08:00:00.000Z', { channel: 'api', evidence: { requestId: 'DRB-CCCCC-DDDDD', userAgentHash: 'cd'.repeat(32), gpc: true } }));
    await ledger.withdraw(act(key, 'service', '2026-06-01T08:00:00.000Z', { channel: 'email', evidence: { messageId: '<x@example.kz>' } }));
    await ledger.grant(act(key, 'service', '2026-07-01T08:00:00.000Z', { channel: 'operator', policyVersion: 'v2', evidence: { requestId: 'DRB-EEEEE-FFFFF' } }));
    const history = await ledger.history(key);
    expect(history).toEqual([
      {
        type: 'granted', purposeId: 'service', at: '2026-05-01T08:00:00.000Z', channel: 'api', policyVersion: 'v1', seq: 1, recordedAt: RECORDED_AT.toISOString(),
        evidence: { requestId: 'DRB-CCCCC-DDDDD', userAgentHash: 'cd'.repeat(32), gpc: true },
        term: { years: 3, autoProlong: true, timeZone: 'Asia/Almaty' }, termEndsAt: '2029-05-01T08:00:00.000Z',
      },
      {
        type: 'withdrawn', purposeId: 'service', at: '2026-06-01T08:00:00.000Z', channel: 'email', policyVersion: 'v1', seq: 2, recordedAt: RECORDED_AT.toISOString(),
        evidence: { messageId: '<x@example.kz>' },
      },
      {
        type: 'granted', purposeId: 'service', at: '2026-07-01T08:00:00.000Z', channel: 'operator', policyVersion: 'v2', seq: 3, recordedAt: RECORDED_AT.toISOString(),
        evidence: { requestId: 'DRB-EEEEE-FFFFF' },
        term: { years: 3, autoProlong: true, timeZone: 'Asia/Almaty' }, termEndsAt: '2029-07-01T08:00:00.000Z',
      },
    ]);
  });

  it('refuses to change history, through its own write path and through a raw conditional write', async () => {
    const key = newPerson();
    await ledger.grant(act(key, 'service', '2026-05-01T08:00:00.000Z', { evidence: { requestId: 'DRB-GGGGG-HHHHH' } }));
    const [original] = await ledger.history(key);
    const stored = async () => (await ddb.db.send(new GetCommand({ TableName: ddb.tables.consent, Key: { pk: key, sk: 'HIST#service#0000000001' }, ConsistentRead: true }))).Item;
    const before = await stored();
    expect(before).toMatchObject({ seq: 1, evidence: { requestId: 'DRB-GGGGG-HHHHH' } });

    // A writer that missed the grant tries to write event 1 again, with other evidence.
    const forged = { ...original!, at: '2026-04-01T00:00:00.000Z', evidence: { requestId: 'DRB-FORGED-00000' } };
    const attempt = appendConsentEvents(ddb.db, ddb.tables.consent, key, undefined, [forged], new Date());
    await expect(attempt).rejects.toBeInstanceOf(ConcurrentConsentChangeError);
    const cause = (await attempt.catch((error: Error) => error.cause)) as TransactionCanceledException;
    expect(cause).toBeInstanceOf(TransactionCanceledException);
    // Both the state's condition and the history item's attribute_not_exists refused it.
    expect(cause.CancellationReasons?.map((r) => r.Code)).toEqual(['ConditionalCheckFailed', 'ConditionalCheckFailed']);

    // The same history item put directly with the ledger's condition, and a conditional update of it.
    const item = historyItem(key, forged, 1, new Date());
    await expect(
      ddb.db.send(new PutCommand({ TableName: ddb.tables.consent, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(
      ddb.db.send(
        new UpdateCommand({
          TableName: ddb.tables.consent,
          Key: { pk: key, sk: item.sk },
          UpdateExpression: 'SET evidence = :forged',
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeValues: { ':forged': forged.evidence },
        }),
      ),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(await stored()).toEqual(before);
    expect(await ledger.history(key)).toEqual([original]);
  });

  it('loses no event when writers race on one purpose', async () => {
    const key = newPerson();
    const versions = ['v1', 'v2', 'v3', 'v4', 'v5'];
    await Promise.all(versions.map((policyVersion) => ledger.grant(act(key, 'service', '2026-08-01T08:00:00.000Z', { policyVersion }))));
    const history = await ledger.history(key);
    expect(history.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(history.map((e) => e.policyVersion).sort()).toEqual(versions);
    const [state] = await expectStatesAreFoldsOfHistory(key);
    expect(state?.version).toBe(5);
  });

  it('refuses a raw address as the person key before touching the table', async () => {
    await expect(ledger.grant(act('person@example.kz', 'service', '2026-08-01T08:00:00.000Z'))).rejects.toBeInstanceOf(ValidationError);
  });

  it('prolongs and expires at the three-year boundary on a simulated clock', async () => {
    const key = newPerson();
    for (const purposeId of ['service', 'marketing', 'analytics']) await ledger.grant(act(key, purposeId, '2011-01-15T07:00:00.000Z'));
    const boundary = Date.parse('2014-01-15T07:00:00.000Z');

    expect(await ledger.applyDue(new Date(boundary - 1))).toEqual({ prolonged: 0, expired: 0 });
    expect(await ledger.current(key, new Date(boundary - 1))).toMatchObject([{ status: 'granted' }, { status: 'granted' }, { status: 'granted' }]);

    expect(await ledger.applyDue(new Date(boundary))).toEqual({ prolonged: 1, expired: 1 });
    expect(await ledger.applyDue(new Date(boundary))).toEqual({ prolonged: 0, expired: 0 });
    const states = await expectStatesAreFoldsOfHistory(key);
    expect(states.map((s) => [s.purposeId, s.status, s.termEndsAt])).toEqual([
      ['analytics', 'granted', undefined],
      ['marketing', 'expired', undefined],
      ['service', 'granted', '2017-01-15T07:00:00.000Z'],
    ]);

    // The job then stays away for seven years: two more terms ended, each prolongation its own event.
    expect(await ledger.applyDue(new Date('2021-03-01T00:00:00.000Z'))).toEqual({ prolonged: 2, expired: 0 });
    const service = (await ledger.history(key)).filter((e) => e.purposeId === 'service');
    expect(service.map((e) => [e.type, e.at, e.termEndsAt])).toEqual([
      ['granted', '2011-01-15T07:00:00.000Z', '2014-01-15T07:00:00.000Z'],
      ['prolonged', '2014-01-15T07:00:00.000Z', '2017-01-15T07:00:00.000Z'],
      ['prolonged', '2017-01-15T07:00:00.000Z', '2020-01-15T07:00:00.000Z'],
      ['prolonged', '2020-01-15T07:00:00.000Z', '2023-01-15T07:00:00.000Z'],
    ]);
    expect(service.slice(1).every((e) => e.channel === 'operator' && e.policyVersion === 'v1')).toBe(true);
    await expectStatesAreFoldsOfHistory(key);
  });

  it('writes a catch-up longer than one transaction in order', async () => {
    const key = newPerson();
    await ledger.grant(act(key, 'yearly', '1890-06-01T06:00:00.000Z'));
    const change = await ledger.withdraw(act(key, 'yearly', '2000-01-01T06:00:00.000Z'));
    expect(change.recorded).toHaveLength(110);
    expect(change.recorded.at(-1)?.type).toBe('withdrawn');
    const [state] = await expectStatesAreFoldsOfHistory(key);
    expect(state).toMatchObject({ status: 'withdrawn', version: 111 });
  });

  it('finds ended terms with a query on the term index, among many that have not ended', async () => {
    // 300 people whose terms run on, withdrew, or never end; then 20 whose terms ended in 2022.
    const unrelated = Array.from({ length: 100 }, newPerson);
    await inParallel(unrelated, 8, async (key) => {
      await ledger.grant(act(key, 'service', '2026-09-01T08:00:00.000Z'));
      await ledger.grant(act(key, 'marketing', '2019-02-01T08:00:00.000Z'));
      await ledger.withdraw(act(key, 'marketing', '2019-03-01T08:00:00.000Z'));
      await ledger.grant(act(key, 'analytics', '2019-02-01T08:00:00.000Z'));
    });
    const targets = Array.from({ length: 20 }, (_, i) => ({ key: newPerson(), purposeId: i % 2 ? 'service' : 'marketing', at: new Date(Date.UTC(2019, 0, 10 + i, 8)) }));
    await inParallel(targets, 8, ({ key, purposeId, at }) => ledger.grant(act(key, purposeId, at.toISOString())));

    const commands: Array<{ name: string; input: Record<string, unknown> }> = [];
    let scanned = 0;
    const watched = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        commands.push({ name: command.constructor.name, input: command.input });
        const output = (await ddb.db.send(command as never)) as { ScannedCount?: number };
        scanned += output.ScannedCount ?? 0;
        return output;
      },
    } as unknown as DynamoDBDocumentClient;
    const watchedLedger = new DynamoConsentLedger(watched, ddb.tables.consent, POLICY, () => RECORDED_AT);
    const now = new Date('2022-12-31T00:00:00.000Z');

    const due = await watchedLedger.due(now, 100);
    const expected = targets.map(({ key, purposeId, at }) => [key, purposeId, new Date(Date.UTC(2022, 0, at.getUTCDate(), 8)).toISOString()]);
    expect(due.map((d) => [d.personKey, d.state.purposeId, d.state.termEndsAt])).toEqual(expected);
    expect(commands.every((c) => c.name === 'QueryCommand' && c.input.IndexName === CONSENT_TERM_INDEX)).toBe(true);
    expect(scanned).toBe(targets.length);
    expect((await watchedLedger.due(now, 5)).map((d) => d.personKey)).toEqual(targets.slice(0, 5).map((t) => t.key));

    expect(await ledger.applyDue(now)).toEqual({ prolonged: 10, expired: 10 });
    expect(await ledger.due(now, 100)).toEqual([]);
    expect((await ledger.current(unrelated[0]!, now)).map((s) => [s.purposeId, s.status])).toEqual([
      ['analytics', 'granted'],
      ['marketing', 'withdrawn'],
      ['service', 'granted'],
    ]);
  });
});

describe('consent ledger properties in DynamoDB', () => {
  it('history only grows, and each stored state is the fold of its stored history', async () => {
    const command = fc.record({
      kind: fc.constantFrom('grant', 'withdraw'),
      purposeId: fc.constantFrom('service', 'marketing', 'analytics'),
      policyVersion: fc.constantFrom('v1', 'v2'),
      days: fc.integer({ min: 0, max: 1500 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 8 }), async (commands) => {
        const key = newPerson();
        let at = Date.parse('2026-10-01T00:00:00.000Z');
        let seen: RecordedConsentEvent[] = [];
        for (const { kind, purposeId, policyVersion, days } of commands) {
          at += days * 86_400_000;
          const input = act(key, purposeId, new Date(at).toISOString(), { policyVersion });
          await (kind === 'grant' ? ledger.grant(input) : ledger.withdraw(input));
          const history = await ledger.history(key);
          for (const event of seen) expect(history).toContainEqual(event);
          seen = history;
          await expectStatesAreFoldsOfHistory(key);
        }
      }),
      { numRuns: 15 },
    );
  });
});
