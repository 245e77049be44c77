import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.ts';
import { applyGlobalPrivacyControl, consentHistory, consentSections, consentState, recordConsent, withdrawForRequest } from '../../../functions/use-cases/consent.ts';
import { withdrawnPurposes } from '../../../functions/use-cases/fulfilment-plan.ts';
import { NOW, placeRequest, systemFor } from '../../support/flow.ts';

const EMAIL = 'aigerim@example.kz';

describe('recordConsent', () => {
  it('records a grant and a withdrawal with their evidence, keeping client details only as keyed hashes', async () => {
    const s = systemFor('profiles/demo.json');
    await recordConsent(s.deps, { email: EMAIL, purposeId: 'marketing', action: 'grant', channel: 'web', evidence: { ip: '203.0.113.7', userAgent: 'Firefox' } });
    expect((await consentState(s.deps, EMAIL)).map((c) => [c.purposeId, c.status])).toEqual([['marketing', 'granted']]);
    await recordConsent(s.deps, { email: EMAIL, purposeId: 'marketing', action: 'withdraw' });
    expect((await consentState(s.deps, EMAIL)).map((c) => [c.purposeId, c.status])).toEqual([['marketing', 'withdrawn']]);
    const history = await s.deps.consent.history(await s.deps.personKey(EMAIL));
    expect(history.map((e) => [e.type, e.channel])).toEqual([
      ['granted', 'web'],
      ['withdrawn', 'api'],
    ]);
    const evidence = JSON.stringify(history[0]!.evidence);
    expect(evidence).not.toContain('203.0.113.7');
    expect(evidence).not.toContain('Firefox');
    expect(history[0]!.evidence).toMatchObject({ ipHash: expect.stringMatching(/^[0-9a-f]{64}$/), userAgentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('refuses a purpose the operator does not have, naming the field and the purposes there are', async () => {
    const s = systemFor('profiles/demo.json');
    const refused = recordConsent(s.deps, { email: EMAIL, purposeId: 'profiling', action: 'grant' });
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ problems: [{ field: 'purposeId', message: 'not a purpose of this operator (service, marketing)' }] });
  });

  it('refuses unknown fields and a malformed address', async () => {
    const s = systemFor('profiles/demo.json');
    await expect(recordConsent(s.deps, { email: 'not-an-address', purposeId: 'marketing', action: 'grant', extra: 1 })).rejects.toMatchObject({
      problems: expect.arrayContaining([expect.objectContaining({ field: 'email' })]),
    });
  });
});

describe('withdrawForRequest', () => {
  it('a withdrawal ends every purpose, recorded against the request, even where the ledger never saw a grant', async () => {
    const s = systemFor('profiles/demo.json');
    const key = await s.deps.personKey(EMAIL);
    await s.deps.consent.grant({ personKey: key, purposeId: 'marketing', at: new Date('2025-05-06T06:00:00Z'), channel: 'web', evidence: {} });
    const request = await placeRequest(s, ['consent_withdrawal'], { channel: 'email' });
    expect(await withdrawForRequest(s.deps, request.id)).toEqual({ withdrawn: ['service', 'marketing'] });
    const history = await s.deps.consent.history(key);
    expect(history.filter((e) => e.type === 'withdrawn').map((e) => [e.purposeId, e.channel, e.evidence.requestId])).toEqual([
      ['marketing', 'email', request.id],
      ['service', 'email', request.id],
    ]);
    expect((await s.deps.audit.list(request.id)).find((e) => e.type === 'consent.withdrawn')!.detail).toEqual({ purposes: ['service', 'marketing'] });
    expect(await s.deps.suppressions.has(EMAIL)).toBe(false);
  });

  it('an opt-out ends the marketing purposes only, and puts the address on the suppression list', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['marketing_opt_out']);
    await withdrawForRequest(s.deps, request.id);
    expect((await consentState(s.deps, EMAIL)).map((c) => c.purposeId)).toEqual(['marketing']);
    expect(await s.deps.suppressions.has(EMAIL)).toBe(true);
  });

  it('leaves the ledger alone for any other request', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access', 'erasure']);
    expect(await withdrawForRequest(s.deps, request.id)).toEqual({ withdrawn: [] });
    expect(await s.deps.consent.history(await s.deps.personKey(EMAIL))).toEqual([]);
    expect(withdrawnPurposes(s.deps.profile, ['access', 'erasure'])).toEqual([]);
  });
});

