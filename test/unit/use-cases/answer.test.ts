import { describe, expect, it } from 'vitest';
import { localize } from '../../../functions/config/profile-schema.ts';
import { NotPermittedError, PlanOutdatedError } from '../../../functions/domain/errors.ts';
import { answerRequest, notifyAndAnswer } from '../../../functions/use-cases/answer.ts';
import type { MemorySystem } from '../../support/memory-deps.ts';
import { aMinuteOn, mailsTo, operatorMails, placeRequest, runToAnswer, systemFor } from '../../support/flow.ts';
import { planFulfilment } from '../../../functions/use-cases/workflow-steps.ts';
import { applyToSource } from '../../../functions/use-cases/fulfilment.ts';

/** Each section of the answer, from what the sources did; asserted on the text the person reads. */

const VNEDRAH = 'profiles/seeds/vnedrah.json';
const NURLAN = 'nurlan.abenov@mail.example';
const NOBODY = 'nobody.here@mail.example';
const ARMAN = 'arman.zhaksybekov@mail.example';
const GULNARA = 'gulnara.tokhtarova@mail.example';

const sourceName = (s: MemorySystem, id: string) => `"${localize(s.deps.profile.sources.find((source) => source.id === id)!.description, 'en')}"`;
const processorName = (s: MemorySystem, id: string) => localize(s.deps.profile.processors.find((p) => p.id === id)!.name, 'en');

describe('the access section', () => {
  it('lists the person\'s records per source under their labels, the purposes and recipients, and links to a single-use copy', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['access'], { email: NURLAN });
    const answer = await runToAnswer(s, request.id);
    expect(answer).toContain('Personal data we hold about you:');
    expect(answer).toContain(sourceName(s, 'accounts'));
    expect(answer).toContain(`    E-mail address: ${NURLAN}`);
    expect(answer).not.toContain('gulnara.tokhtarova');
    expect(answer).toContain('Purposes and legal basis of processing:');
    expect(answer).toContain(`* ${processorName(s, 'delivery')}`);
    expect(answer).toMatch(/A copy of this answer, as a page: https:\/\/privacy\.example\/download\?token=[\w-]{43}&lang=en&format=html/);
    // The copy is stored, and its links work once.
    expect([...s.packages.objects.keys()].map((key) => key.split('/').pop())).toEqual(['package.json']);
    expect((await s.deps.requests.get(request.id)).status).toBe('COMPLETED');
  });

  it('says nothing is held when no source holds anything about the person', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['access'], { email: NOBODY });
    expect(await runToAnswer(s, request.id)).toContain('We hold no personal data about you in the systems searched.');
  });

  it('says only what the sources that answered hold when one could not be read, names that one and alerts the operator', async () => {
    const s = systemFor('profiles/demo.json');
    s.sources.get('customers')!.failing = true;
    const request = await placeRequest(s, ['access']);
    const answer = await runToAnswer(s, request.id);
    expect(answer).toContain('The systems that answered in time hold no personal data about you.');
    expect(answer).toContain('We could not finish our work with "Customer database" in time (information about your personal data).');
    expect(operatorMails(s).map((m) => m.subject)).toEqual([`[${request.id}] Ответ отправлен не полностью`]);
    const failed = (await s.deps.audit.list(request.id)).find((e) => e.type === 'source.failed');
    expect(failed!.detail).toEqual({ sourceId: 'customers', error: 'no result after retries', steps: ['access'] });
    expect((await s.deps.requests.get(request.id)).status).toBe('COMPLETED');
  });
});

