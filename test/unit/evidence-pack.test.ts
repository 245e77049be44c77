import { describe, expect, it, beforeAll } from 'vitest';
import { documentAsText } from '../../functions/domain/document.ts';
import { workingHoursBetween } from '../../functions/domain/evidence/pack.ts';
import { evidenceTexts, parseEvidenceTexts } from '../../functions/domain/evidence/texts.ts';
import { appliedRuleDigest, createDeadlineEngine, ruleFromStored, shippedStatuteRule, storedRule, type StatuteRuleLookup } from '../../functions/domain/deadlines/index.ts';
import { loadShippedRules, SHIPPED_JURISDICTION_CODES } from '../../functions/domain/deadlines/rule-files.ts';
import { LANGUAGES, type Language } from '../../functions/domain/request-types.ts';
import en from '../../rules/messages/en.json' with { type: 'json' };
import { evidencePack, writeDailyDigest } from '../../functions/use-cases/evidence.ts';
import { applyDecision, closeAsNotARequest, decide, extendDeadline } from '../../functions/use-cases/operator.ts';
import { answerRequest } from '../../functions/use-cases/answer.ts';
import { classify, enterRequest } from '../../functions/use-cases/operator-actions.ts';
import { admitHeldMail } from '../../functions/use-cases/held-mail.ts';
import { onBehalfOf } from '../../functions/use-cases/on-behalf-of.ts';
import { receiveEmail } from '../../functions/use-cases/receive-email.ts';
import { fill } from '../../functions/domain/messages.ts';
import { confirmVerification } from '../../functions/use-cases/confirm-verification.ts';
import { closeUnverified, requestVerification } from '../../functions/use-cases/verification.ts';
import { hashSecretCode } from '../../functions/domain/secret-code.ts';
import { keepFormAttachments } from '../../functions/use-cases/form-attachments.ts';
import { planFulfilment, requestDecision } from '../../functions/use-cases/workflow-steps.ts';
import { auditTypes, OPERATOR, placeRequest, runToAnswer, systemFor } from '../support/flow.ts';
import type { MemorySystem } from '../support/memory-deps.ts';
import { SHIPPED_RULES } from '../../functions/domain/deadlines/shipped.ts';

// A rule kept by id reads its texts from the release's file, loaded first as a function loads its jurisdictions'.
beforeAll(() => loadShippedRules(SHIPPED_JURISDICTION_CODES));

const I_LICENSE = 'profiles/seeds/i-license.json';
const VNEDRAH = 'profiles/seeds/vnedrah.json';
const ASEL = 'asel.nurpeisova@mail.example';

async function packText(s: MemorySystem, id: string, language: Language): Promise<string> {
  return documentAsText((await evidencePack(s.deps, id, language)).document);
}

/** The lines of one numbered section of the text form (its heading up to the next heading). */
function section(text: string, language: Language, name: keyof ReturnType<typeof evidenceTexts>['sections']): string {
  const headings = Object.values(evidenceTexts(language).sections);
  const index = headings.indexOf(evidenceTexts(language).sections[name]);
  const start = text.indexOf(`${index + 1}. ${headings[index]}`);
  const end = index + 1 < headings.length ? text.indexOf(`${index + 2}. ${headings[index + 1]}`) : text.length;
  expect(start, `section ${name}`).toBeGreaterThan(-1);
  return text.slice(start, end);
}

