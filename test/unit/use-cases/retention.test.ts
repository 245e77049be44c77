import { describe, expect, it } from 'vitest';
import { ANONYMISED } from '../../../functions/adapters/sources/source-rules.ts';
import { ConflictError, NotFoundError } from '../../../functions/domain/errors.ts';
import { approveRule, holdRequest, planChunk, purgeExpired, retentionRules } from '../../../functions/use-cases/retention.ts';
import { afterRead, movesAfterRead, NOW, OPERATOR, placeRequest, systemFor } from '../../support/flow.ts';
import type { MemorySystem } from '../../support/memory-deps.ts';

const PROFILE = 'profiles/seeds/vnedrah.json';
/** Every rule of the profile keeps 5 years from lastInteraction: these are past it, and within it. */
const SIX_YEARS_AGO = '2020-01-10';
const LAST_YEAR = '2025-03-01';

function withRecords(adjust?: (json: Record<string, unknown>) => Record<string, unknown>): MemorySystem {
  const s = systemFor(PROFILE, adjust ? { adjust } : {});
  const records = (source: string) => s.sources.get(source)!.records;
  records('accounts').push(
    { email: 'old.one@mail.example', recordId: 'account', lastName: 'Старый', lastInteraction: SIX_YEARS_AGO },
    { email: 'old.held@mail.example', recordId: 'account', lastName: 'Спорный', lastInteraction: SIX_YEARS_AGO, legalHold: 'дело № 2-123/2025' },
  );
  records('messages').push({ email: 'old.one@mail.example', recordId: 'review-1', authorName: 'Старый', text: 'Отзыв', lastInteraction: SIX_YEARS_AGO });
  records('payments').push({ email: 'old.one@mail.example', recordId: 'pay-1', payerName: 'Старый', lastInteraction: SIX_YEARS_AGO });
  records('accounts').push({ email: 'recent@mail.example', recordId: 'account', lastName: 'Новый', lastInteraction: LAST_YEAR });
  return s;
}

const account = (s: MemorySystem, email: string) => s.sources.get('accounts')!.records.find((r) => r.email === email);
const trail = async (s: MemorySystem, source: string) => s.deps.audit.list(`RETENTION#${source}`);

describe('planChunk', () => {
  it('counts what would go and what a hold keeps, per hold, without a name or an address', async () => {
    const s = withRecords();
    const plan = await planChunk(s.deps, 'accounts');
    expect(plan).toMatchObject({ source: 'accounts', expired: 1, held: { 'дело № 2-123/2025': 1 }, approved: false, cutoff: '2021-02-10', erasure: 'delete' });
    expect(plan.cursor).toBeUndefined();
    expect(JSON.stringify(plan)).not.toMatch(/mail\.example|Старый|Спорный/);
    // A legal hold on the whole source keeps every record, named by its basis.
    const payments = await planChunk(s.deps, 'payments');
    expect(payments.expired).toBe(0);
    expect(Object.entries(payments.held)).toEqual([[expect.stringMatching(/^payment and settlement records are accounting documents/), 1]]);
    expect(account(s, 'old.one@mail.example')).toBeDefined();
  });

  it('names the rules there are when asked for a source without one', async () => {
    const s = withRecords();
    await expect(planChunk(s.deps, 'newsletter')).rejects.toThrow(new NotFoundError("no retention rule for source 'newsletter' (rules: accounts, messages, devices, payments, derbes-requests)"));
  });
});