describe('the change sections', () => {
  it('erasure: where the data was destroyed, where it was anonymised, where the law keeps it and why, and which processors were told', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await placeRequest(s, ['erasure'], { email: NURLAN });
    const answer = await runToAnswer(s, request.id);
    // Each source as its profile erases: accounts and devices are deleted, messages (reviews others rate by) anonymised.
    expect(answer).toContain(`Your data is destroyed: ${sourceName(s, 'accounts')}, ${sourceName(s, 'devices')}.`);
    expect(answer).toContain(`Your data is anonymised, so that it can no longer be linked to you: ${sourceName(s, 'messages')}.`);
    expect(answer).not.toContain('destroyed or anonymised');
    // The profile gives no term for the hold: the answer says the law's, and ends its sentence.
    expect(answer).toContain(`Kept because the law requires it — ${sourceName(s, 'payments')}: ${localize(s.deps.profile.sources[1]!.legalHold!.basis, 'en')}. We keep this data for as long as the law requires.`);
    expect(answer).toContain(`We have told those who process your data for us or have received it from us: ${processorName(s, 'payment-provider')}`);
    expect(answer).not.toContain('We could not yet tell');
  });

  it('erasure where the profile knows how long the law keeps the held data: the answer says the term', async () => {
    const term = { ru: 'пять лет после окончания года платежа', kk: 'төлем жылы аяқталғаннан кейін бес жыл', en: 'five years after the end of the year of the payment' };
    const s = systemFor(VNEDRAH, {
      adjust: (json) => ({ ...json, sources: (json.sources as Array<Record<string, { basis: unknown }>>).map((source) => (source.legalHold ? { ...source, legalHold: { ...source.legalHold, term } } : source)) }),
    });
    const request = await placeRequest(s, ['erasure'], { email: NURLAN });
    const answer = await runToAnswer(s, request.id);
    expect(answer).toContain(`${sourceName(s, 'payments')}: ${localize(s.deps.profile.sources[1]!.legalHold!.basis, 'en')}. Retention period: five years after the end of the year of the payment.`);
    expect(answer).not.toContain('for as long as the law requires');
  });

  it('erasure and withdrawal of someone a held source holds nothing of: that source is not said to keep their data', async () => {
    // Gulnara has an account and reviews, but no payments (the source the law keeps).
    for (const types of [['erasure'], ['consent_withdrawal']] as const) {
      const s = systemFor(VNEDRAH);
      const request = await placeRequest(s, [...types], { email: GULNARA });
      const answer = await runToAnswer(s, request.id);
      expect(answer).toContain(sourceName(s, 'accounts'));
      expect(answer).not.toContain('Kept because the law requires it');
      expect(answer).not.toContain(sourceName(s, 'payments'));
      expect((await s.deps.requests.listSourceResults(request.id)).find((r) => r.sourceId === 'payments')!.outcomes[types[0]]).toEqual({ status: 'done', affected: 0 });
    }
    // Someone no source holds, asking to see, withdraw and opt out: nothing held, and nothing said to be kept.
    const s = systemFor(VNEDRAH);
    const nobody = await placeRequest(s, ['access', 'consent_withdrawal', 'marketing_opt_out'], { email: NOBODY, language: 'kk' });
    const answer = await runToAnswer(s, nobody.id);
    expect(answer).toContain('Тексерілген жүйелерде сіз туралы дербес деректер жоқ.');
    expect(answer).not.toContain('Заң талап ететіндіктен сақталды');
  });

  it('erasure of someone nobody holds: nothing to destroy', async () => {
    const s = systemFor('profiles/seeds/4sell.json');
    const request = await placeRequest(s, ['erasure'], { email: NOBODY });
    expect(await runToAnswer(s, request.id)).toContain('There was nothing to destroy: the systems searched hold no personal data about you.');
  });

  it('blocking, then unblocking; and unblocking what was never blocked', async () => {
    const s = systemFor('profiles/seeds/4sell.json');
    const blocking = await placeRequest(s, ['blocking'], { email: ARMAN });
    expect(await runToAnswer(s, blocking.id)).toContain('Processing of your data is blocked: "4SELL user accounts"');
    const unblocking = await placeRequest(s, ['unblocking'], { email: ARMAN });
    expect(await runToAnswer(s, unblocking.id)).toContain('Your data is unblocked: "4SELL user accounts"');
    const again = await placeRequest(s, ['unblocking'], { email: ARMAN });
    expect(await runToAnswer(s, again.id)).toContain('There was nothing to unblock: your data was not blocked.');
  });

  it('a correction the operator approved: each field under its label with the new value, and their note', async () => {
    const s = systemFor('profiles/seeds/4sell-cashier.json');
    const request = await placeRequest(s, ['rectification'], { email: 'timur.bekov@mail.example', changes: { phone: '+7 747 555 20 11' } });
    const answer = await runToAnswer(s, request.id, { decision: 'approve', answer: 'Updated from your ID card.' });
    expect(answer).toMatch(/Corrected as you asked:\n {4}Phone[^:]*: \+7 747 555 20 11\nWhere: "/);
    expect(answer).toContain('From the person responsible for personal data:\nUpdated from your ID card.');
  });

  it('a claim: the operator\'s answer to it', async () => {
    const s = systemFor('profiles/seeds/4sell.json');
    const request = await placeRequest(s, ['claim'], { email: ARMAN });
    expect(await runToAnswer(s, request.id, { decision: 'approve', answer: 'The charge is refunded.' })).toContain('Our answer to your claim:\nThe charge is refunded.');
  });
});

