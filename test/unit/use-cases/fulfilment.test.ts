import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../functions/domain/errors.ts';
import { applyToSource, notifyProcessors, plannedSources, sourceSteps } from '../../../functions/use-cases/fulfilment.ts';
import { BLOCKED_ATTRIBUTE } from '../../../functions/use-cases/ports.ts';
import { mailsTo, operatorMails, placeRequest, systemFor } from '../../support/flow.ts';

const VNEDRAH = 'profiles/seeds/vnedrah.json';
const NURLAN = 'nurlan.abenov@mail.example';
const ARMAN = 'arman.zhaksybekov@mail.example';

describe('sourceSteps', () => {
  it('reads first, then changes, blocks, and destroys last', () => {
    const { deps } = systemFor(VNEDRAH);
    const accounts = deps.profile.sources.find((s) => s.id === 'accounts')!;
    expect(sourceSteps(deps.profile, accounts, ['erasure', 'blocking', 'access', 'rectification'])).toEqual(['access', 'rectification', 'blocking', 'erasure']);
  });

  it('lets a withdrawal destroy where the profile says so, once where erasure was asked too', () => {
    const { deps } = systemFor(VNEDRAH);
    const accounts = deps.profile.sources.find((s) => s.id === 'accounts')!;
    expect(sourceSteps(deps.profile, accounts, ['consent_withdrawal'])).toEqual(['consent_withdrawal']);
    expect(sourceSteps(deps.profile, accounts, ['consent_withdrawal', 'erasure'])).toEqual(['erasure']);
  });

  it('takes a person off a mailing list only, and marks consent flags on records that stay', () => {
    const { deps } = systemFor('profiles/seeds/4sell.json');
    const [users, mailing] = deps.profile.sources;
    expect(sourceSteps(deps.profile, mailing!, ['marketing_opt_out'])).toEqual(['marketing_opt_out']);
    expect(sourceSteps(deps.profile, users!, ['marketing_opt_out'])).toEqual([]);
    expect(plannedSources(deps.profile, ['marketing_opt_out']).map((s) => s.id)).toEqual(['mailing']);
    // The demo's only source keeps its records on an opt-out: the consent flag is set to false there.
    const demo = systemFor('profiles/demo.json').deps.profile;
    expect(sourceSteps(demo, demo.sources[0]!, ['marketing_opt_out'])).toEqual(['consent_flags']);
  });
});