describe('the evidence pack of a request', () => {
  it('a completed I-License access request: every section, in each language, with nothing of the person but the reference', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, ['access'], { email: ASEL, name: 'Асель Нурпеисова', language: 'ru' });
    s.setNow(new Date('2026-02-12T06:00:00Z'));
    await runToAnswer(s, request.id);
    s.setNow(new Date('2026-02-13T04:00:00Z'));
    await writeDailyDigest(s.deps);

    for (const language of LANGUAGES) {
      const text = await packText(s, request.id, language); // the pack loads its language's texts
      const t = evidenceTexts(language);
      expect(text, language).not.toMatch(/\{\w+\}/);
      expect(text).not.toContain(ASEL);
      expect(text).not.toContain('Асель');
      expect(text).toContain(request.id);
      expect(section(text, language, 'request')).toContain('180640028978');
      // Received by the web form: there is no raw message to hash.
      expect(section(text, language, 'arrived')).toContain(t.values.noRawMessage);
      expect(section(text, language, 'verification')).toContain(t.labels.confirmedAt);
      const deadline = section(text, language, 'deadline');
      expect(deadline).toContain(request.deadline.rule.id);
      expect(deadline).toContain(language === 'en' ? 'Kazakhstan working-day calendar (KZ)' : language === 'ru' ? 'Казахстан (KZ)' : 'Қазақстан (KZ)');
      // The calendar's source in the pack's language, as the rule's.
      expect(deadline).toContain({ en: '"On Holidays in the Republic of Kazakhstan"', ru: '«О праздниках в Республике Казахстан»', kk: '«Қазақстан Республикасындағы мерекелер туралы»' }[language]);
      expect(section(text, language, 'decisions')).toContain(t.values.noDecision);
      const sources = section(text, language, 'sources');
      for (const source of ['users', 'documents', 'orders', 'mailing']) expect(sources).toContain(`(${source})`);
      expect(sources).toContain(t.steps.access);
      const mails = section(text, language, 'mails');
      expect(mails).toContain(t.mailKinds.answer);
      expect(mails).toMatch(/[0-9a-f]{64}/);
      const answer = section(text, language, 'answer');
      expect(answer).toContain(t.labels.margin);
      expect(answer).not.toContain(t.values.notAnswered);
      const chain = section(text, language, 'chain');
      expect(chain).toContain('digests/2026-02-13T04-00-00-000Z.json');
      expect(chain).toMatch(/[0-9a-f]{64}/);
    }
    const english = await packText(s, request.id, 'en');
    // Answered Thursday 12 Feb at 11:00 in Astana, due at the end of Friday 13 Feb (3 working days): 13 hours and one whole day.
    expect(english).toContain('Margin: 37 working hours before the due date (on time)');
    expect(english).toContain('Term: Working days: 3, counted from the day after receipt');
    expect(english).toMatch(/Chain check: verified: \d+ events/);
    const kazakh = await packText(s, request.id, 'kk');
    expect(kazakh).toContain('Аудит журналының тұтастығы');
    expect(kazakh).toContain('Жұмыс күндерінің күнтізбесі');
  });

  it('in Russian, agrees with any operator\'s name, names a key once and the request\'s language in Russian', async () => {
    const s = systemFor('profiles/demo.json');
    const KEY = { kind: 'key', keyId: 'key-06dcefcc22d1' } as const;
    const { request } = await enterRequest(
      s.deps,
      { channel: 'phone', receivedAt: '2026-02-10', identity: 'attested', attestation: 'Перезвонил.', types: ['claim'], message: 'Шотым екі рет төленді.', email: ASEL, language: 'kk' },
      KEY,
      { key: 'operator:entry-key', field: 'Idempotency-Key' },
    );
    // As the verification step moves it: confirmed from its entry.
    await s.deps.requests.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
    await s.deps.requests.transition(request.id, 'AWAITING_VERIFICATION', 'IN_PROGRESS');
    await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'token');
    await decide(s.deps, request.id, { decision: 'deny', reason: 'Негізсіз.', basis: 'kz-identity-not-confirmed' }, KEY);
    const text = await packText(s, request.id, 'ru');
    // ТОО is neuter, and other forms are other genders: the intro says what was received without a verb that agrees.
    expect(text).toContain(`Что получено и сделано по запросу ${request.id} — по записям журнала аудита, который ведёт ТОО «Демо Дербес».`);
    expect(text).toContain('Язык запроса: казахский');
    expect(text).toContain('Внёс (оператор): ключ оператора key-06dcefcc22d1');
    expect(text).toContain('Удостоверил (оператор): ключ оператора key-06dcefcc22d1');
    expect(text).toContain('Кем (оператор или ключ): ключ оператора key-06dcefcc22d1');
    expect(text).not.toMatch(/key key-|Қазақша/);
    const english = await packText(s, request.id, 'en');
    expect(english).toContain('Language of the request: Kazakh');
    expect(english).toContain('By (operator or key): operator key key-06dcefcc22d1');
  });

  it('a refusal names who decided, the ground in the pack\'s language, and the reason', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, ['claim'], { email: ASEL, language: 'ru' });
    await runToAnswer(s, request.id, { decision: 'deny', reason: 'Претензия не подтверждена.', basis: 'kz-identity-not-confirmed' });
    const text = await packText(s, request.id, 'en');
    const decisions = section(text, 'en', 'decisions');
    expect(decisions).toContain('Decision asked for');
    expect(decisions).toContain('By (operator or key): aigerim.operator@demo.kz');
    expect(decisions).toContain('Decision: refused');
    expect(decisions).toMatch(/Basis: .+\(.*Art/);
    expect(decisions).toContain('Reason: Претензия не подтверждена.');
    expect(section(text, 'en', 'mails')).toContain('the refusal with its reason');
  });

  it('a claim\'s term is a default, not the law: the pack says so, and names where the term comes from in its own language', async () => {
    const s = systemFor(I_LICENSE);
    const claim = await placeRequest(s, ['claim'], { language: 'ru' });
    const expected = {
      ru: ['Кем установлен: срок по умолчанию из правил derbes — закон срока не устанавливает', 'Источник правила: Срок по умолчанию в derbes: закон срока не устанавливает; 30 рабочих дней — обычный срок ответа на претензию в опубликованных политиках конфиденциальности казахстанских операторов.'],
      kk: ['derbes ережелеріндегі әдепкі мерзім — заң мерзім белгілемейді', 'derbes әдепкі мерзімі: заң мерзім белгілемейді; 30 жұмыс күні — қазақстандық операторлардың жарияланған құпиялылық саясаттарында'],
      en: ["Set by: a default of derbes's rules — the law sets no term", 'Source of the rule: A default of derbes: the law sets no term; 30 working days is the usual term for answering a claim in the published privacy policies of Kazakhstani operators.'],
    };
    for (const language of LANGUAGES) {
      const deadline = section(await packText(s, claim.id, language), language, 'deadline');
      for (const line of expected[language]) expect(deadline, language).toContain(line);
      // The pack goes to the regulator in one company's name: it names no other company as its source.
      expect(deadline, language).not.toMatch(/MICA|4SELL|I-License/i);
      expect(deadline, language).not.toContain(`${evidenceTexts(language).labels.origin}: ${evidenceTexts(language).values.statute}\n`);
    }
    // The law's own term still reads as the law's, its source as the addresses it has.
    const access = await placeRequest(s, ['access'], { language: 'ru' });
    const deadline = section(await packText(s, access.id, 'ru'), 'ru', 'deadline');
    expect(deadline).toContain('Кем установлен: закон\n');
    expect(deadline).toContain('Источник правила: https://adilet.zan.kz/rus/docs/Z1300000094; https://www.lexology.com/library/detail.aspx?g=a5079d65-87ef-4e64-8a20-ec0766625b87');
  });

  it('a webhook notice shows its signature; an answer after the due date shows how late, in working hours', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await placeRequest(s, ['unblocking'], { language: 'en' });
    // Due at the end of 11 Feb (one working day); answered Thursday 26 Feb at 10:00 in Astana: 10 whole working days and 10 hours late.
    s.setNow(new Date('2026-02-26T05:00:00Z'));
    await runToAnswer(s, request.id);
    const text = await packText(s, request.id, 'en');
    expect(section(text, 'en', 'processors')).toMatch(/Signature of the notice: t=\d+,v1=[0-9a-f]{64}/);
    expect(section(text, 'en', 'answer')).toContain('Margin: 250 working hours after the due date (late)');
    expect(section(text, 'en', 'chain')).toContain('not yet anchored');
  });

  it('a claim asks nothing of any source: the pack says no source was asked, with no empty outcome', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['claim'], { language: 'ru' });
    await runToAnswer(s, request.id, { decision: 'approve', answer: 'Проверено.' });
    expect(await auditTypes(s, request.id)).not.toContain('source.applied');
    // A trail written before sources a request asks nothing of were left alone: their empty records are not listed.
    await s.deps.audit.append(request.id, { type: 'source.applied', detail: { sourceId: 'payments', attempt: 1, outcomes: {} } });
    for (const language of LANGUAGES) {
      const sources = section(await packText(s, request.id, language), language, 'sources');
      expect(sources, language).toContain(evidenceTexts(language).values.noSources);
      expect(sources, language).not.toContain(evidenceTexts(language).labels.outcomes);
    }
  });

  it('an erasure under a legal hold says the records were kept, not destroyed', async () => {
    const s = systemFor(VNEDRAH);
    const request = await placeRequest(s, ['erasure'], { email: 'nurlan.abenov@mail.example', language: 'ru' });
    await runToAnswer(s, request.id);
    const expected = {
      ru: ['уничтожение: не выполнено — записи сохранены без изменений, так как их хранения требует закон', 'уничтожение: выполнено, записей: 1'],
      kk: ['жою: орындалмады — заң сақтауды талап ететіндіктен жазбалар өзгеріссіз сақталды', 'жою: орындалды, жазбалар саны: 1'],
      en: ['erasure: not done — the records are kept unchanged, as the law requires', 'erasure: done, 1 records'],
    };
    for (const language of LANGUAGES) {
      const sources = section(await packText(s, request.id, language), language, 'sources');
      for (const line of expected[language]) expect(sources, language).toContain(line);
    }
    expect(section(await packText(s, request.id, 'ru'), 'ru', 'sources')).not.toMatch(/уничтожено/);
  });

  it('every code of the trail the pack prints reads as words: intake outcomes, checks, reasons a mail was held back, channels, failures', async () => {
    const s = systemFor(VNEDRAH, { webhook: 'delivered' });
    const request = await placeRequest(s, ['erasure'], { language: 'en' });
    const verdicts = { spam: 'PASS', virus: 'PASS', spf: 'FAIL', dkim: 'GRAY', dmarc: 'PROCESSING_FAILED' } as const;
    for (const [n, outcome] of ['request', 'reply', 'third_party'].entries()) {
      await s.deps.audit.append(request.id, { type: 'mail.received', detail: { sesMessageId: `ses-${n}`, sha256: 'a'.repeat(64), verdicts: { ...verdicts, spam: n ? 'PASS' : 'DISABLED' }, outcome } });
    }
    for (const reason of ['recipient_budget', 'hourly_budget', 'not_mailed_before', 'wait_over']) {
      await s.deps.audit.append(request.id, { type: 'mail.withheld', detail: { template: 'receipt', reason } });
    }
    await runToAnswer(s, request.id);
    await s.deps.audit.append(request.id, { type: 'source.failed', detail: { sourceId: 'payments', error: 'no result after retries', steps: ['erasure'] } });
    const codes = /\b(third_party|recipient_budget|hourly_budget|not_mailed_before|wait_over|no result after retries|PASS|FAIL|GRAY|PROCESSING_FAILED|DISABLED)\b/;
    for (const language of LANGUAGES) {
      const text = await packText(s, request.id, language);
      expect(text.match(codes)?.[0], language).toBeUndefined();
      const t = evidenceTexts(language);
      expect(section(text, language, 'arrived'), language).toContain(`${t.labels.outcome}: ${t.mailOutcomes.third_party}`);
      expect(section(text, language, 'arrived'), language).toContain(`${t.verdictChecks.spf} — ${t.verdicts.FAIL}`);
      expect(section(text, language, 'mails'), language).toContain(t.withheldReasons.wait_over);
      expect(section(text, language, 'processors'), language).toContain(`${t.labels.channel}: ${t.values.webhook}`);
      expect(section(text, language, 'sources'), language).toContain(t.values.noResultAfterRetries);
    }
  });

  it('an extension: when, from and to, its citation and the reason the person was given', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, jurisdiction: 'EU' }) });
    const request = await placeRequest(s, ['access']);
    await extendDeadline(s.deps, request.id, 'Three archives to search.', OPERATOR);
    const text = await packText(s, request.id, 'en');
    const deadline = section(text, 'en', 'deadline');
    expect(deadline).toMatch(/Extension: \n {5}.+: from .+ to .+ \(.*12\(3\)/);
    expect(deadline).toContain('Reason given to the person: Three archives to search.');
    expect(section(text, 'en', 'answer')).toMatch(/Answered: not answered yet\n {3}Due: .+\n {3}Margin: [\d,.]+ working hours left until the due date/);
  });

  it('a request taken by phone with identity attested: the day received and the entry both stated, the operator\'s check instead of a link', async () => {
    const s = systemFor(I_LICENSE);
    s.setNow(new Date('2026-02-12T08:50:00Z'));
    const { request } = await enterRequest(
      s.deps,
      { channel: 'phone', receivedAt: '2026-02-10', identity: 'attested', attestation: 'Перезвонил на номер из договора.', types: ['access'], email: ASEL, language: 'ru' },
      OPERATOR,
      { key: 'operator:entry-1', field: 'Idempotency-Key' },
    );
    const text = await packText(s, request.id, 'ru');
    const t = evidenceTexts('ru');
    const verification = section(text, 'ru', 'verification');
    expect(verification).toContain(`${t.labels.how}: ${t.values.attestedByOperator}`);
    expect(verification).toContain(`${t.labels.attestedBy}: ${OPERATOR.email}`);
    expect(verification).toContain(`${t.labels.attestation}: Перезвонил на номер из договора.`);
    expect(verification).not.toContain(t.values.linkByMail);
    const arrived = section(text, 'ru', 'arrived');
    expect(arrived).toContain(`${t.labels.receivedAt}: 10 февраля 2026`);
    expect(arrived).toContain(`${t.labels.enteredAt}: 12 февраля 2026, 13:50`);
    expect(arrived).toContain(`${t.labels.enteredBy}: ${OPERATOR.email}`);
  });

  it('a request entered too late for its due date: the deadline part gives the date its receipt promised beside the law\'s', async () => {
    const s = systemFor(I_LICENSE);
    s.setNow(new Date('2026-02-12T08:50:00Z'));
    const { request } = await enterRequest(
      s.deps,
      { channel: 'post', receivedAt: '2026-02-02', identity: 'attested', attestation: 'Подпись сверена с договором.', types: ['access'], email: ASEL, language: 'en' },
      OPERATOR,
      { key: 'operator:entry-late', field: 'Idempotency-Key' },
    );
    expect(request.entry?.promisedBy).toBeDefined();
    const t = evidenceTexts('en');
    const deadline = section(await packText(s, request.id, 'en'), 'en', 'deadline');
    expect(deadline).toContain(`${t.labels.dueAt}: 5 February 2026, 23:59`);
    expect(deadline).toContain(`${t.labels.promisedBy}: 17 February 2026, 23:59`);
  });

  it('a request entered from a posted letter: its day received reads as a day, without a time, and the pack says it came by post', async () => {
    const s = systemFor(I_LICENSE);
    s.setNow(new Date('2026-02-12T08:50:00Z'));
    const { request } = await enterRequest(
      s.deps,
      { channel: 'post', receivedAt: '2026-02-10', identity: 'attested', attestation: 'Подпись сверена с договором.', types: ['access'], email: ASEL, language: 'kk' },
      OPERATOR,
      { key: 'operator:entry-post', field: 'Idempotency-Key' },
    );
    const kazakh = await packText(s, request.id, 'kk');
    const t = evidenceTexts('kk');
    for (const part of ['request', 'arrived', 'deadline'] as const) {
      expect(section(kazakh, 'kk', part)).toContain(`${t.labels.receivedAt}: 2026 жылғы 10 ақпан\n`);
    }
    expect(kazakh).not.toMatch(/10 ақпан, 00:00/);
    const arrived = section(kazakh, 'kk', 'arrived');
    expect(arrived).toContain(`${t.labels.sha256}: жоқ: сұрау пошта арқылы қабылданып, оны оператор енгізді, бастапқы хат жоқ`);
    expect(arrived).not.toContain('нысан немесе бағдарламалық интерфейс арқылы');
    expect(section(await packText(s, request.id, 'en'), 'en', 'arrived')).toContain('none: the request came by post and was entered by an operator; no raw message exists');
  });

  it('held mail an operator made a request: when it arrived (the deadline\'s start), why it was held, and who vouched for it and when', async () => {
    const s = systemFor(I_LICENSE);
    const raw = new TextEncoder().encode(`From: ${ASEL}\r\nTo: info@license.kz\r\nSubject: Удаление\r\nMessage-ID: <held-pack@mail.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПрошу удалить мои данные.\r\n`);
    s.rawMail.set('ses-held-pack', raw);
    await receiveEmail(s.deps, 'ses-held-pack', raw, { spam: 'PASS', virus: 'PASS', spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' });
    s.setNow(new Date('2026-02-12T08:50:00Z'));
    const { reference } = await admitHeldMail(onBehalfOf(s.deps, OPERATOR), 'ses-held-pack', OPERATOR);
    const text = await packText(s, reference, 'ru');
    const t = evidenceTexts('ru');
    const arrived = section(text, 'ru', 'arrived');
    expect(arrived).toContain(`${t.labels.receivedAt}: 10 февраля 2026, 10:15`);
    expect(arrived).toContain(`${t.labels.heldBecause}: ${t.values.unauthenticated}`);
    expect(arrived).toContain(`${t.labels.admittedAt}: 12 февраля 2026, 13:50`);
    expect(arrived).toContain(`${t.labels.admittedBy}: ${OPERATOR.email}`);
    // The mail arrived on the 10th, though its record on the request's trail was written when it was admitted.
    expect(arrived).toContain(fill(t.lines.mailArrived, { at: '10 февраля 2026, 10:15' }));
    expect(arrived).not.toContain(fill(t.lines.mailArrived, { at: '12 февраля 2026' }));
  });

  it('mail an operator closed as not a request: when, by whom, that it was no request, and the words the person was told', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, [], { email: ASEL, language: 'ru', channel: 'email', message: 'Когда привезут заказ?' });
    await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'decision-token');
    s.setNow(new Date('2026-02-11T06:00:00Z'));
    await closeAsNotARequest(s.deps, request.id, { text: 'Вопросы о доставке — в службу поддержки.' }, OPERATOR);
    await applyDecision(s.deps, request.id);
    const text = await packText(s, request.id, 'ru');
    const t = evidenceTexts('ru');
    const decisions = section(text, 'ru', 'decisions');
    expect(decisions).toContain(`${t.labels.closedAsNotARequest}: 11 февраля 2026, 11:00`);
    expect(decisions).toContain(`${t.labels.closedBy}: ${OPERATOR.email}`);
    expect(decisions).toContain(`${t.labels.decision}: ${t.values.notARequest}`);
    expect(decisions).toContain(`${t.labels.toldThePerson}: Вопросы о доставке — в службу поддержки.`);
    expect(decisions).not.toContain(t.values.refused);
    expect(section(text, 'ru', 'request')).toContain(`${t.labels.status}: закрыт: не запрос`);
    expect(section(text, 'ru', 'mails')).toContain(t.mailKinds.notARequest);
    // Neither answered nor refused: the answer's section says what happened instead of "answered on time".
    const answer = section(text, 'ru', 'answer');
    expect(answer).toContain('Ответ отправлен: нет — закрыт как не запрос: ни ответа, ни отказа');
    expect(answer).toContain(`${t.labels.closedAsNotARequest}: 11 февраля 2026, 11:00`);
    expect(answer).toContain(`${t.labels.closedBy}: ${OPERATOR.email}`);
    expect(answer).toContain('Слова оператора отправлены: 11 февраля 2026, 11:00');
    expect(answer).toContain('Запас: не применяется: срок идёт для запросов, а это письмо закрыто как не запрос');
    expect(answer).not.toContain(t.lines.onTime.replace('{hours}', ''));
    for (const [language, closed] of [
      ['en', 'Answered: no — closed as not a request: neither answered nor refused'],
      ['kk', 'Жауап жіберілді: жоқ — сұрау емес ретінде жабылды: жауап та, бас тарту да берілмеді'],
    ] as const) {
      const other = section(await packText(s, request.id, language), language, 'answer');
      expect(other, language).toContain(closed);
      expect(other, language).not.toMatch(/on time|мерзімінде/);
    }
  });

  it('mail closed as not a request with no words for the person: the pack says nothing was mailed', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, [], { email: ASEL, language: 'en', channel: 'email', message: 'When will my order arrive?' });
    await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'decision-token');
    await closeAsNotARequest(s.deps, request.id, {}, OPERATOR);
    await applyDecision(s.deps, request.id);
    const answer = section(await packText(s, request.id, 'en'), 'en', 'answer');
    expect(answer).toContain("The operator's words mailed: no: nothing was mailed to the person");
    expect(answer).not.toContain('(on time)');
  });

  it('files attached to the web form are counted with their sizes, their names and contents left out', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, ['claim'], { language: 'ru' });
    await keepFormAttachments(s.deps, request.id, [{ filename: 'чек-ASEL.pdf', contentType: 'application/pdf', content: new Uint8Array(1500) }, { filename: 'фото.png', contentType: 'image/png', content: new Uint8Array(20) }]);
    const arrived = section(await packText(s, request.id, 'ru'), 'ru', 'arrived');
    expect(arrived).toMatch(/Файлы, приложенные к форме \(размеры в байтах\): 2 \(1\s500, 20\)/);
    expect(arrived).not.toContain('ASEL');
  });

  it('a request left unticked on a used link: the pack says, in its language, that it closed unconfirmed and why no mail went out', async () => {
    const s = systemFor(I_LICENSE);
    const own = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email: ASEL, language: 'ru' });
    const code = 'c'.repeat(43);
    const expiresAt = new Date(s.deps.clock.now().getTime() + 72 * 3_600_000);
    await requestVerification(s.deps, own.id, 'token-own', expiresAt, () => ({ code, codeHash: hashSecretCode(code) }));
    const stranger = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION', email: ASEL, language: 'ru' });
    await requestVerification(s.deps, stranger.id, 'token-stranger', expiresAt, () => ({ code: 'd'.repeat(43), codeHash: hashSecretCode('d'.repeat(43)) }));
    await confirmVerification(s.deps, code, [own.id]);
    await closeUnverified(s.deps, stranger.id);
    const expected = {
      en: 'the link was used with this request left unticked, so it closes unconfirmed; no mail is sent about it',
      ru: 'ссылкой воспользовались, не отметив этот запрос, поэтому он закрывается неподтверждённым; письмо о нём не отправляется',
      kk: 'сілтеме осы сұрау белгіленбей пайдаланылды, сондықтан сұрау расталмаған күйде жабылады; ол туралы хат жіберілмейді',
    };
    for (const language of LANGUAGES) {
      const text = await packText(s, stranger.id, language);
      expect(section(text, language, 'verification')).toContain(expected[language]);
    }
  });

  it('a classification names the types the operator chose, and who', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, [], { language: 'ru' });
    await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'token');
    await classify(s.deps, request.id, { types: ['rectification'] }, OPERATOR);
    const decisions = section(await packText(s, request.id, 'en'), 'en', 'decisions');
    expect(decisions).toMatch(new RegExp(`Classified: .+: correction — by ${OPERATOR.email.replace('.', '\\.')}`));
  });

  it('a request that keeps its rule by id: the pack states the digest of the rule as applied, and whether this release\'s rule data still has it', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, ['access'], { language: 'ru' });
    await runToAnswer(s, request.id);
    const applied = (await s.requests.get(request.id)).deadline.rule;
    // Shown in hex, as the pack's other SHA-256 (the item keeps it in base64url).
    const digest = Buffer.from(appliedRuleDigest(applied), 'base64url').toString('hex');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    /** The request as the DynamoDB store reads it back, its texts from `lookup`. */
    const keptById = async (lookup: StatuteRuleLookup) => {
      const current = await s.requests.get(request.id);
      s.requests.requests.set(request.id, { ...current, deadline: { ...current.deadline, rule: ruleFromStored(storedRule(applied), lookup) } });
    };

    await keptById(shippedStatuteRule);
    for (const language of LANGUAGES) {
      const deadline = section(await packText(s, request.id, language), language, 'deadline');
      const t = evidenceTexts(language);
      expect(deadline).toContain(`${t.labels.ruleDigest}: ${t.lines.ruleDataSame.replace('{digest}', digest)}`);
    }
    expect(section(await packText(s, request.id, 'en'), 'en', 'deadline')).toContain(`Legal basis: ${applied.citation.en}`);

    await keptById((jurisdiction, id) => {
      const today = shippedStatuteRule(jurisdiction, id)!;
      return { ...today, citation: { ...today.citation, en: 'Law No. 94-V, Art. 25 (as amended)' } };
    });
    const deadline = section(await packText(s, request.id, 'en'), 'en', 'deadline');
    expect(deadline).toContain(`Rule as applied (SHA-256): ${digest}: this release's rule data no longer holds the rule as it was applied`);
    expect(deadline).toContain('Legal basis: Law No. 94-V, Art. 25 (as amended)');
  });

  it('a request that keeps its whole rule (written before rules were kept by id) has no digest line', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, ['access'], { language: 'en' });
    await runToAnswer(s, request.id);
    expect(section(await packText(s, request.id, 'en'), 'en', 'deadline')).not.toContain(evidenceTexts('en').labels.ruleDigest);
  });

  it('a changed event shows as a broken chain in the pack', async () => {
    const s = systemFor(I_LICENSE);
    const request = await placeRequest(s, ['access'], { language: 'ru' });
    await answerRequest(s.deps, request.id);
    const second = s.audit.events.findIndex((event) => event.requestId === request.id && event.seq === 2);
    s.audit.events[second] = { ...s.audit.events[second]!, at: '2026-02-09T00:00:00.000Z' };
    expect(section(await packText(s, request.id, 'ru'), 'ru', 'chain')).toContain('НАРУШЕНА на записи 2: содержимое не совпадает с хешем');
  });
});

