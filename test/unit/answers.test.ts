import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../functions/config/load-profile.ts';
import { checkCorrections, correctableFields } from '../../functions/config/profile-schema.ts';
import { ValidationError } from '../../functions/domain/errors.ts';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';
import { newSecretCode } from '../../functions/domain/secret-code.ts';
import { REQUEST_TYPES, type Language, type RequestType } from '../../functions/domain/request-types.ts';
import { notifyAndAnswer } from '../../functions/use-cases/answer.ts';
import { withdrawForRequest } from '../../functions/use-cases/consent.ts';
import { applyToSource } from '../../functions/use-cases/fulfilment.ts';
import { applyDecision, decide } from '../../functions/use-cases/operator.ts';
import { deadlineFor } from '../../functions/use-cases/submit-request.ts';
import { requestVerification } from '../../functions/use-cases/verification.ts';
import { planFulfilment, requestDecision } from '../../functions/use-cases/workflow-steps.ts';
import { decisionsCommand } from '../../infra/cli/commands/operator.ts';
import { aMinuteOn, placeRequest, runToAnswer, systemFor } from '../support/flow.ts';
import { memorySystem, type MemorySystem } from '../support/memory-deps.ts';

/**
 * What people read after each kind of request, through the use cases the workflow runs (their ports in memory): the
 * regressions of wrong answers, each asserted on the text the person receives and on the data left in the sources.
 */

const NOW = new Date('2026-02-10T05:15:00Z');
let serial = 0;

function system(profile: string, options: { webhook?: 'delivered' | 'fails'; adjust?: (json: Record<string, unknown>) => Record<string, unknown> } = {}): MemorySystem {
  if (!options.adjust) return memorySystem(profile, { now: NOW, webhook: options.webhook });
  const json = options.adjust(JSON.parse(readFileSync(profile, 'utf8')) as Record<string, unknown>);
  const data = JSON.parse(readFileSync(profile.replace(/\.json$/, '.data.json'), 'utf8')) as Record<string, Array<Record<string, unknown>>>;
  return memorySystem(parseProfile(json, profile), { now: NOW, data, webhook: options.webhook });
}

async function create(s: MemorySystem, email: string, types: RequestType[], language: Language, extra: Partial<DataSubjectRequest> = {}): Promise<string> {
  const id = `DRB-0000${++serial % 10}-${String(serial).padStart(5, '0')}`;
  const request: DataSubjectRequest = {
    id,
    types,
    status: 'RECEIVED',
    channel: 'web',
    email,
    language,
    receivedAt: NOW.toISOString(),
    deadline: deadlineFor(s.deps, types.length ? types : REQUEST_TYPES, NOW),
    ...extra,
  };
  await s.deps.requests.create(request, { type: 'request.received', detail: { channel: 'web', types, dueAt: request.deadline.dueAt, ruleId: request.deadline.rule.id } });
  // The receipt goes out with the confirmation link; the person confirms.
  await requestVerification(s.deps, id, `token-${id}`, new Date(NOW.getTime() + 72 * 3_600_000), newSecretCode);
  await s.deps.requests.transition(id, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt: NOW.toISOString() });
  return id;
}

/** The operator key a decision is made with. */
const OPERATOR = { kind: 'key', keyId: 'key-test' } as const;