describe('applyToSource', () => {
  it('reads the person\'s records (and nobody else\'s) for an access request, and records the outcome', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['access'], { email: NURLAN });
    expect(await applyToSource(s.deps, request.id, 'accounts')).toEqual({ sourceId: 'accounts', outcomes: { access: 'done: 1' } });
    const [result] = await s.deps.requests.listSourceResults(request.id);
    expect(result!.records.map((r) => r.email)).toEqual([NURLAN]);
    const applied = (await s.deps.audit.list(request.id)).find((e) => e.type === 'source.applied');
    expect(applied!.detail).toEqual({ sourceId: 'accounts', attempt: 1, outcomes: { access: 'done: 1' } });
  });

  it('deletes, anonymises or keeps under a legal hold, as each source says', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['erasure'], { email: NURLAN });
    for (const id of ['accounts', 'payments', 'messages']) await applyToSource(s.deps, request.id, id);
    expect(s.sources.get('accounts')!.records.some((r) => r.email === NURLAN)).toBe(false);
    expect(s.sources.get('accounts')!.records).toHaveLength(1);
    const messages = s.sources.get('messages')!.records.filter((r) => r.recordId && r.email !== 'gulnara.tokhtarova@mail.example');
    expect(messages.every((r) => r.email !== NURLAN && r.authorName !== undefined && r.text !== undefined)).toBe(true);
    expect(s.sources.get('payments')!.records.filter((r) => r.email === NURLAN)).toHaveLength(2);
    const results = await s.deps.requests.listSourceResults(request.id);
    expect(results.find((r) => r.sourceId === 'payments')!.outcomes.erasure).toMatchObject({ status: 'kept' });
    expect(results.find((r) => r.sourceId === 'accounts')!.outcomes.erasure).toEqual({ status: 'done', affected: 1 });
  });

  it('blocks by marking every record of the person, with the time', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['blocking'], { email: NURLAN });
    await applyToSource(s.deps, request.id, 'payments');
    const records = s.sources.get('payments')!.records.filter((r) => r.email === NURLAN);
    expect(records.map((r) => [r[BLOCKED_ATTRIBUTE], r[`${BLOCKED_ATTRIBUTE}At`]])).toEqual([
      [true, '2026-02-10T05:15:00.000Z'],
      [true, '2026-02-10T05:15:00.000Z'],
    ]);
  });

  it('changes only the personal fields the source lists, and only where a record holds them', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['rectification'], { email: NURLAN, changes: { phone: '+7 701 555 00 11', recordId: 'stolen', nickname: 'x' } });
    await applyToSource(s.deps, request.id, 'accounts');
    const [record] = s.sources.get('accounts')!.records.filter((r) => r.email === NURLAN);
    expect(record!.phone).toBe('+7 701 555 00 11');
    expect(record!.recordId).not.toBe('stolen');
    expect(record).not.toHaveProperty('nickname');
  });

  it('on a retry, skips what an earlier attempt finished and counts what it destroyed', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['access', 'erasure'], { email: NURLAN });
    const devices = s.sources.get('devices')!;
    // The first attempt read and then destroyed, but its answer was lost: the step has only its count.
    await s.deps.requests.putSourceResult(request.id, { sourceId: 'devices', records: [{ email: NURLAN }], outcomes: { access: { status: 'done', affected: 1 } }, started: { erasure: 1 }, attempts: 1 });
    devices.records.length = 0;
    expect(await applyToSource(s.deps, request.id, 'devices')).toEqual({ sourceId: 'devices', outcomes: { access: 'done: 1', erasure: 'done: 1' } });
    const [result] = await s.deps.requests.listSourceResults(request.id);
    expect(result).toMatchObject({ attempts: 2, records: [{ email: NURLAN }] });
  });

  it('refuses a source the profile does not have', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['access'], { email: NURLAN });
    await expect(applyToSource(s.deps, request.id, 'nowhere')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('notifyProcessors', () => {
  it('tells each processor of the types it is told of, in its language, and records every delivery', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await placeRequest(s, ['marketing_opt_out', 'unblocking'], { email: NURLAN });
    expect(await notifyProcessors(s.deps, request.id)).toEqual({ notified: 4, failed: 0 });
    // A processor's own language where the profile gives one, the profile's default otherwise.
    expect(mailsTo(s, 'privacy@delivery.example').map((m) => m.subject)).toEqual([`[${request.id}] Запрос субъекта персональных данных: разблокирование`]);
    expect(mailsTo(s, 'privacy@ad-partners.example').map((m) => m.subject)).toEqual([`[${request.id}] Data subject request: marketing opt-out`]);
    expect(mailsTo(s, 'privacy@ad-partners.example')[0]!.text).toContain(NURLAN);
    const notified = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'processor.notified').map((e) => e.detail);
    expect(notified).toEqual([
      { processorId: 'payment-provider', noticeType: 'unblocking', channel: 'email', delivered: true, attempts: 1 },
      { processorId: 'delivery', noticeType: 'unblocking', channel: 'email', delivered: true, attempts: 1 },
      // A webhook notice's signature header is kept: the processor's copy can be matched against it.
      { processorId: 'sellers', noticeType: 'unblocking', channel: 'webhook', delivered: true, attempts: 1, signature: expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/) },
      { processorId: 'ad-partners', noticeType: 'marketing_opt_out', channel: 'email', delivered: true, attempts: 1 },
    ]);
    expect(operatorMails(s)).toEqual([]);
  });

  it('leaves a notice it could not deliver to the operator as open work, with one alert naming them all', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'fails' });
    s.mailer.refused.add('privacy@delivery.example');
    const request = await placeRequest(s, ['blocking'], { email: NURLAN });
    expect(await notifyProcessors(s.deps, request.id)).toEqual({ notified: 2, failed: 2 });
    expect((await s.openWork.list()).map((item) => item.id).sort()).toEqual(['processor:delivery:blocking', 'processor:sellers:blocking']);
    const [alert, ...more] = operatorMails(s);
    expect(more).toEqual([]);
    expect(alert!.text).toContain(`npx derbes requests done ${request.id} processor:delivery:blocking`);
    expect(alert!.text).toContain(`npx derbes requests done ${request.id} processor:sellers:blocking`);
    // Run again (the answer that follows it in the same step was retried): nobody is told twice, nothing recorded twice,
    // and what could not be delivered stays open work.
    const sent = s.mailer.sent.length;
    expect(await notifyProcessors(s.deps, request.id)).toEqual({ notified: 2, failed: 2 });
    expect(s.mailer.sent.slice(sent).filter((m) => !m.to.includes(s.deps.profile.operator.contactEmail))).toEqual([]);
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'processor.notified')).toHaveLength(4);
    expect((await s.openWork.list()).map((item) => item.id).sort()).toEqual(['processor:delivery:blocking', 'processor:sellers:blocking']);
  });

  it('tells nobody of an access request', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['access'], { email: NURLAN });
    expect(await notifyProcessors(s.deps, request.id)).toEqual({ notified: 0, failed: 0 });
    expect(s.mailer.sent).toEqual([]);
  });

  it('asks nothing of a profile without processors', async () => {
    const s = systemFor('profiles/seeds/4sell.json');
    const request = await placeRequest(s, ['erasure'], { email: ARMAN });
    expect(await notifyProcessors(s.deps, request.id)).toEqual({ notified: 0, failed: 0 });
  });
});