describe('working hours and the calendar a term was counted on', () => {
  const engine = createDeadlineEngine({}, SHIPPED_RULES);
  const kz = (date: string) => engine.isWorkingDay('KZ', date);

  it('counts only the hours of working days, either way', () => {
    // Friday 18:00 to Monday 09:00 in Astana: 6 hours of Friday, 9 of Monday; the weekend does not count.
    expect(workingHoursBetween(new Date('2026-02-13T13:00:00Z'), new Date('2026-02-16T04:00:00Z'), 'Asia/Almaty', kz)).toBe(15);
    expect(workingHoursBetween(new Date('2026-02-16T04:00:00Z'), new Date('2026-02-13T13:00:00Z'), 'Asia/Almaty', kz)).toBe(-15);
    // 21–25 March 2026 are Nauryz and its substitutes: nothing counts.
    expect(workingHoursBetween(new Date('2026-03-20T19:00:00Z'), new Date('2026-03-25T19:00:00Z'), 'Asia/Almaty', kz)).toBe(0);
  });

  it('names the transfer orders inside the term', () => {
    const used = engine.calendarBetween('KZ', '2025-01-01', '2025-01-15');
    expect(used).toMatchObject({ country: 'KZ', name: 'Kazakhstan working-day calendar' });
    expect(used.transfers).toEqual([{ dayOff: '2025-01-03', workingDay: '2025-01-05', basis: expect.objectContaining({ en: 'Order of the Minister of Labour for 2025: Fri 3 Jan off, Sun 5 Jan worked' }) }]);
    expect(engine.calendarBetween('KZ', '2025-01-05', '2025-01-20').transfers).toEqual([]);
  });

  it('names a transfer order inside the term in the language of the pack', async () => {
    const s = systemFor(I_LICENSE, { now: new Date('2025-01-02T05:00:00Z') });
    const request = await placeRequest(s, ['access'], { email: ASEL, name: 'Асель Нурпеисова', language: 'ru' });
    const lines = {
      ru: 'Приказ Министра труда и социальной защиты населения на 2025 год: пятница, 3 января, — выходной, воскресенье, 5 января, — рабочий день',
      kk: 'Еңбек және халықты әлеуметтік қорғау министрінің 2025 жылға арналған бұйрығы: 3 қаңтар, жұма — демалыс, 5 қаңтар, жексенбі — жұмыс күні',
      en: 'Order of the Minister of Labour for 2025: Fri 3 Jan off, Sun 5 Jan worked',
    };
    for (const language of LANGUAGES) {
      const deadline = section(await packText(s, request.id, language), language, 'deadline');
      expect(deadline).toContain(lines[language]);
      for (const other of LANGUAGES.filter((l) => l !== language)) expect(deadline).not.toContain(lines[other]);
    }
  });
});

describe('the evidence texts', () => {
  it('refuse a catalogue that lacks a label or uses another line\'s placeholder', () => {
    const missing = structuredClone(en) as { evidence: { labels: Record<string, string>; lines: Record<string, string> } };
    delete missing.evidence.labels.margin;
    expect(() => parseEvidenceTexts(missing, 'en.json')).toThrow(/labels\.margin/);
    const wrong = structuredClone(en) as { evidence: { lines: Record<string, string> } };
    wrong.evidence.lines.onTime = '{at}';
    expect(() => parseEvidenceTexts(wrong, 'en.json')).toThrow(/unknown placeholder \{at\}/);
  });
});
