import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoRetentionStates } from '../../../functions/adapters/dynamodb/retention-state.ts';
import { HttpRetentionSource } from '../../../functions/adapters/sources/http-retention.ts';
import { readFileSync } from 'node:fs';
import { parseProfile } from '../../../functions/config/load-profile.ts';
import type { DataSource, OperatorProfile } from '../../../functions/config/profile-schema.ts';
import { createDeadlineEngine } from '../../../functions/domain/deadlines/index.ts';
import { DependencyError } from '../../../functions/domain/errors.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../../functions/domain/signing.ts';
import { approveRule, planChunk, purgeExpired } from '../../../functions/use-cases/retention.ts';
import type { AuditLog, OwnRecords, RetentionSource } from '../../../functions/use-cases/ports.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../../support/dynamodb.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';

/**
 * The retention purge through the company's own HTTP service (it has the index; derbes never scans its stores): the
 * service lists expired keys page by page and erases one record per signed call, once per purgeId; derbes counts,
 * keeps holds, records each purge once and never sees a record's contents.
 */
const SECRET = 'company-retention-signing-key';
const T0 = new Date('2026-11-29T12:00:00Z');
let ddb: TestDynamoDb;
let server: Server;
let url: string;

interface Customer {
  id: string;
  name: string;
  lastInteraction: string;
  hold?: string;
}
/** The company's records and what it did with derbes' calls. */
const company = {
  customers: new Map<string, Customer>(),
  purged: [] as Array<{ key: unknown; erasure: string }>,
  purgeIds: new Set<string>(),
  calls: [] as string[],
  answerBadly: false,
};

