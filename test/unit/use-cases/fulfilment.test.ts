import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { ProcessorNotifier } from '../../../functions/adapters/processors/processor-notifier.ts';
import { NotFoundError } from '../../../functions/domain/errors.ts';
import { operatorCall } from '../../../functions/handlers/http/operator-routes.ts';
import { notifyAndAnswer } from '../../../functions/use-cases/answer.ts';
import { AFTER_NOTICES_MS, applyToSource, notifyProcessors } from '../../../functions/use-cases/fulfilment.ts';
import { plannedSources } from '../../../functions/use-cases/fulfilment-plan.ts';
import { BLOCKED_ATTRIBUTE } from '../../../functions/use-cases/ports.ts';
import { aMinuteOn, mailsTo, NOW, OPERATOR, operatorMails, placeRequest, runToAnswer, systemFor } from '../../support/flow.ts';

const VNEDRAH = 'profiles/seeds/vnedrah.json';
const NURLAN = 'nurlan.abenov@mail.example';
const ARMAN = 'arman.zhaksybekov@mail.example';
const NOBODY = 'nobody.here@mail.example';

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

  it('keeps the records for a confirmed access request of the same person before an erasure destroys them', async () => {
    const s = systemFor(VNEDRAH);
    const access = await placeRequest(s, ['access'], { email: NURLAN, language: 'ru' });
    const unconfirmed = await placeRequest(s, ['access'], { email: NURLAN, status: 'AWAITING_VERIFICATION' });
    const someoneElse = await placeRequest(s, ['access'], { email: ARMAN });
    const erasure = await placeRequest(s, ['erasure'], { email: NURLAN });
    // Confirmed together, the two run side by side: here the erasure reaches the source first.
    await applyToSource(s.deps, erasure.id, 'accounts');
    expect(s.sources.get('accounts')!.records.some((r) => r.email === NURLAN)).toBe(false);
    expect(await applyToSource(s.deps, access.id, 'accounts')).toEqual({ sourceId: 'accounts', outcomes: { access: 'done: 1' } });
    const [kept] = await s.deps.requests.listSourceResults(access.id);
    expect(kept).toMatchObject({ readBefore: erasure.id, records: [{ email: NURLAN }] });
    // Nothing for a request the person has not confirmed (it may be a stranger's), nor for another person's.
    expect(await s.deps.requests.listSourceResults(unconfirmed.id)).toEqual([]);
    expect(await s.deps.requests.listSourceResults(someoneElse.id)).toEqual([]);

    await notifyAndAnswer(s.deps, access.id, aMinuteOn(s), plannedSources(s.deps.profile, access).map((source) => source.id));
    const [answer] = mailsTo(s, NURLAN).filter((mail) => mail.subject.includes(access.id));
    expect(answer!.text).toContain(`Так эти данные хранились перед тем, как мы удалили их по вашему запросу ${erasure.id}.`);
    expect(answer!.text).toContain(NURLAN);
  });

  it('keeps saying the records were read before the erasure when the access request has steps after the read', async () => {
    const s = systemFor(VNEDRAH);
    const access = await placeRequest(s, ['access', 'blocking'], { email: NURLAN });
    const erasure = await placeRequest(s, ['erasure'], { email: NURLAN });
    await applyToSource(s.deps, erasure.id, 'accounts');
    await applyToSource(s.deps, access.id, 'accounts');
    const [kept] = await s.deps.requests.listSourceResults(access.id);
    expect(kept).toMatchObject({ readBefore: erasure.id, records: [{ email: NURLAN }], outcomes: { access: { status: 'done', affected: 1 } } });
  });

  it('keeps an access request\'s own read when it came first, and the erasure\'s read loses', async () => {
    const s = systemFor(VNEDRAH);
    const access = await placeRequest(s, ['access'], { email: NURLAN });
    const erasure = await placeRequest(s, ['erasure'], { email: NURLAN });
    await applyToSource(s.deps, access.id, 'accounts');
    await applyToSource(s.deps, erasure.id, 'accounts');
    const [own] = await s.deps.requests.listSourceResults(access.id);
    expect(own).toMatchObject({ attempts: 1, records: [{ email: NURLAN }] });
    expect(own).not.toHaveProperty('readBefore');
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
    expect(await notifyProcessors(s.deps, await s.deps.requests.get(request.id), aMinuteOn(s))).toEqual({ notified: 4, failed: 0 });
    // A processor's own language where the profile gives one, the profile's default otherwise.
    expect(mailsTo(s, 'privacy@delivery.example').map((m) => m.subject)).toEqual([`[${request.id}] Запрос субъекта персональных данных: разблокирование`]);
    expect(mailsTo(s, 'privacy@ad-partners.example').map((m) => m.subject)).toEqual([`[${request.id}] Data subject request: marketing opt-out`]);
    expect(mailsTo(s, 'privacy@ad-partners.example')[0]!.text).toContain(NURLAN);
    // The notices go out side by side: the trail has them in the order they were delivered.
    const notified = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'processor.notified').map((e) => e.detail);
    expect(notified.sort((a, b) => a.processorId.localeCompare(b.processorId))).toEqual([
      { processorId: 'ad-partners', noticeType: 'marketing_opt_out', channel: 'email', delivered: true, attempts: 1 },
      { processorId: 'delivery', noticeType: 'unblocking', channel: 'email', delivered: true, attempts: 1 },
      { processorId: 'payment-provider', noticeType: 'unblocking', channel: 'email', delivered: true, attempts: 1 },
      // A webhook notice's signature header is kept: the processor's copy can be matched against it.
      { processorId: 'sellers', noticeType: 'unblocking', channel: 'webhook', delivered: true, attempts: 1, signature: expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/) },
    ]);
    expect(operatorMails(s)).toEqual([]);
  });

  it('leaves a notice it could not deliver to the operator as open work, with one alert naming them all', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'fails' });
    s.mailer.refused.add('privacy@delivery.example');
    const request = await placeRequest(s, ['blocking'], { email: NURLAN });
    expect(await notifyProcessors(s.deps, await s.deps.requests.get(request.id), aMinuteOn(s))).toEqual({ notified: 2, failed: 2 });
    expect((await s.openWork.list()).map((item) => item.id).sort()).toEqual(['processor:delivery:blocking', 'processor:sellers:blocking']);
    const [alert, ...more] = operatorMails(s);
    expect(more).toEqual([]);
    expect(alert!.text).toContain(`npx derbes requests done ${request.id} processor:delivery:blocking`);
    expect(alert!.text).toContain(`npx derbes requests done ${request.id} processor:sellers:blocking`);
    // Run again (the answer that follows it in the same step was retried): nobody told is told again, those not told
    // are tried again, what could not be delivered stays open work, and the operator is not alerted twice.
    const sent = s.mailer.sent.length;
    expect(await notifyProcessors(s.deps, await s.deps.requests.get(request.id), aMinuteOn(s))).toEqual({ notified: 2, failed: 2 });
    expect(s.mailer.sent.slice(sent)).toEqual([]);
    const notified = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'processor.notified').map((e) => `${e.detail.processorId}:${e.detail.delivered}`);
    expect(notified.slice(4).sort()).toEqual(['delivery:false', 'sellers:false']);
    expect((await s.openWork.list()).map((item) => item.id).sort()).toEqual(['processor:delivery:blocking', 'processor:sellers:blocking']);
  });

  it('tells of a correction only where it changed our records: one that changed nothing is told to nobody', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const address = 'г. Сатпаев, ул. Абая, 7, кв. 3';
    const corrected = await placeRequest(s, ['rectification'], { email: NURLAN, changes: { address } });
    await runToAnswer(s, corrected.id);
    expect(mailsTo(s, 'privacy@delivery.example').map((m) => m.text)).toEqual([expect.stringContaining('Персональные данные этого субъекта изменены. Запросите у нас актуальные сведения')]);
    // The same correction of someone no source holds: nothing changed, nothing to tell.
    s.mailer.sent.length = 0;
    const request = await placeRequest(s, ['rectification'], { email: NOBODY, changes: { address } });
    const answer = await runToAnswer(s, request.id);
    expect(answer).toContain('There was nothing to correct');
    expect(answer).not.toContain('We have told');
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'processor.notified')).toEqual([]);
    expect(s.mailer.sent.filter((m) => m.to !== NOBODY)).toEqual([]);
  });

  it('tells of a withdrawal of someone our records hold nothing of, and says that our records held nothing', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const nobody = await placeRequest(s, ['access', 'consent_withdrawal', 'marketing_opt_out'], { email: NOBODY });
    await runToAnswer(s, nobody.id);
    const [notice, ...more] = mailsTo(s, 'privacy@delivery.example');
    expect(more).toEqual([]);
    expect(notice!.text).toContain(
      'Субъект отозвал согласие. Просим прекратить обработку его персональных данных, основанную на этом согласии.\n\n' +
        'В наших собственных системах по этому запросу делать было нечего: данных, которых он касается, у нас нет. Сообщаем вам, потому что такие данные могут быть у вас — например, если вы получили их от нас раньше.',
    );
    // In the processor's own language (the profile's default where it gives none), for each type it is told of.
    const partners = mailsTo(s, 'privacy@ad-partners.example').map((m) => m.text);
    expect(partners).toHaveLength(2);
    for (const text of partners) expect(text).toContain('There was nothing to do for this request in our own systems: we hold none of the data it concerns.');
    // Someone whose records the withdrawal destroyed: the processor hears the demand alone.
    s.mailer.sent.length = 0;
    const nurlan = await placeRequest(s, ['consent_withdrawal'], { email: NURLAN });
    await runToAnswer(s, nurlan.id);
    expect(mailsTo(s, 'privacy@delivery.example')[0]!.text).toContain('Субъект отозвал согласие.');
    expect(mailsTo(s, 'privacy@delivery.example')[0]!.text).not.toContain('В наших собственных системах');
  });

  it('tells nobody of an access request', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['access'], { email: NURLAN });
    expect(await notifyProcessors(s.deps, await s.deps.requests.get(request.id), aMinuteOn(s))).toEqual({ notified: 0, failed: 0 });
    expect(s.mailer.sent).toEqual([]);
  });

  it('asks nothing of a profile without processors', async () => {
    const s = systemFor('profiles/seeds/4sell.json');
    const request = await placeRequest(s, ['erasure'], { email: ARMAN });
    expect(await notifyProcessors(s.deps, await s.deps.requests.get(request.id), aMinuteOn(s))).toEqual({ notified: 0, failed: 0 });
  });
});