/** The state machine after verification: plan, decision (if one is needed), consent, the planned sources, processors, answer. */
async function run(s: MemorySystem, id: string, decision?: Parameters<typeof decide>[2]): Promise<{ answer: string; alerts: string[] }> {
  s.mailer.sent.length = 0;
  const plan = await planFulfilment(s.deps, id);
  if (plan.needsDecision) {
    await requestDecision(s.deps, id, 'token');
    await decide(s.deps, id, decision ?? { decision: 'approve' }, OPERATOR);
    const { approved } = await applyDecision(s.deps, id);
    if (!approved) return { answer: s.mailer.sent.find((m) => m.to !== s.deps.profile.operator.contactEmail)!.text, alerts: [] };
  }
  await withdrawForRequest(s.deps, id);
  for (const sourceId of plan.sourceIds ?? []) await applyToSource(s.deps, id, sourceId).catch(() => undefined);
  await notifyAndAnswer(s.deps, id, aMinuteOn(s));
  const request = await s.deps.requests.get(id);
  return {
    answer: s.mailer.sent.find((m) => m.to === request.email)!.text,
    alerts: s.mailer.sent.filter((m) => m.to === s.deps.profile.operator.contactEmail).map((m) => m.subject),
  };
}

describe('consent withdrawal and marketing opt-out', () => {
  it.each([
    ['profiles/demo.json', 'aigerim@example.kz', 'consent_withdrawal', 'kk'],
    ['profiles/demo.json', 'aigerim@example.kz', 'marketing_opt_out', 'ru'],
    ['profiles/seeds/i-license.json', 'asel.nurpeisova@mail.example', 'consent_withdrawal', 'ru'],
    ['profiles/seeds/unnamed-site.json', 'sam.taylor@mail.example', 'consent_withdrawal', 'en'],
  ] as const)('%s, %s, %s: no source is reported failed and the operator gets no false alert', async (profile, email, type, language) => {
    const s = system(profile);
    const { answer, alerts } = await run(s, await create(s, email, [type], language));
    expect(answer).not.toMatch(/уақытында аяқтау мүмкін болмады|не удалось вовремя завершить|could not finish/i);
    expect(alerts).toEqual([]);
    expect((await s.deps.requests.listOpen({ limit: 100 })).requests).toEqual([]);
  });

  it('leaves a trace: the ledger shows each withdrawal with its evidence, and the record no longer says "consents"', async () => {
    const s = system('profiles/demo.json');
    const id = await create(s, 'aigerim@example.kz', ['marketing_opt_out'], 'ru');
    const { answer } = await run(s, id);
    const history = await s.deps.consent.history(await s.deps.personKey('aigerim@example.kz'));
    expect(history).toEqual([expect.objectContaining({ type: 'withdrawn', purposeId: 'marketing', channel: 'web', at: NOW.toISOString(), evidence: { requestId: id } })]);
    expect(s.sources.get('customers')!.records.find((r) => r.recordId === 'orders-77')!.marketingConsent).toBe(false);
    expect(answer).toContain('В наших системах отмечено, что вы больше не получаете рекламных сообщений: «Клиентская база».');
    expect(answer).toContain('Вы больше не будете получать от нас рекламных сообщений.');

    // A full withdrawal later: every purpose, and the record stays as the answer says.
    const withdrawal = await create(s, 'aigerim@example.kz', ['consent_withdrawal'], 'en');
    const second = await run(s, withdrawal);
    expect((await s.deps.consent.history(await s.deps.personKey('aigerim@example.kz'))).filter((e) => e.evidence.requestId === withdrawal).map((e) => e.purposeId)).toEqual(['service']);
    expect(second.answer).toContain('Your consent is withdrawn for these purposes: Providing the service and performing the contract; News about products and offers.');
  });
});