describe('consentSections and consentHistory', () => {
  it('name the purposes a request withdrew in the person\'s language, and list the history with channels and references', async () => {
    const s = systemFor('profiles/demo.json');
    const key = await s.deps.personKey('aigerim@example.kz');
    for (const purposeId of ['service', 'marketing']) await s.deps.consent.grant({ personKey: key, purposeId, at: new Date('2025-05-06T06:00:00Z'), channel: 'web', evidence: {} });
    const request = await placeRequest(s, ['consent_withdrawal', 'marketing_opt_out'], { language: 'ru' });
    await withdrawForRequest(s.deps, request.id);
    const sections = await consentSections(s.deps, request, await s.deps.audit.list(request.id), { untouched: false });
    expect(sections).toEqual([
      'Ваше согласие отозвано для целей: Оказание услуг и исполнение договора; Рассылка о новых продуктах и предложениях. Мы больше не обрабатываем ваши данные в этих целях.',
      'Вы больше не будете получать от нас рекламных сообщений.',
    ]);
    const history = await consentHistory(s.deps, request, { untouched: false });
    expect(history).toContainEqual({ purpose: 'Рассылка о новых продуктах и предложениях', event: 'согласие отозвано', at: '10 февраля 2026, 10:15 по времени Астаны', channel: 'через сайт', reference: request.id });
  });

  it('where we hold nothing of the person, a consent never given is not said withdrawn: the refusal is recorded for the future, and we never say we processed their data', async () => {
    const s = systemFor('profiles/demo.json');
    await s.deps.consent.grant({ personKey: await s.deps.personKey('aigerim@example.kz'), purposeId: 'marketing', at: new Date('2025-05-06T06:00:00Z'), channel: 'web', evidence: {} });
    const request = await placeRequest(s, ['consent_withdrawal'], { language: 'ru' });
    await withdrawForRequest(s.deps, request.id);
    const trail = await s.deps.audit.list(request.id);
    expect(await consentSections(s.deps, request, trail, { untouched: true })).toEqual([
      'Ваше согласие отозвано для целей: Рассылка о новых продуктах и предложениях. Мы записали ваш отказ от согласия для целей: Оказание услуг и исполнение договора. Согласия на эти цели у нас от вас записано не было, поэтому отзывать было нечего: отказ действует на будущее. Без вашего нового согласия мы не будем обрабатывать ваши данные в этих целях.',
    ]);
    expect((await consentHistory(s.deps, request, { untouched: true })).map((line) => [line.purpose, line.event])).toEqual([
      ['Рассылка о новых продуктах и предложениях', 'согласие дано'],
      ['Рассылка о новых продуктах и предложениях', 'согласие отозвано'],
      ['Оказание услуг и исполнение договора', 'записан отказ от согласия на будущее'],
    ]);
    // Someone our sources hold records of may have given a consent before the ledger was kept: theirs is withdrawn.
    expect(await consentSections(s.deps, request, trail, { untouched: false })).toEqual([
      'Ваше согласие отозвано для целей: Оказание услуг и исполнение договора; Рассылка о новых продуктах и предложениях. Мы больше не обрабатываем ваши данные в этих целях.',
    ]);
    expect((await consentHistory(s.deps, request, { untouched: false })).map((line) => line.event)).not.toContain('записан отказ от согласия на будущее');
  });
});

describe('applyGlobalPrivacyControl', () => {
  it('opts out of marketing and transfer with the signal as evidence', async () => {
    const s = systemFor('profiles/demo.json');
    const request = { ...(await placeRequest(s, ['access'], { email: EMAIL })), gpc: { ipHash: 'a'.repeat(64) } };
    expect(await applyGlobalPrivacyControl(s.deps, request)).toEqual(['marketing']);
    const [withdrawn] = await s.deps.consent.history(await s.deps.personKey(EMAIL));
    expect(withdrawn).toMatchObject({ type: 'withdrawn', purposeId: 'marketing', at: NOW.toISOString(), evidence: { gpc: true, requestId: request.id, ipHash: 'a'.repeat(64) } });
  });
});