describe('the consent sections', () => {
  it('a withdrawal where the profile destroys: the purposes withdrawn, and where the data was destroyed', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['consent_withdrawal'], { email: NURLAN });
    const answer = await runToAnswer(s, request.id);
    expect(answer).toMatch(/Your consent is withdrawn for these purposes: .+\. We no longer process your data for them\./);
    expect(answer).toContain(`Now that you have withdrawn consent, your data is destroyed: ${sourceName(s, 'accounts')}, ${sourceName(s, 'devices')}.`);
    expect(answer).toContain(`Now that you have withdrawn consent, your data is anonymised, so that it can no longer be linked to you: ${sourceName(s, 'messages')}.`);
  });

  it('a withdrawal where the profile blocks: where processing is blocked', async () => {
    const s = systemFor('profiles/seeds/4sell.json', { adjust: (json) => ({ ...json, consentWithdrawal: { sources: 'block' } }) });
    const request = await placeRequest(s, ['consent_withdrawal'], { email: ARMAN });
    expect(await runToAnswer(s, request.id)).toContain('Now that you have withdrawn consent, processing of your data is blocked: "4SELL user accounts"');
    expect(s.sources.get('users')!.records.find((r) => r.email === ARMAN)).toMatchObject({ processingBlocked: true });
  });

  it('an opt-out: off the mailing list, no more marketing, and on SES\' list only after the answer is sent', async () => {
    const s = systemFor('profiles/seeds/4sell.json', { adjust: (json) => ({ ...json, sesAccountSuppression: true }) });
    const request = await placeRequest(s, ['marketing_opt_out'], { email: ARMAN });
    const answer = await runToAnswer(s, request.id);
    expect(answer).toContain('You are removed from our mailing lists: "');
    expect(answer).toContain('You will receive no more marketing messages from us.');
    expect(s.sesSuppressed).toEqual([ARMAN]);
    expect(await s.deps.suppressions.has(ARMAN)).toBe(true);
  });

  it('an opt-out of someone on no list: not subscribed; and SES is left alone where the profile says so', async () => {
    const s = systemFor('profiles/seeds/4sell.json');
    const request = await placeRequest(s, ['marketing_opt_out'], { email: NOBODY });
    expect(await runToAnswer(s, request.id)).toContain('You were not on any of our mailing lists.');
    expect(s.sesSuppressed).toEqual([]);
  });

  it('an opt-out where the records stay: they record no more marketing — not a withdrawal of every consent', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['marketing_opt_out']);
    const answer = await runToAnswer(s, request.id);
    expect(answer).toContain('Our systems now record that you receive no marketing messages: "Customer database".');
    expect(answer).not.toContain('withdrawn consent');
    expect(s.sources.get('customers')!.records.filter((r) => r.email === 'aigerim@example.kz' && 'marketingConsent' in r).map((r) => r.marketingConsent)).toEqual([false]);
  });
});

describe('answering', () => {
  it('says which processors could not be told yet', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'fails' });
    const request = await placeRequest(s, ['blocking'], { email: NURLAN });
    const answer = await runToAnswer(s, request.id);
    expect(answer).toContain(`We could not yet tell: ${processorName(s, 'sellers')}. The person responsible knows and will tell them.`);
    expect(answer).not.toMatch(/We have told[^\n]*vnedrah\.com/);
  });

  it('happens once: a re-run after a restart sends nothing', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    await runToAnswer(s, request.id);
    const sent = s.mailer.sent.length;
    await answerRequest(s.deps, request.id);
    expect(s.mailer.sent).toHaveLength(sent);
    expect(mailsTo(s, request.email)).toHaveLength(1);
    const completed = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'status.changed' && (e.detail as { to: string }).to === 'COMPLETED');
    expect(completed).toHaveLength(1);
    expect((await s.deps.requests.get(request.id)).closedAt).toBe('2026-02-10T05:15:00.000Z');
  });

  it('reads the request once for the plan check and the notices, and once more before answering', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await placeRequest(s, ['erasure'], { email: NURLAN });
    const plan = await planFulfilment(s.deps, request.id);
    for (const sourceId of plan.sourceIds ?? []) await applyToSource(s.deps, request.id, sourceId);
    // The step's own reads, through a store that counts them (the store's own reads inside a write are not the step's).
    let reads = 0;
    const store = s.deps.requests;
    const requests = new Proxy(store, {
      get: (target, name) => {
        if (name === 'get') return (id: string) => (reads++, target.get(id));
        const value = Reflect.get(target, name);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await notifyAndAnswer({ ...s.deps, requests }, request.id, aMinuteOn(s), plan.sourceIds);
    expect(mailsTo(s, request.email).at(-1)!.text).toContain('Your data is destroyed: ');
    expect(reads).toBe(2);
  });

  it('tells nobody anything when the fulfilment did not run on a source the request needs now (the profile changed since its start)', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['erasure'], { email: NURLAN });
    const needed = s.deps.profile.sources.map((source) => source.id);
    await expect(notifyAndAnswer(s.deps, request.id, new Date(Date.now() + 60_000), needed.slice(1))).rejects.toBeInstanceOf(PlanOutdatedError);
    expect(s.mailer.sent).toEqual([]);
    expect((await s.deps.requests.get(request.id)).status).toBe('IN_PROGRESS');
  });

  it('fails, to the operator, for an open request that is not in progress (a release forged with a leaked token), sending nothing', async () => {
    const s = systemFor('profiles/demo.json');
    for (const status of ['RECEIVED', 'AWAITING_VERIFICATION'] as const) {
      const request = await placeRequest(s, ['access'], { status });
      await expect(answerRequest(s.deps, request.id)).rejects.toBeInstanceOf(NotPermittedError);
      expect(mailsTo(s, request.email)).toEqual([]);
      expect((await s.deps.requests.get(request.id)).status).toBe(status);
    }
  });
});