describe('a refusal', () => {
  async function awaitingDecision(s: MemorySystem, types: RequestType[]): Promise<string> {
    const id = await create(s, 'aigerim@example.kz', types, 'ru');
    await s.deps.requests.transition(id, 'IN_PROGRESS', 'AWAITING_DECISION');
    await s.deps.decisions.put({ requestId: id, taskToken: 'token', reasons: [], requestedAt: NOW.toISOString() });
    return id;
  }

  it('is refused without a basis (naming the field and the grounds that fit), and nothing is decided', async () => {
    const s = system('profiles/demo.json');
    const id = await awaitingDecision(s, ['consent_withdrawal']);
    const error = await decide(s.deps, id, { decision: 'deny', reason: 'Договор ещё действует.' }, OPERATOR).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([{ field: 'basis', message: expect.stringContaining('kz-withdrawal-contradicts-law'), kind: 'required' }]);
    await expect(decide(s.deps, id, { decision: 'deny', reason: 'Договор ещё действует.', basis: 'kz-no-such-ground' }, OPERATOR)).rejects.toThrow(/not a refusal ground of KZ/);
    await expect(decide(s.deps, id, { decision: 'deny', reason: 'x', basis: 'kz-rectification-unsupported' }, OPERATOR)).rejects.toThrow(/does not apply to consent_withdrawal/);
    expect((await s.deps.requests.get(id)).status).toBe('AWAITING_DECISION');
    expect(await s.deps.decisions.list()).toHaveLength(1);
  });

  it('cites the ground chosen, in the person\'s language, with its article — never the deadline rule', async () => {
    const s = system('profiles/demo.json');
    const id = await awaitingDecision(s, ['consent_withdrawal']);
    s.mailer.sent.length = 0;
    await decide(s.deps, id, { decision: 'deny', reason: 'Договор ещё действует.', basis: 'kz-withdrawal-contradicts-law' }, OPERATOR);
    await applyDecision(s.deps, id);
    const refusal = s.mailer.sent.find((m) => m.to === 'aigerim@example.kz')!.text;
    expect(refusal).toContain('Причина: Договор ещё действует.');
    expect(refusal).toContain(
      'Основание: отозвать согласие нельзя, если это противоречит законам Республики Казахстан или если есть неисполненное обязательство (Закон Республики Казахстан № 94-V «О персональных данных и их защите», пункт 2 статьи 8)',
    );
    expect(refusal).not.toMatch(/Art\.|статья 25|conservative/);
  });

  it('takes a basis the operator writes out', async () => {
    const s = system('profiles/demo.json');
    const id = await awaitingDecision(s, ['claim']);
    s.mailer.sent.length = 0;
    await decide(s.deps, id, { decision: 'deny', reason: 'Заказ оформлен другим человеком.', basis: 'пункт 4.2 договора оферты' }, OPERATOR);
    await applyDecision(s.deps, id);
    expect(s.mailer.sent.find((m) => m.to === 'aigerim@example.kz')!.text).toContain('Основание: пункт 4.2 договора оферты');
  });

  it('from the command line needs --basis before anything is sent', async () => {
    const err: string[] = [];
    const code = await decisionsCommand(['deny', 'DRB-00000-00001', '--reason', 'x'], { out: () => {}, err: (line) => err.push(line) });
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('--basis');
  });

  it('from the command line refuses a second change typed after one --change, instead of dropping it', async () => {
    const err: string[] = [];
    const code = await decisionsCommand(['approve', 'DRB-00000-00001', '--change', 'phone=+7 701 000 11 22', 'city=Астана'], { out: () => {}, err: (line) => err.push(line) });
    expect(code).toBe(2);
    expect(err[0]).toBe('unexpected city=Астана (an option takes one value each time: --change a=b --change c=d)');
  });
});

describe('an approval with the operator\'s answer and changes', () => {
  it('carries the answer, and the change under its label with the new value', async () => {
    const s = system('profiles/seeds/i-license.json');
    const id = await create(s, 'asel.nurpeisova@mail.example', ['rectification'], 'ru');
    const { answer } = await run(s, id, { decision: 'approve', changes: { phone: '+7 701 000 11 22' }, answer: 'Телефон обновлён по вашему заявлению.' });
    expect(answer).toContain('Исправлено по вашему запросу:\n    Телефон: +7 701 000 11 22\nГде: «Регистрационные данные пользователей сайта», «Подписка на уведомления о новых продуктах, услугах и специальных предложениях».');
    expect(answer).toContain('Ответ лица, ответственного за персональные данные:\nТелефон обновлён по вашему заявлению.');
    expect(s.sources.get('users')!.records[0]!.phone).toBe('+7 701 000 11 22');
  });
});