beforeAll(async () => {
  ddb = await startTestDynamoDb();
  server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const reply = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!verifySignature(request.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, raw, SECRET, new Date())) return reply(401, { error: 'bad signature' });
    const body = JSON.parse(raw.toString('utf8'));
    company.calls.push(request.url!);
    if (company.answerBadly) return reply(200, { records: [{ key: {}, name: 'Секрет Секретов' }] });
    if (request.url === '/crm/retention/expired') {
      // The service's own index: a page of keys and holds, never the records. Its cursor is the last key listed, a
      // position that stays right while the records before it are purged (an offset would skip records).
      const expired = [...company.customers.values()].filter((c) => c.lastInteraction < body.before && (!body.cursor || c.id > body.cursor)).sort((a, b) => a.id.localeCompare(b.id));
      const page = expired.slice(0, body.limit);
      return reply(200, { records: page.map((c) => ({ key: { customerId: c.id }, ...(c.hold && { hold: c.hold }) })), ...(expired.length > body.limit && { cursor: page.at(-1)!.id }) });
    }
    if (request.url === '/crm/retention/purge') {
      const customer = company.customers.get(body.key.customerId);
      if (company.purgeIds.has(body.purgeId) || !customer || customer.hold || customer.lastInteraction >= body.before) return reply(200, { status: 'not_purged' });
      company.purgeIds.add(body.purgeId);
      company.customers.delete(customer.id);
      company.purged.push({ key: body.key, erasure: body.erasure });
      return reply(200, { status: 'done' });
    }
    return reply(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm`;
}, 180_000);
afterAll(async () => {
  await ddb?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

const demoJson = () => JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as { sources: unknown[] } & Record<string, unknown>;

function profileWithService(): OperatorProfile {
  const demo = demoJson();
  return parseProfile(
    {
      ...demo,
      sources: [...demo.sources, { id: 'crm', kind: 'http', description: { ru: 'CRM', kk: 'CRM', en: 'CRM' }, categories: { ru: 'контакты', kk: 'байланыс', en: 'contacts' }, url, secretName: 'CRM_KEY' }],
      retentionSchedule: {
        sources: [{ source: 'crm', keepFor: { amount: 5, unit: 'years' }, from: 'lastInteraction', basis: { ru: 'Политика: 5 лет', kk: 'Саясат: 5 жыл', en: 'Policy: 5 years' } }],
        pagesPerRun: 1,
      },
    },
    'test profile',
  );
}

function deps(profile: OperatorProfile, now: Date) {
  const audit = new DynamoAuditLog(ddb.db, ddb.tables.audit, () => now);
  return {
    profile,
    deadlines: createDeadlineEngine({}, SHIPPED_RULES),
    retentionStates: new DynamoRetentionStates(ddb.db, ddb.tables.requests),
    audit,
    clock: { now: () => now },
    keyedHash: async (kind: string, value: string) => `${kind}:${value}`,
    mailer: { send: async () => 'sent' as const },
    retentionSourceFor: (source: DataSource): RetentionSource => {
      if (source.kind !== 'http') throw new Error('only the service is read here');
      return new HttpRetentionSource(source, async () => SECRET, audit);
    },
    // Its rule is never approved here, and no request was closed before the closed-date index: nothing to back-fill.
    ownRecords: { indexClosedPage: async () => ({ indexed: 0 }) } as Partial<OwnRecords> as OwnRecords,
  };
}

const purgedEvents = async () => (await new DynamoAuditLog(ddb.db, ddb.tables.audit).list('RETENTION#crm')).filter((e) => e.type === 'retention.purged');

describe("retention through the company's HTTP service", () => {
  it('counts from the service, keeps and names holds, and purges each expired record once, a page per run', async () => {
    for (let n = 1; n <= 150; n++) company.customers.set(`c${String(n).padStart(3, '0')}`, { id: `c${String(n).padStart(3, '0')}`, name: `Клиент ${n}`, lastInteraction: '2020-01-01' });
    company.customers.set('c900', { id: 'c900', name: 'Свежий', lastInteraction: '2025-06-01' });
    company.customers.get('c007')!.hold = 'Дело № 2-77/2026';
    const profile = profileWithService();

    const first = await planChunk(deps(profile, T0) as never, 'crm');
    expect(first).toMatchObject({ expired: 99, held: { 'Дело № 2-77/2026': 1 }, approved: false, cursor: 'c100' });
    const rest = await planChunk(deps(profile, T0) as never, 'crm', first.cursor);
    expect(rest).toMatchObject({ expired: 50, held: {} });
    expect(rest.cursor).toBeUndefined();
    expect(JSON.stringify([first, rest])).not.toContain('Клиент');

    expect((await purgeExpired(deps(profile, T0) as never)).awaitingApproval).toContain('crm');
    expect(company.purged).toEqual([]);
    await approveRule(deps(profile, T0) as never, 'crm', { expired: 149, held: { 'Дело № 2-77/2026': 1 } });

    // One page per run (pagesPerRun 1): the pass goes on over runs, from where it stopped.
    const runs = [];
    for (let run = 0; run < 3; run++) runs.push(await purgeExpired(deps(profile, new Date(T0.getTime() + run * 3_600_000)) as never));
    expect(runs.map((r) => r.purged)).toEqual([99, 50, 0]);
    expect(runs[1]!.passesFinished).toEqual(['crm']);
    expect(company.purged).toHaveLength(149);
    expect(company.purged.every((p) => p.erasure === 'delete')).toBe(true);
    expect([...company.customers.keys()].sort()).toEqual(['c007', 'c900']);
    const events = await purgedEvents();
    expect(events).toHaveLength(149);
    expect(new Set(events.map((e) => (e.detail as { record: string }).record)).size).toBe(149);
    expect(company.calls.every((path) => path.startsWith('/crm/retention/'))).toBe(true);
  });

  it('records nothing for a record the service did not purge (repeated, or changed since it was listed)', async () => {
    const profile = profileWithService();
    const source = deps(profile, T0).retentionSourceFor(profile.sources.find((s) => s.id === 'crm')!);
    company.customers.set('c500', { id: 'c500', name: 'Повтор', lastInteraction: '2019-01-01' });
    const event = { type: 'retention.purged' as const, detail: { source: 'crm', erasure: 'delete', cutoff: '2021-11-29', record: 'record:c500' } };
    const purge = { rule: profile.retentionSchedule.sources[0]!, record: { customerId: 'c500' }, at: T0, audit: { trail: 'RETENTION#crm', event } };
    const before = (await purgedEvents()).length;
    expect(await source.purge(purge)).toBe(true);
    expect(await source.purge(purge)).toBe(false); // the same purgeId again: a retried run
    company.customers.set('c501', { id: 'c501', name: 'Вернулся', lastInteraction: '2026-11-01' }); // came back since
    expect(await source.purge({ ...purge, record: { customerId: 'c501' }, audit: { ...purge.audit, event: { ...event, detail: { ...event.detail, record: 'record:c501' } } } })).toBe(false);
    expect((await purgedEvents()).length).toBe(before + 1);
  });

  it('records the purge it asks for before asking: a run that ends after the service erased still leaves it on the trail', async () => {
    const profile = profileWithService();
    const trail = new DynamoAuditLog(ddb.db, ddb.tables.audit, () => T0);
    // The run ends (a timeout, a crash) right after the service answered done, before the purge's own entry.
    const endsAfterTheAnswer: AuditLog = {
      list: (id) => trail.list(id),
      appendInboundMail: (id, event) => trail.appendInboundMail(id, event),
      appendOnce: (id, once, event) => trail.appendOnce(id, once, event),
      appendedOnce: (id, once) => trail.appendedOnce(id, once),
      append: async (id, event) => {
        if (event.type === 'retention.purged') throw new Error('the run ended after the service answered');
        await trail.append(id, event);
      },
    };
    const source = new HttpRetentionSource(profile.sources.find((s) => s.id === 'crm')! as never, async () => SECRET, endsAfterTheAnswer);
    company.customers.set('c700', { id: 'c700', name: 'Ушедший', lastInteraction: '2019-01-01' });
    const event = { type: 'retention.purged' as const, detail: { source: 'crm', erasure: 'delete', cutoff: '2021-11-29', record: 'record:c700' } };
    const purge = { rule: profile.retentionSchedule.sources[0]!, record: { customerId: 'c700' }, at: T0, audit: { trail: 'RETENTION#crm', event } };
    await expect(source.purge(purge)).rejects.toThrow(/ended after the service answered/);
    expect(company.customers.has('c700')).toBe(false);
    const asked = (await trail.list('RETENTION#crm')).filter((e) => e.type === 'retention.purge_requested').map((e) => e.detail);
    expect(asked).toContainEqual({ source: 'crm', record: 'record:c700', cutoff: '2021-11-29', purgeId: 'record:c700:2021-11-29' });
    // A repeat finds it purged under that purgeId: declined, recorded as such, nothing doubled.
    const repeat = new HttpRetentionSource(profile.sources.find((s) => s.id === 'crm')! as never, async () => SECRET, trail);
    expect(await repeat.purge(purge)).toBe(false);
    const entries = (await trail.list('RETENTION#crm')).filter((e) => JSON.stringify(e.detail).includes('record:c700'));
    expect(entries.map((e) => e.type).sort()).toEqual(['retention.purge_declined', 'retention.purge_requested', 'retention.purge_requested']);
  });

  it('names the source and the call when the service answers unexpectedly, and not what it answered', async () => {
    const profile = profileWithService();
    company.answerBadly = true;
    try {
      const failure = planChunk(deps(profile, T0) as never, 'crm');
      await expect(failure).rejects.toBeInstanceOf(DependencyError);
      await expect(failure).rejects.toThrow(/source crm: retention\/expired answered unexpectedly: records\.0\.key/);
      await expect(failure).rejects.not.toThrow(/Секрет/);
    } finally {
      company.answerBadly = false;
    }
  });

  it('refuses an S3 source or an index on the service in the profile, naming why', () => {
    const demo = demoJson();
    const withRule = (rule: Record<string, unknown>, source: Record<string, unknown>) => () =>
      parseProfile({ ...demo, sources: [...demo.sources, source], retentionSchedule: { sources: [{ keepFor: { amount: 1, unit: 'years' }, from: 'd', basis: { ru: 'a', kk: 'a', en: 'a' }, ...rule }] } }, 'p');
    expect(withRule({ source: 'files' }, { id: 'files', kind: 's3', description: { ru: 'a', kk: 'a', en: 'a' }, categories: { ru: 'a', kk: 'a', en: 'a' }, bucket: 'b', prefix: 'p/' })).toThrow(/S3 object \(no index/);
    expect(withRule({ source: 'crm', index: { name: 'i', partitionAttribute: 'p', partitionValue: 'v' } }, { id: 'crm', kind: 'http', description: { ru: 'a', kk: 'a', en: 'a' }, categories: { ru: 'a', kk: 'a', en: 'a' }, url: 'https://crm.example', secretName: 'K' })).toThrow(
      /finds expired records itself/,
    );
  });
});