/** A blocking request whose sources are done: what is left is the Answer step. */
async function blockedInSources(s: ReturnType<typeof systemFor>, options: Parameters<typeof placeRequest>[2] = {}) {
  const request = await placeRequest(s, ['blocking'], { email: NURLAN, ...options });
  for (const source of plannedSources(s.deps.profile, request)) await applyToSource(s.deps, request.id, source.id);
  return request;
}

/** A webhook endpoint on loopback that takes every request and never answers it; `requests` counts them. */
async function hangingEndpoint(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = createServer(() => void requests++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/opendsr/requests`,
    requests: () => requests,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Vnedrah with every processor told by webhook at `url`, notices sent as deployed (real retries, the real clock). */
function withWebhooksAt(url: string) {
  const s = systemFor(VNEDRAH, {
    adjust: (json) => ({ ...json, processors: (json.processors as Array<Record<string, unknown>>).slice(0, 3).map((p) => ({ ...p, notify: { kind: 'webhook', url, secretName: 'PROCESSOR_KEY' } })) }),
  });
  const deps = { ...s.deps, processorNotifier: new ProcessorNotifier(s.mailer, async () => 'a-processor-signing-key-of-32-bytes!', 'vnedrah.kz'), clock: { now: () => new Date() } };
  return { s, deps };
}

describe('the Answer step', () => {
  const PROCESSORS_TOLD_OF_BLOCKING = ['Payment service provider (not named in the policy)', 'Delivery service (not named in the policy)', 'Sellers and suppliers on vnedrah.com (end performers)'];

  it('answers the person in time though no processor answers, naming those not told; nothing goes twice on a re-run', async () => {
    const endpoint = await hangingEndpoint();
    try {
      const { s, deps } = withWebhooksAt(endpoint.url);
      const request = await blockedInSources(s);
      // An invocation with a second and a half for the notices beyond what the answer keeps.
      await notifyAndAnswer(deps, request.id, new Date(Date.now() + AFTER_NOTICES_MS + 1_500));
      // Three notices, each tried once within the time it had (the retries that would not fit were not started).
      expect(endpoint.requests()).toBe(3);
      const [answer, ...more] = mailsTo(s, NURLAN);
      expect(more).toEqual([]);
      expect(answer!.text).toContain(`We could not yet tell: ${PROCESSORS_TOLD_OF_BLOCKING.join(', ')}. The person responsible knows and will tell them.`);
      expect(answer!.text).not.toContain('We have told');
      const [alert, ...alerts] = operatorMails(s);
      expect(alerts).toEqual([]);
      for (const id of ['payment-provider', 'delivery', 'sellers']) expect(alert!.text).toContain(`npx derbes requests done ${request.id} processor:${id}:blocking`);
      expect((await s.openWork.list()).map((item) => item.id).sort()).toEqual(['processor:delivery:blocking', 'processor:payment-provider:blocking', 'processor:sellers:blocking']);
      expect((await s.deps.requests.get(request.id)).status).toBe('COMPLETED');
      // The step runs again (Lambda delivered the invocation twice): the person is answered, so nothing is sent.
      const trail = (await s.deps.audit.list(request.id)).length;
      await notifyAndAnswer(deps, request.id, new Date(Date.now() + 60_000));
      expect(endpoint.requests()).toBe(3);
      expect(s.mailer.sent).toHaveLength(2);
      expect(await s.deps.audit.list(request.id)).toHaveLength(trail);
    } finally {
      await endpoint.close();
    }
  });

  it('records a notice with no time left to try as not delivered, without trying it, and still answers', async () => {
    const endpoint = await hangingEndpoint();
    try {
      const { s, deps } = withWebhooksAt(endpoint.url);
      const request = await blockedInSources(s, { language: 'ru' });
      await notifyAndAnswer(deps, request.id, new Date(Date.now() + AFTER_NOTICES_MS));
      expect(endpoint.requests()).toBe(0);
      const notified = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'processor.notified').map((e) => e.detail);
      expect(notified).toHaveLength(3);
      expect(notified.every((notice) => !notice.delivered && notice.attempts === 0)).toBe(true);
      expect(mailsTo(s, NURLAN)[0]!.text).toContain('Пока не удалось уведомить: Платёжный сервис (в политике не назван), Служба доставки (в политике не названа), Продавцы и поставщики на vnedrah.com (конечные исполнители). Ответственное лицо знает об этом и уведомит их.');
      expect(operatorMails(s)).toHaveLength(1);
    } finally {
      await endpoint.close();
    }
  });
});

describe('a notice on a re-run of the Answer step', () => {
  const DELIVERY = 'privacy@delivery.example';
  const told = async (s: ReturnType<typeof systemFor>, id: string) =>
    (await s.deps.audit.list(id)).filter((e) => e.type === 'processor.notified').map((e) => `${e.detail.processorId}:${e.detail.delivered}`);

  /** A blocking request whose first Answer run could not deliver the notice to Delivery, then failed to mail the person. */
  async function firstRunFailed() {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await blockedInSources(s);
    s.mailer.refused.add(DELIVERY).add(NURLAN);
    await expect(notifyAndAnswer(s.deps, request.id, aMinuteOn(s))).rejects.toThrow('mail delivery failed');
    s.mailer.refused.delete(NURLAN);
    expect(operatorMails(s)).toHaveLength(1);
    expect((await s.openWork.list()).map((item) => item.id)).toEqual(['processor:delivery:blocking']);
    return { s, request };
  }

  it('is tried again when it was not delivered, and its follow-up closes once it gets through', async () => {
    const { s, request } = await firstRunFailed();
    s.mailer.refused.delete(DELIVERY);
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    expect(mailsTo(s, DELIVERY)).toHaveLength(1);
    expect((await told(s, request.id)).filter((notice) => notice.startsWith('delivery:'))).toEqual(['delivery:false', 'delivery:true']);
    expect(await s.openWork.list()).toEqual([]);
    const answer = mailsTo(s, NURLAN)[0]!.text;
    expect(answer).toContain('Delivery service (not named in the policy)');
    expect(answer).not.toContain('We could not yet tell');
    expect(operatorMails(s)).toHaveLength(1);
  });

  it('keeps its follow-up open since its first failure, without a second alert, when it fails again', async () => {
    const { s, request } = await firstRunFailed();
    const firstFailure = s.deps.clock.now().toISOString();
    s.setNow(new Date(s.deps.clock.now().getTime() + 3_600_000));
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    expect(await s.openWork.list()).toEqual([expect.objectContaining({ id: 'processor:delivery:blocking', since: firstFailure })]);
    expect(operatorMails(s)).toHaveLength(1);
    expect(mailsTo(s, NURLAN)[0]!.text).toContain('We could not yet tell: Delivery service (not named in the policy).');
  });

  it('is neither sent nor reopened once the operator marked it done, and the answer counts it told', async () => {
    const { s, request } = await firstRunFailed();
    // The operator told Delivery by hand and marked it done (POST /operator/requests/{reference}/open-work).
    await s.openWork.remove(request.id, 'processor:delivery:blocking');
    await s.deps.audit.append(request.id, { type: 'open-work.done', detail: { id: 'processor:delivery:blocking', operator: OPERATOR } });
    const notices = (await told(s, request.id)).length;
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    expect(await told(s, request.id)).toHaveLength(notices);
    expect(await s.openWork.list()).toEqual([]);
    expect(operatorMails(s)).toHaveLength(1);
    const answer = mailsTo(s, NURLAN)[0]!.text;
    expect(answer).toContain('Delivery service (not named in the policy)');
    expect(answer).not.toContain('We could not yet tell');
  });

  /** An earlier version of the step recorded Sellers' notice twice, `deliveries` in turn; then the step runs. */
  async function sellersRecorded(deliveries: boolean[]) {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await blockedInSources(s);
    for (const delivered of deliveries) {
      await s.deps.audit.append(request.id, { type: 'processor.notified', detail: { processorId: 'sellers', noticeType: 'blocking', channel: 'webhook', delivered, attempts: 3 } });
    }
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    expect(mailsTo(s, NURLAN)[0]!.text).not.toContain('We could not yet tell');
    return { s, sellers: (await told(s, request.id)).filter((notice) => notice.startsWith('sellers:')) };
  }

  it('stands as its last recorded delivery: delivered after a failure is not sent, opened or alerted again', async () => {
    const { s, sellers } = await sellersRecorded([false, true]);
    expect(sellers).toEqual(['sellers:false', 'sellers:true']);
    expect(await s.openWork.list()).toEqual([]);
    expect(operatorMails(s)).toEqual([]);
  });

  it('names by its id in the answer a processor told before the profile stopped listing it', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await blockedInSources(s);
    await s.deps.audit.append(request.id, { type: 'processor.notified', detail: { processorId: 'old-partner', noticeType: 'blocking', channel: 'email', delivered: true, attempts: 1 } });
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    expect(mailsTo(s, NURLAN)[0]!.text).toMatch(/We have told those who process your data for us or have received it from us: .*, old-partner\./);
  });

  /** The notices each processor received, by its id: every call of the notifier that delivered. */
  function noticesReceived(s: ReturnType<typeof systemFor>) {
    const received = new Map<string, number>();
    const notify = s.deps.processorNotifier.notify.bind(s.deps.processorNotifier);
    vi.spyOn(s.deps.processorNotifier, 'notify').mockImplementation(async (processor, ...rest) => {
      const delivery = await notify(processor, ...rest);
      if (delivery.delivered) received.set(processor.id, (received.get(processor.id) ?? 0) + 1);
      return delivery;
    });
    return received;
  }

  /** `port[method]` fails once, on the first call `when` picks, as a throttled table would; later calls go through. */
  function failsOnce<P extends object, M extends keyof P>(port: P, method: M, when: (...args: never[]) => boolean = () => true) {
    const original = (port[method] as (...args: unknown[]) => Promise<unknown>).bind(port);
    let failed = false;
    vi.spyOn(port, method as never).mockImplementation((async (...args: never[]) => {
      if (!failed && when(...args)) {
        failed = true;
        throw new Error(`${String(method)} throttled`);
      }
      return original(...args);
    }) as never);
  }

  /** The operator marks a follow-up done through the console's route. */
  const markDone = (s: ReturnType<typeof systemFor>, requestId: string, done: string) =>
    operatorCall(s.deps, 'POST /operator/requests/{reference}/open-work', { pathParameters: { reference: requestId }, body: JSON.stringify({ done }) } as unknown as APIGatewayProxyEventV2, OPERATOR);

  it('alerts the operator on the run after an alert that could not be sent, once', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await blockedInSources(s);
    s.mailer.refused.add(DELIVERY).add(s.deps.profile.operator.contactEmail);
    await expect(notifyAndAnswer(s.deps, request.id, aMinuteOn(s))).rejects.toThrow('mail delivery failed');
    s.mailer.refused.delete(s.deps.profile.operator.contactEmail);
    // Retried: Delivery fails again, and the alert the first run owed goes out now; once more, and nothing more.
    s.setNow(new Date(s.deps.clock.now().getTime() + 60_000));
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    const [alert, ...more] = operatorMails(s);
    expect(more).toEqual([]);
    expect(alert!.text).toContain('Delivery service (not named in the policy)');
    expect(alert!.text).toContain(`npx derbes requests done ${request.id} processor:delivery:blocking`);
    expect(await s.openWork.list()).toEqual([expect.objectContaining({ id: 'processor:delivery:blocking', since: NOW.toISOString() })]);
    expect(mailsTo(s, NURLAN)).toHaveLength(1);
  });

  it('is not sent again when the record of another failed: each delivery is recorded on its own', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await blockedInSources(s);
    const received = noticesReceived(s);
    failsOnce(s.deps.audit, 'append', (_id: string, event: { type: string; detail: { processorId?: string } }) => event.type === 'processor.notified' && event.detail.processorId === 'delivery');
    await expect(notifyAndAnswer(s.deps, request.id, aMinuteOn(s))).rejects.toThrow('append throttled');
    expect((await told(s, request.id)).sort()).toEqual(['ad-partners:true', 'payment-provider:true', 'sellers:true']);
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    // Delivery's first delivery went unrecorded, so it is told again (it tells a repeat by the request id and type).
    expect(Object.fromEntries(received)).toEqual({ 'ad-partners': 1, 'payment-provider': 1, sellers: 1, delivery: 2 });
    expect(await s.openWork.list()).toEqual([]);
    expect(operatorMails(s)).toEqual([]);
    expect(mailsTo(s, NURLAN)).toHaveLength(1);
  });

  it('closes its follow-up on a later run when the run that delivered it failed before closing it', async () => {
    const { s, request } = await firstRunFailed();
    s.mailer.refused.delete(DELIVERY);
    failsOnce(s.openWork, 'remove');
    await expect(notifyAndAnswer(s.deps, request.id, aMinuteOn(s))).rejects.toThrow('remove throttled');
    expect(await s.openWork.list()).toHaveLength(1);
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    expect(await s.openWork.list()).toEqual([]);
    expect(mailsTo(s, DELIVERY)).toHaveLength(1);
    expect(operatorMails(s)).toHaveLength(1);
  });

  it('is not sent again once the operator marked it done, though taking it off the list failed', async () => {
    const { s, request } = await firstRunFailed();
    s.mailer.refused.delete(DELIVERY);
    failsOnce(s.openWork, 'remove');
    await expect(markDone(s, request.id, 'processor:delivery:blocking')).rejects.toThrow('remove throttled');
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    expect(mailsTo(s, DELIVERY)).toEqual([]);
    expect(await s.openWork.list()).toEqual([]);
    expect(operatorMails(s)).toHaveLength(1);
    expect(mailsTo(s, NURLAN)[0]!.text).not.toContain('We could not yet tell');
  });

  it('is not reopened when the operator marks it done while it is tried again', async () => {
    const { s, request } = await firstRunFailed();
    const notify = s.deps.processorNotifier.notify.bind(s.deps.processorNotifier);
    vi.spyOn(s.deps.processorNotifier, 'notify').mockImplementation(async (processor, ...rest) => {
      if (processor.id === 'delivery') await markDone(s, request.id, 'processor:delivery:blocking');
      return notify(processor, ...rest);
    });
    await notifyAndAnswer(s.deps, request.id, aMinuteOn(s));
    expect(await told(s, request.id)).toContain('delivery:false');
    expect(await s.openWork.list()).toEqual([]);
    expect(operatorMails(s)).toHaveLength(1);
    expect(mailsTo(s, NURLAN)[0]!.text).not.toContain('We could not yet tell');
  });

  it('stands as its last recorded delivery: not delivered after a delivery is tried again', async () => {
    const { sellers } = await sellersRecorded([true, false]);
    expect(sellers).toEqual(['sellers:true', 'sellers:false', 'sellers:true']);
  });
});