describe('a source retried after it destroyed records but answered too late', () => {
  /** The first erasure destroys the records, then times out before its answer arrives. */
  function answersLateOnce(s: MemorySystem) {
    const source = s.sources.get('customers')!;
    const erase = source.erase.bind(source);
    let calls = 0;
    source.erase = async (subject) => {
      const outcome = await erase(subject);
      if (++calls === 1) throw new Error('timed out after 10 s');
      return outcome;
    };
    return source;
  }

  it('counts what the first attempt destroyed: the answer and the audit say what really happened', async () => {
    const s = system('profiles/demo.json');
    const id = await create(s, 'aigerim@example.kz', ['erasure'], 'ru');
    const source = answersLateOnce(s);
    s.mailer.sent.length = 0;
    await planFulfilment(s.deps, id);
    await expect(applyToSource(s.deps, id, 'customers')).rejects.toThrow('timed out');
    await applyToSource(s.deps, id, 'customers'); // the workflow's retry
    await notifyAndAnswer(s.deps, id, aMinuteOn(s));
    const answer = s.mailer.sent.find((m) => m.to === 'aigerim@example.kz')!.text;
    expect(answer).toContain('Ваши данные уничтожены: «Клиентская база».');
    expect(answer).not.toContain('нечего');
    const applied = (await s.deps.audit.list(id)).filter((e) => e.type === 'source.applied').map((e) => e.detail);
    expect(applied).toEqual([{ sourceId: 'customers', attempt: 2, outcomes: { erasure: 'done: 2' } }]);
    expect(source.records.filter((r) => r.email === 'aigerim@example.kz')).toEqual([]);
  });

  it('keeps what an earlier attempt read: an access answer after a retried erasure still shows the data', async () => {
    const s = system('profiles/demo.json');
    const id = await create(s, 'aigerim@example.kz', ['access', 'erasure'], 'en');
    answersLateOnce(s);
    await planFulfilment(s.deps, id);
    await expect(applyToSource(s.deps, id, 'customers')).rejects.toThrow();
    await applyToSource(s.deps, id, 'customers');
    s.mailer.sent.length = 0;
    await notifyAndAnswer(s.deps, id, aMinuteOn(s));
    const answer = s.mailer.sent.find((m) => m.to === 'aigerim@example.kz')!.text;
    expect(answer).toContain('Record number: crm-1001');
    expect(answer).toContain('Your data is destroyed: "Customer database".');
  });
});

describe('an unclear mail', () => {
  it.each(['ru', 'kk', 'en'] as const)('is receipted in %s as read by a person, due by the strictest date, citing the article that sets it', async (language) => {
    const s = system('profiles/seeds/i-license.json');
    s.mailer.sent.length = 0;
    await create(s, 'asel.nurpeisova@mail.example', [], language);
    const receipt = s.mailer.sent[0]!.text;
    expect(receipt).not.toMatch(/: \.|\(\)/);
    const says = {
      ru: ['ваше письмо прочитает сотрудник', 'самый короткий срок', 'статья 25'],
      kk: ['хатыңызды дербес деректерге жауапты қызметкер оқиды', 'ең қысқа мерзімді', '25-бап'],
      en: ['the person responsible for personal data will read your message', 'the shortest term', 'Art. 25'],
    }[language];
    for (const text of says) expect(receipt).toContain(text);
    expect(receipt).not.toMatch(/изменение|дополнение|өзгерту|supplement|change or/i);
  });
});