describe('purgeExpired', () => {
  it('erases nothing under a rule not yet approved, and tells the operator once that it waits', async () => {
    const s = withRecords();
    const report = await purgeExpired(s.deps);
    expect(report).toEqual({ purged: 0, held: 0, indexed: 0, awaitingApproval: ['accounts', 'messages', 'devices', 'payments', 'derbes-requests'], passesFinished: [] });
    expect(account(s, 'old.one@mail.example')).toBeDefined();
    const subjects = s.mailer.sent.map((m) => m.subject);
    expect(subjects).toContain("derbes: the retention rule for 'accounts' awaits approval");
    expect(s.mailer.sent.every((m) => m.to === s.deps.profile.operator.contactEmail)).toBe(true);
    await purgeExpired(s.deps);
    expect(s.mailer.sent.map((m) => m.subject)).toEqual(subjects);
    expect((await trail(s, 'accounts')).map((e) => e.type)).toEqual(['retention.awaiting_approval']);
  });

  it('after approval deletes or anonymises what passed its term, keeps what a hold keeps and what is within it, and records each purge by a keyed hash', async () => {
    const s = withRecords();
    for (const source of ['accounts', 'messages', 'payments']) await approveRule(s.deps, source, await planChunk(s.deps, source));
    const report = await purgeExpired(s.deps);
    expect(report).toMatchObject({ purged: 2, held: 2, awaitingApproval: ['devices', 'derbes-requests'], passesFinished: ['accounts', 'messages', 'payments'] });
    expect(account(s, 'old.one@mail.example')).toBeUndefined();
    expect(account(s, 'old.held@mail.example')).toBeDefined();
    expect(account(s, 'recent@mail.example')).toBeDefined();
    const review = s.sources.get('messages')!.records.find((r) => r.recordId === 'review-1')!;
    expect(review).toMatchObject({ authorName: ANONYMISED, text: ANONYMISED, retentionAnonymisedAt: NOW.toISOString() });
    expect(s.sources.get('payments')!.records.find((r) => r.recordId === 'pay-1')).toMatchObject({ payerName: 'Старый' });
    const accounts = await trail(s, 'accounts');
    expect(accounts.map((e) => e.type)).toEqual(['retention.approved', 'retention.purged', 'retention.pass_finished']);
    expect(accounts[1]!.detail).toEqual({ source: 'accounts', erasure: 'delete', cutoff: '2021-02-10', record: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(accounts[2]!.detail).toMatchObject({ purged: 1, held: { 'дело № 2-123/2025': 1 } });
    expect(JSON.stringify(s.audit.events)).not.toContain('old.one@mail.example');
    // The next run finds nothing more to purge and records no second purge.
    expect(await purgeExpired(s.deps)).toMatchObject({ purged: 0 });
    expect((await trail(s, 'accounts')).filter((e) => e.type === 'retention.purged')).toHaveLength(1);
  });

  it('reads a few pages per run and continues the pass where the last run stopped', async () => {
    const s = withRecords((json) => ({ ...json, retentionSchedule: { ...(json.retentionSchedule as object), pagesPerRun: 1 } }));
    const many = Array.from({ length: 150 }, (_, i) => ({ email: `old${i}@mail.example`, recordId: 'account', lastInteraction: SIX_YEARS_AGO }));
    s.sources.get('accounts')!.records.push(...many);
    await approveRule(s.deps, 'accounts', { expired: 151, held: {} });
    expect(await purgeExpired(s.deps)).toMatchObject({ purged: 99, held: 1, passesFinished: [] });
    expect((await s.deps.retentionStates.get('accounts')).cursor).toBeDefined();
    expect(await purgeExpired(s.deps)).toMatchObject({ purged: 52, passesFinished: ['accounts'] });
    expect((await retentionRules(s.deps)).find((r) => r.source === 'accounts')).toMatchObject({ approved: true, approvedAt: NOW.toISOString(), lastPassFinishedAt: NOW.toISOString(), passInProgress: false });
  });

  it('leaves a rule to the run that holds it', async () => {
    const s = withRecords();
    await approveRule(s.deps, 'accounts', { expired: 1, held: {} });
    const lease = await s.deps.retentionStates.claim('accounts', NOW, new Date(NOW.getTime() + 60_000));
    expect(await purgeExpired(s.deps)).toMatchObject({ purged: 0, passesFinished: [] });
    expect(account(s, 'old.one@mail.example')).toBeDefined();
    await s.deps.retentionStates.release(lease!);
    expect(await purgeExpired(s.deps)).toMatchObject({ purged: 1 });
  });

  it('asks for approval again when the rule changes after it was approved', async () => {
    const s = withRecords();
    await approveRule(s.deps, 'accounts', { expired: 1, held: {} });
    const changed = systemFor(PROFILE, {
      adjust: (json) => {
        const schedule = json.retentionSchedule as { sources: Array<Record<string, unknown>> };
        return { ...json, retentionSchedule: { ...schedule, sources: schedule.sources.map((r) => (r.source === 'accounts' ? { ...r, keepFor: { amount: 3, unit: 'years' } } : r)) } };
      },
    });
    const deps = { ...s.deps, profile: changed.deps.profile };
    expect((await retentionRules(deps)).find((r) => r.source === 'accounts')).toMatchObject({ approved: false, keepFor: { amount: 3, unit: 'years' } });
    expect(await purgeExpired(deps)).toMatchObject({ purged: 0, awaitingApproval: expect.arrayContaining(['accounts']) });
    expect(account(s, 'old.one@mail.example')).toBeDefined();
  });
});

describe("derbes' own records", () => {
  /** A refused rectification, closed `closedAt`, with what a source returned for it. */
  async function closedRequest(s: MemorySystem, id: string, closedAt: string) {
    const request = {
      id,
      types: ['rectification' as const],
      status: 'REFUSED' as const,
      channel: 'web' as const,
      email: `${id.toLowerCase()}@mail.example`,
      name: 'Старый Клиент',
      language: 'ru' as const,
      receivedAt: closedAt,
      deadline: s.deps.deadlines.compute({ jurisdiction: 'KZ', requestType: 'rectification', receivedAt: new Date(closedAt) }),
      changes: { lastName: 'Новая' },
      decision: { approved: false, decidedAt: closedAt, reason: 'Нет документа', basis: { text: 'Наше основание' } },
      closedAt,
    };
    await s.deps.requests.create(request, { type: 'request.received', detail: { channel: 'web', types: ['rectification'], dueAt: request.deadline.dueAt, ruleId: request.deadline.rule.id } });
    await s.deps.requests.putSourceResult(id, { sourceId: 'accounts', records: [{ email: request.email, lastName: 'Старый' }], outcomes: { access: { status: 'done', affected: 1 } }, attempts: 1 });
  }

  it('anonymises a request closed longer ago than the term once approved, keeps a younger one and one under a hold', async () => {
    const s = withRecords();
    await closedRequest(s, 'DRB-AAAAA-00001', '2022-01-10T10:00:00.000Z'); // 4 years before NOW: past 3 years
    await closedRequest(s, 'DRB-AAAAA-00002', '2024-06-10T10:00:00.000Z'); // within
    await closedRequest(s, 'DRB-AAAAA-00003', '2021-05-10T10:00:00.000Z');
    await s.deps.requests.amend('DRB-AAAAA-00003', 'REFUSED', { legalHold: 'дело № 2-9/2026' }, []);
    const plan = await planChunk(s.deps, 'derbes-requests');
    expect(plan).toMatchObject({ expired: 1, held: { 'дело № 2-9/2026': 1 }, erasure: 'anonymise', keepFor: { amount: 3, unit: 'years' } });
    expect(JSON.stringify(plan)).not.toMatch(/mail\.example|Старый/);
    await approveRule(s.deps, 'derbes-requests', plan);
    expect(await purgeExpired(s.deps)).toMatchObject({ purged: 1, passesFinished: expect.arrayContaining(['derbes-requests']) });
    const old = await s.deps.requests.get('DRB-AAAAA-00001');
    expect(old).toMatchObject({ email: '[erased]', changes: { lastName: '[erased]' }, decision: { reason: '[erased]' }, anonymised: { digest: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(old.name).toBeUndefined();
    expect(await s.deps.requests.listSourceResults('DRB-AAAAA-00001')).toEqual([]);
    expect(await s.deps.requests.get('DRB-AAAAA-00002')).toMatchObject({ name: 'Старый Клиент' });
    expect(await s.deps.requests.get('DRB-AAAAA-00003')).toMatchObject({ name: 'Старый Клиент' });
    expect((await s.deps.audit.list('DRB-AAAAA-00001')).map((e) => e.type)).toContain('retention.anonymised');
    expect(await purgeExpired(s.deps)).toMatchObject({ purged: 0 });
  });
});

describe('holdRequest', () => {
  it('holds a request the workflow moves to its next step between the operator\'s read and the write', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
    movesAfterRead(s, request.id, 'IN_PROGRESS');
    const held = await holdRequest(s.deps, request.id, { basis: 'Дело № 2-5/2026' }, OPERATOR);
    expect(held).toMatchObject({ status: 'IN_PROGRESS', legalHold: 'Дело № 2-5/2026' });
    expect(await s.deps.requests.get(request.id)).toMatchObject({ status: 'IN_PROGRESS', legalHold: 'Дело № 2-5/2026' });
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'retention.hold').map((e) => e.detail)).toEqual([{ held: true, basis: 'Дело № 2-5/2026', operator: OPERATOR }]);
  });

  it('refuses a request that closed and began to be anonymised between the read and the write, and holds nothing', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    afterRead(s, request.id, async () => {
      await s.deps.requests.transition(request.id, 'IN_PROGRESS', 'COMPLETED');
      await s.deps.requests.amend(request.id, 'COMPLETED', { anonymising: { digest: 'digest', sourceResults: 0 } }, []);
    });
    await expect(holdRequest(s.deps, request.id, { basis: 'Дело № 2-5/2026' }, OPERATOR)).rejects.toThrow(
      new ConflictError(`request ${request.id} is being anonymised (its term has passed and its raw mail and results are being removed); it can no longer be held`),
    );
    expect((await s.deps.requests.get(request.id)).legalHold).toBeUndefined();
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'retention.hold')).toEqual([]);
  });
});