describe('nothing found', () => {
  it.each([
    [['erasure'], 'Уничтожать было нечего: в проверенных системах нет персональных данных о вас.'],
    [['blocking'], 'Блокировать было нечего: в проверенных системах нет персональных данных о вас.'],
    [['unblocking'], 'Разблокировать было нечего: ваши данные не были заблокированы.'],
    [['rectification'], 'Исправлять было нечего: в проверенных системах нет тех сведений о вас, которые вы просили изменить.'],
  ] as const)('%j has its own sentence', async (types, sentence) => {
    const s = system('profiles/demo.json');
    const { answer } = await run(s, await create(s, 'nobody@mail.example', [...types], 'ru', { changes: { phone: '+7 700 000 00 00' } }));
    expect(answer).toContain(sentence);
    expect(answer).not.toContain('Изменять было нечего');
  });
});

describe('a processor that could not be told', () => {
  it('is an alert and open work for the operator, and the answer does not claim it was told', async () => {
    const s = system('profiles/seeds/vnedrah.json', { webhook: 'fails' });
    const id = await create(s, 'nurlan.abenov@mail.example', ['consent_withdrawal'], 'en');
    const { answer, alerts } = await run(s, id);
    const told = answer.split('\n').find((line) => line.startsWith('We have told'))!;
    expect(told).not.toContain('Sellers');
    expect(answer).toContain('We could not yet tell: Sellers and suppliers on vnedrah.com (end performers). The person responsible knows and will tell them.');
    expect(alerts).toEqual([`[${id}] Processors not told`]);
    expect(await s.deps.openWork.list()).toEqual([expect.objectContaining({ requestId: id, id: 'processor:sellers:consent_withdrawal', processorId: 'sellers' })]);
    const alert = s.mailer.sent.find((m) => m.subject.endsWith('Processors not told'))!.text;
    expect(alert).toContain(`npx derbes requests done ${id} processor:sellers:consent_withdrawal`);
  });
});

/** One rendering of the access package the run stored (both are one object, see publishAccessPackage). */
const packagePart = (s: { packages: { objects: Map<string, { body: string }> } }, format: 'json' | 'html') =>
  (JSON.parse([...s.packages.objects.values()][0]!.body) as Record<string, string>)[format]!;

describe('records as people read them', () => {
  it('show labels and formatted values, and withhold other people\'s data with the reason (answer and JSON copy)', async () => {
    const s = system('profiles/seeds/4sell-cashier.json');
    const id = await create(s, 'aruzhan.kaliyeva@mail.example', ['access'], 'ru');
    const { answer } = await run(s, id);
    expect(answer).toContain('    Должность: Кассир');
    expect(answer).toContain('    Время записи: 27 января 2026, 09:31 по времени Астаны');
    expect(answer).toContain('    Руководитель: не показано — это данные другого сотрудника из списка');
    expect(answer).not.toContain('Омарова');
    expect(answer).not.toMatch(/recordId|businessUser|recordedAt/);
    const json = packagePart(s, 'json');
    expect(json).not.toContain('Омарова');
    expect(JSON.parse(json).data.find((d: { source: string }) => d.source === 'staff').withheld).toEqual([
      expect.objectContaining({ field: 'manager', label: 'Руководитель', reason: expect.stringContaining('данные другого сотрудника') }),
    ]);
  });

  it('make the HTML copy a page: headings per part, tables, the person\'s language, printable', async () => {
    const s = system('profiles/seeds/i-license.json');
    await s.deps.consent.grant({ personKey: await s.deps.personKey('asel.nurpeisova@mail.example'), purposeId: 'advertising', at: new Date('2025-05-06T06:00:00Z'), channel: 'web', evidence: {} });
    const id = await create(s, 'asel.nurpeisova@mail.example', ['access'], 'kk');
    await run(s, id);
    const html = packagePart(s, 'html');
    expect(html).toContain('<html lang="kk">');
    for (const heading of ['Көздер бойынша деректер', 'Өңдеу мақсаттары мен құқықтық негіздері', 'Деректер қайда сақталады', 'Сақтау мерзімі', 'Алушылар мен өңдеушілер', 'Шекара арқылы беру', 'Келісімдер тарихы']) {
      expect(html, heading).toContain(`<h2>${heading}</h2>`);
    }
    expect(html).toMatch(/<td>Сома<\/td><td>150\s000\s₸<\/td>/);
    expect(html).toContain('@media print');
    expect(html).not.toContain('Ахметов');
  });
});

describe('correctable fields', () => {
  const profile = parseProfile(JSON.parse(readFileSync('profiles/seeds/vnedrah.json', 'utf8')), 'vnedrah');

  it('are declared with their types, one type per field across the sources', () => {
    const fields = correctableFields(profile);
    expect(fields.get('iin')).toMatchObject({ type: 'iin', label: { ru: 'ИИН', kk: 'ЖСН', en: 'IIN' } });
    expect(fields.get('phone')?.type).toBe('phone');
    expect(fields.has('loyaltyPoints')).toBe(false);
  });

  it('check what a person asks to correct: known fields and values of their type, never echoing the value', () => {
    expect(checkCorrections(profile, { phone: '+7 700 555 61 63', iin: '881102345128', birthDate: '1988-11-02' })).toEqual([]);
    const problems = checkCorrections(profile, { phone: 'call me', iin: '881102345129', loyaltyPoints: '99999', birthDate: '31.02.1988' });
    expect(problems.map((p) => p.field)).toEqual(['changes.phone', 'changes.iin', 'changes.loyaltyPoints', 'changes.birthDate']);
    expect(JSON.stringify(problems)).not.toContain('881102345129');
  });
});

describe('the answer to someone we hold nothing of', () => {
  // Aidana asked to see her data, withdrew her consent and opted out; no source holds anything of her, and she never
  // gave a consent the ledger knows of. Processors are still told (they may hold what we do not).
  const answerFor = async (language: Language) => {
    const s = systemFor('profiles/seeds/vnedrah.json');
    const request = await placeRequest(s, ['access', 'consent_withdrawal', 'marketing_opt_out'], { email: 'aidana.s@mail.example', name: 'Айдана', language });
    return runToAnswer(s, request.id);
  };

  it('says nothing is held, that her refusal is recorded for the future, and never that we processed her data (ru, kk, en)', async () => {
    const expected = {
      ru: { says: ['В проверенных системах нет персональных данных о вас.', 'Мы записали ваш отказ от согласия для целей:', 'отказ действует на будущее. Без вашего нового согласия мы не будем обрабатывать ваши данные в этих целях.', 'Мы сообщили о вашем запросе тем, кто обрабатывает персональные данные по нашему поручению или получает их от нас, — на случай, если у них есть данные о вас:', 'записан отказ от согласия на будущее'], never: /согласие отозвано|Мы больше не обрабатываем|Мы уведомили тех, кто обрабатывает ваши данные|Сохранено, так как/ },
      kk: { says: ['Тексерілген жүйелерде сіз туралы дербес деректер жоқ.', 'Мына мақсаттар үшін келісім беруден бас тартқаныңызды жазып алдық:', 'Жаңа келісіміңізсіз деректеріңізді бұл мақсаттарда өңдемейміз.', 'оларда сіз туралы деректер болуы мүмкін:', 'келісімнен бас тарту алдағы уақытқа жазылды'], never: /келісім кері қайтарып алынды|Бұдан былай деректеріңізді|Деректеріңізді біздің тапсырмамыз бойынша өңдейтіндерге|Заң талап ететіндіктен/ },
      en: { says: ['We have recorded that you refuse consent for these purposes:', 'Without your new consent, we will not process your data for them.', 'in case they hold data about you:', 'refusal of consent recorded for the future'], never: /consent withdrawn|consent is withdrawn|We no longer process|who process your data|as the law requires/ },
    } as const;
    for (const language of ['ru', 'kk', 'en'] as const) {
      const text = await answerFor(language);
      for (const sentence of expected[language].says) expect(text, language).toContain(sentence);
      expect(text.match(expected[language].never)?.[0], language).toBeUndefined();
    }
  });
});
