import { createHash } from 'node:crypto';
import type { DataSubjectRequest } from '../../../functions/domain/request.ts';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../../functions/domain/errors.ts';
import { applyDecision, basisText, decide, extendDeadline, parseDecision, requestDetail, requestView, resolveBasis, writeToPerson } from '../../../functions/use-cases/operator.ts';
import { receiveEmail } from '../../../functions/use-cases/receive-email.ts';
import { planFulfilment, requestDecision } from '../../../functions/use-cases/workflow-steps.ts';
import { mailsTo, movesAfterRead, NOW, OPERATOR, placeRequest, systemFor } from '../../support/flow.ts';
import type { MemorySentMail } from '../../support/memory-deps.ts';

async function awaitingDecision(types: Parameters<typeof placeRequest>[1] = ['claim'], profile = 'profiles/seeds/4sell.json') {
  const s = systemFor(profile);
  const request = await placeRequest(s, types, { email: 'arman.zhaksybekov@mail.example', language: 'ru' });
  await planFulfilment(s.deps, request.id);
  await requestDecision(s.deps, request.id, 'task-token');
  s.mailer.sent.length = 0;
  return { s, request };
}

describe('decide', () => {
  it('records an approval with the operator\'s answer and releases the waiting workflow', async () => {
    const { s, request } = await awaitingDecision();
    expect(await decide(s.deps, request.id, { decision: 'approve', answer: 'Refunded.' }, OPERATOR)).toEqual({ reference: request.id, decision: 'approve' });
    expect((await s.deps.requests.get(request.id)).decision).toEqual({ approved: true, decidedAt: NOW.toISOString(), decidedBy: OPERATOR.email, reason: undefined, answer: 'Refunded.' });
    expect(s.workflow.completed).toEqual([{ taskToken: 'task-token', output: { approved: true } }]);
    expect(await s.decisions.list()).toEqual([]);
  });

  it('classifies an unclear request and states a correction\'s changes for it', async () => {
    const { s, request } = await awaitingDecision([]);
    await decide(s.deps, request.id, { decision: 'approve', types: ['rectification'], changes: { phone: '+7 701 000 00 00' } }, OPERATOR);
    expect(await s.deps.requests.get(request.id)).toMatchObject({ types: ['rectification'], changes: { phone: '+7 701 000 00 00' }, status: 'AWAITING_DECISION' });
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'request.classified').map((e) => e.detail)).toEqual([{ types: ['rectification'], operator: OPERATOR }]);
  });

  it('refuses to approve a request nobody classified — with an answer or without — saying to classify it first and how, and leaves it waiting', async () => {
    const { s, request } = await awaitingDecision([]);
    for (const input of [{ decision: 'approve' as const, answer: 'Ответим.' }, { decision: 'approve' as const }]) {
      const refused = decide(s.deps, request.id, input, OPERATOR);
      await expect(refused).rejects.toBeInstanceOf(ValidationError);
      await expect(refused).rejects.toMatchObject({
        problems: [{ field: 'types', kind: 'required', message: expect.stringContaining(`is not classified yet: say what it asks for first — give its types with the approval (derbes decisions approve ${request.id} --type <type>`) }],
      });
    }
    expect(await s.decisions.list()).toHaveLength(1);
    expect(s.workflow.completed).toEqual([]);
    expect(await s.deps.requests.get(request.id)).toMatchObject({ types: [], status: 'AWAITING_DECISION' });
    expect(await s.deps.requests.get(request.id)).not.toHaveProperty('decision');
    // Refusing it (spam, say) needs no types.
    await decide(s.deps, request.id, { decision: 'deny', reason: 'Не запрос.', basis: 'Письмо не является запросом' }, OPERATOR);
    expect(s.workflow.completed).toEqual([{ taskToken: 'task-token', output: { approved: false } }]);
  });

  it('refuses a refusal without a basis, naming the grounds that fit, and leaves the decision pending', async () => {
    const { s, request } = await awaitingDecision();
    const refused = decide(s.deps, request.id, { decision: 'deny', reason: 'No.' }, OPERATOR);
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ problems: [{ field: 'basis', message: expect.stringMatching(/^a refusal needs a legal basis.*; grounds for this request: kz-/) }] });
    expect(await s.decisions.list()).toHaveLength(1);
    expect(s.workflow.completed).toEqual([]);
  });

  it('refuses an approval that would answer untruly — a claim without its answer, a correction without its changes — and leaves the decision pending', async () => {
    const claim = await awaitingDecision();
    await expect(decide(claim.s.deps, claim.request.id, { decision: 'approve' }, OPERATOR)).rejects.toMatchObject({ problems: [{ field: 'answer', message: 'a claim is approved with the answer the person receives' }] });
    expect(await claim.s.decisions.list()).toHaveLength(1);
    const correction = await awaitingDecision(['rectification']);
    await expect(decide(correction.s.deps, correction.request.id, { decision: 'approve' }, OPERATOR)).rejects.toMatchObject({ problems: [{ field: 'changes', message: expect.stringContaining('each field and its new value') }] });
    expect(correction.s.workflow.completed).toEqual([]);
    expect(await correction.s.deps.requests.get(correction.request.id)).not.toHaveProperty('decision');
  });

  it('tells a second operator the decision was already taken (a conflict, not a missing request), and changes nothing', async () => {
    const { s, request } = await awaitingDecision();
    await decide(s.deps, request.id, { decision: 'approve', answer: 'Refunded.' }, OPERATOR);
    const trail = await s.deps.audit.list(request.id);
    await expect(decide(s.deps, request.id, { decision: 'deny', reason: 'No.', basis: 'Written basis' }, OPERATOR)).rejects.toThrow(new ConflictError(`${request.id} is no longer waiting for a decision: it was decided or moved on meanwhile`));
    expect((await s.deps.requests.get(request.id)).decision).toMatchObject({ approved: true, answer: 'Refunded.' });
    expect(await s.deps.audit.list(request.id)).toEqual(trail);
  });

  it('answers an unknown request as not found', async () => {
    const { s } = await awaitingDecision();
    await expect(decide(s.deps, 'DRB-00000-00000', { decision: 'approve', answer: 'Refunded.' }, OPERATOR)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('puts the decision back when the wait has just ended, and says to decide once more', async () => {
    const { s, request } = await awaitingDecision();
    s.workflow.ended.add('task-token');
    await expect(decide(s.deps, request.id, { decision: 'approve', answer: 'Refunded.' }, OPERATOR)).rejects.toThrow(new ConflictError(`the wait for a decision on ${request.id} has just ended; list the decisions again and decide once more`));
    expect(await s.decisions.list()).toEqual([expect.objectContaining({ requestId: request.id, taskToken: 'task-token' })]);
  });
});

describe('requestDetail', () => {
  it('shows who asked, their words from the mail, and the mail both ways; the person\'s reply joins the thread', async () => {
    const s = systemFor('profiles/demo.json');
    const verdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' } as const;
    const raw = (headers: string[], body: string) => new TextEncoder().encode([...headers, 'From: Айгерим <aigerim@example.kz>', 'To: privacy@derbes.local', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
    const made = await receiveEmail(s.deps, 'ses-1', raw(['Subject: Телефон', 'Message-ID: <p1@mail.example.kz>'], 'Прошу изменить мой телефон на +7 701 000 11 22'), verdicts);
    const id = made.requestId!;
    await s.deps.requests.transition(id, 'RECEIVED', 'AWAITING_VERIFICATION');
    await receiveEmail(s.deps, 'ses-2', raw([`Subject: Re: Телефон [${id}]`, 'Message-ID: <p2@mail.example.kz>'], 'Копия удостоверения во вложении.'), verdicts);
    const detail = await requestDetail(s.deps, id);
    expect(detail).toMatchObject({ reference: id, email: 'aigerim@example.kz', name: 'Айгерим', channel: 'email', verified: false, subject: 'Телефон', message: 'Прошу изменить мой телефон на +7 701 000 11 22' });
    expect(detail.thread.map((m) => [m.direction, m.messageId])).toEqual([
      ['in', '<p1@mail.example.kz>'],
      ['in', '<p2@mail.example.kz>'],
    ]);
  });
});

describe('requestDetail, for the console in every language', () => {
  it('names what the trail names by id as the profile calls it, and says why a decision was asked for in each language', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { language: 'ru' });
    await planFulfilment(s.deps, request.id);
    const detail = await requestDetail(s.deps, request.id);
    expect(detail.names.sources.customers).toEqual({ ru: 'Клиентская база', kk: 'Клиенттер базасы', en: 'Customer database' });
    expect(Object.keys(detail.names.purposes)).toEqual(s.deps.profile.purposes.map((p) => p.id));
    const asked = detail.audit.find((e) => e.type === 'decision.requested') as { described?: Record<string, string>; detail: { reasons: string[] } };
    expect(asked.detail.reasons).toEqual(['a claim is always decided by the responsible person']);
    expect(asked.described).toEqual({
      ru: 'претензию всегда рассматривает ответственное лицо',
      kk: expect.stringMatching(/\S/),
      en: 'a claim is always decided by the responsible person',
    });
    // A claim's term is no law's: the console says so, and where it comes from, in the operator's language.
    expect(detail.deadlineRule.origin).toBe('default');
    expect(detail.deadlineRule.source.ru).toMatch(/^Срок по умолчанию в derbes: закон срока не устанавливает/);
    expect(detail.deadlineRule.source.kk).toMatch(/^derbes әдепкі мерзімі: заң мерзім белгілемейді/);
    expect(detail.rule.origin).toBe('default');
  });
});

describe('writeToPerson', () => {
  it('mails the operator\'s words once to a confirmed address, in the person\'s notice, kept for other operators with who wrote them', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { language: 'kk', name: 'Айгерім' });
    const words = 'Шарт нөмірін жіберіңізші.';
    const sent = await writeToPerson(s.deps, request.id, `  ${words} `, OPERATOR, 'compose-1');
    // A double click: the same key again is the same mail.
    expect(await writeToPerson(s.deps, request.id, words, OPERATOR, 'compose-1')).toEqual(sent);
    const mails = mailsTo(s, request.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ messageId: sent.messageId, subject: `[${request.id}] Сұрауыңыз бойынша хабарлама` });
    expect(mails[0]!.text).toContain(`Сәлеметсіз бе, Айгерім!\n\n${words}\n`);
    const detail = await requestDetail(s.deps, request.id);
    expect(detail.thread.filter((m) => m.direction === 'out').at(-1)).toMatchObject({ template: 'operatorMessage', messageId: sent.messageId, text: words, by: OPERATOR.email });
    expect(detail.audit.filter((e) => e.type === 'operator.wrote').map((e) => e.detail)).toEqual([{ messageId: sent.messageId, operator: OPERATOR }]);
  });

  it('sends the same words twice when the operator writes them twice, and keys the mail by no hash of the words', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { language: 'ru' });
    const words = 'Напомним: нужен номер договора.';
    const first = await writeToPerson(s.deps, request.id, words, OPERATOR, 'compose-1');
    const second = await writeToPerson(s.deps, request.id, words, OPERATOR, 'compose-2');
    const third = await writeToPerson(s.deps, request.id, words, OPERATOR);
    expect(new Set([first.messageId, second.messageId, third.messageId]).size).toBe(3);
    expect(mailsTo(s, request.email)).toHaveLength(3);
    expect((await s.deps.requests.get(request.id)).operatorMessages?.map((m) => m.text)).toEqual([words, words, words]);
    const textHash = createHash('sha256').update(words).digest('hex');
    const ledger = [...(s.deps.sentMail as MemorySentMail).entries.keys()].filter((k) => k.includes('/operatorMessage/'));
    expect(ledger).toHaveLength(3);
    for (const key of ledger) expect(textHash).not.toContain(key.split('/').at(-1));
  });

  it('keeps both of two messages written at the same instant', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { language: 'en' });
    await Promise.all([writeToPerson(s.deps, request.id, 'One.', OPERATOR), writeToPerson(s.deps, request.id, 'Two.', OPERATOR)]);
    expect((await s.deps.requests.get(request.id)).operatorMessages?.map((m) => m.text).sort()).toEqual(['One.', 'Two.']);
  });

  it('keeps the words of a mail that went out while the workflow moved the request on', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { language: 'ru' });
    const send = s.mailer.send.bind(s.mailer);
    s.mailer.send = async (mail) => {
      const result = await send(mail);
      await s.deps.requests.transition(request.id, request.status, 'AWAITING_DECISION');
      return result;
    };
    const sent = await writeToPerson(s.deps, request.id, 'Пришлите, пожалуйста, номер договора.', OPERATOR);
    expect(await s.deps.requests.get(request.id)).toMatchObject({
      status: 'AWAITING_DECISION',
      operatorMessages: [{ messageId: sent.messageId, by: OPERATOR.email, text: 'Пришлите, пожалуйста, номер договора.' }],
    });
  });

  it('keeps the words when the workflow moves the request between reading it and writing them', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { language: 'ru' });
    movesAfterRead(s, request.id, 'AWAITING_DECISION', 2);
    const sent = await writeToPerson(s.deps, request.id, 'Пришлите, пожалуйста, номер договора.', OPERATOR);
    expect(await s.deps.requests.get(request.id)).toMatchObject({ status: 'AWAITING_DECISION', operatorMessages: [{ messageId: sent.messageId, text: 'Пришлите, пожалуйста, номер договора.' }] });
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'operator.wrote')).toHaveLength(1);
  });

  it('writes nothing to an address that has not confirmed, and nothing empty', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { status: 'AWAITING_VERIFICATION' });
    await expect(writeToPerson(s.deps, request.id, 'Hello', OPERATOR)).rejects.toBeInstanceOf(ConflictError);
    await expect(writeToPerson(s.deps, request.id, '   ', OPERATOR)).rejects.toThrow(/text: write what the person should read/);
    expect(mailsTo(s, request.email)).toEqual([]);
  });
});

describe('applyDecision', () => {
  it('moves an approved request on, once', async () => {
    const { s, request } = await awaitingDecision();
    await decide(s.deps, request.id, { decision: 'approve', answer: 'Refunded.' }, OPERATOR);
    expect(await applyDecision(s.deps, request.id)).toEqual({ approved: true });
    expect(await applyDecision(s.deps, request.id)).toEqual({ approved: true });
    expect((await s.deps.requests.get(request.id)).status).toBe('IN_PROGRESS');
    expect(s.mailer.sent).toEqual([]);
  });

  it('refuses with the operator\'s reason and the ground\'s text in the person\'s language, and closes the request', async () => {
    const { s, request } = await awaitingDecision();
    await decide(s.deps, request.id, { decision: 'deny', reason: 'Претензия не подтверждена.', basis: 'kz-identity-not-confirmed' }, OPERATOR);
    expect(await applyDecision(s.deps, request.id)).toEqual({ approved: false });
    const [refusal] = mailsTo(s, request.email);
    expect(refusal!.subject).toBe(`[${request.id}] Отказ в выполнении запроса`);
    expect(refusal!.text).toContain('Причина: Претензия не подтверждена.');
    expect(refusal!.text).toMatch(/Основание: .*статья/);
    expect(await s.deps.requests.get(request.id)).toMatchObject({ status: 'REFUSED', closedAt: NOW.toISOString() });
  });

  it('a step that recorded the refusal but could not mail it (the relay refused) mails it when it runs again, once', async () => {
    const { s, request } = await awaitingDecision();
    await decide(s.deps, request.id, { decision: 'deny', reason: 'Претензия не подтверждена.', basis: 'kz-identity-not-confirmed' }, OPERATOR);
    s.mailer.refused.add(request.email);
    await expect(applyDecision(s.deps, request.id)).rejects.toThrow(/mail delivery failed/);
    expect((await s.deps.requests.get(request.id)).status).toBe('REFUSED');
    s.mailer.refused.clear();
    expect(await applyDecision(s.deps, request.id)).toEqual({ approved: false });
    expect(await applyDecision(s.deps, request.id)).toEqual({ approved: false });
    const refusals = mailsTo(s, request.email);
    expect(refusals.map((m) => m.subject)).toEqual([`[${request.id}] Отказ в выполнении запроса`]);
    expect(refusals[0]!.text).toContain('Причина: Претензия не подтверждена.');
  });

  it('refuses a claim examined and found without a breach on that ground, and tells the person where to turn next', async () => {
    const { s, request } = await awaitingDecision();
    await decide(s.deps, request.id, { decision: 'deny', reason: 'Списание по договору верное: оплата за март прошла один раз.', basis: 'kz-claim-no-violation' }, OPERATOR);
    await applyDecision(s.deps, request.id);
    const [refusal] = mailsTo(s, request.email);
    expect(refusal!.text).toContain(
      'Основание: рассмотрев претензию, мы проверили сбор и обработку ваших персональных данных и нарушений закона не выявили: данные обрабатываются на законном основании и на условиях, которые закон устанавливает (Закон Республики Казахстан № 94-V «О персональных данных и их защите», статьи 7 и 25)',
    );
    expect(refusal!.text).toContain('обратиться в уполномоченный орган в сфере защиты персональных данных или в суд');
  });
});

describe('resolveBasis and basisText', () => {
  it('take a ground that fits, or the operator\'s own words, and refuse a typo or a ground of another type', async () => {
    expect(await resolveBasis('KZ', ['access'], 'kz-third-party-data')).toEqual({ ground: 'kz-third-party-data' });
    expect(await resolveBasis('KZ', ['claim'], 'Article 5 of our contract')).toEqual({ text: 'Article 5 of our contract' });
    await expect(resolveBasis('KZ', ['claim'], 'kz-no-such-ground')).rejects.toThrow(ValidationError);
    await expect(resolveBasis('KZ', ['access'], 'kz-withdrawal-contradicts-law')).rejects.toThrow(/does not apply to access/);
    expect(await basisText('KZ', { text: 'our words' }, 'en', 'fallback')).toBe('our words');
    expect(await basisText('KZ', undefined, 'en', 'fallback')).toBe('fallback');
  });

  it('parseDecision names every field a refusal lacks, at once', () => {
    expect(() => parseDecision({ decision: 'deny' })).toThrow(
      expect.objectContaining({ problems: [expect.objectContaining({ field: 'reason', kind: 'required' }), expect.objectContaining({ field: 'basis', kind: 'required' })] }),
    );
    // A reason without a basis passes here: decide names the basis with the grounds that fit the request.
    expect(parseDecision({ decision: 'deny', reason: 'Списание верное.' })).toMatchObject({ decision: 'deny' });
  });
});

describe('extendDeadline', () => {
  it('extends where the rule allows: a reasoned notice with the new date, and an audit event', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, jurisdiction: 'EU' }) });
    const request = await placeRequest(s, ['access']);
    const view = await extendDeadline(s.deps, request.id, '  Three archives to search.  ', OPERATOR);
    const extended = await s.deps.requests.get(request.id);
    expect(Date.parse(extended.deadline.dueAt)).toBeGreaterThan(Date.parse(request.deadline.dueAt));
    expect(view).toMatchObject({ reference: request.id, dueAt: extended.deadline.dueAt });
    const [notice] = mailsTo(s, request.email);
    expect(notice!.subject).toBe(`[${request.id}] We need more time to answer your request`);
    expect(notice!.text).toContain('Reason: Three archives to search.');
    const event = (await s.deps.audit.list(request.id)).find((e) => e.type === 'deadline.extended');
    expect(event!.detail).toMatchObject({ from: request.deadline.dueAt, to: extended.deadline.dueAt });
  });

  it('needs a reason, and refuses a closed request', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, jurisdiction: 'EU' }) });
    const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
    await expect(extendDeadline(s.deps, request.id, ' ', OPERATOR)).rejects.toMatchObject({ problems: [{ field: 'reason' }] });
    await s.deps.requests.transition(request.id, 'AWAITING_VERIFICATION', 'CLOSED_UNVERIFIED');
    await expect(extendDeadline(s.deps, request.id, 'More time', OPERATOR)).rejects.toBeInstanceOf(ConflictError);
    expect(s.mailer.sent).toEqual([]);
  });

  it('extends an open request whose status the workflow moved between the read and the write', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, jurisdiction: 'EU' }) });
    const request = await placeRequest(s, ['access'], { status: 'RECEIVED' });
    movesAfterRead(s, request.id, 'AWAITING_VERIFICATION');
    await extendDeadline(s.deps, request.id, 'Three archives to search.', OPERATOR);
    const extended = await s.deps.requests.get(request.id);
    expect(extended.status).toBe('AWAITING_VERIFICATION');
    expect(Date.parse(extended.deadline.dueAt)).toBeGreaterThan(Date.parse(request.deadline.dueAt));
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'deadline.extended')).toHaveLength(1);
    expect(mailsTo(s, request.email).map((m) => m.subject)).toEqual([`[${request.id}] We need more time to answer your request`]);
  });

  it('refuses a request that closed between the read and the write, and leaves its due date', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, jurisdiction: 'EU' }) });
    const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
    movesAfterRead(s, request.id, 'CLOSED_UNVERIFIED');
    await expect(extendDeadline(s.deps, request.id, 'More time', OPERATOR)).rejects.toThrow(new ConflictError(`request ${request.id} is closed (CLOSED_UNVERIFIED)`));
    expect((await s.deps.requests.get(request.id)).deadline).toEqual(request.deadline);
    expect(s.mailer.sent).toEqual([]);
  });

  it('extends once when two operators extend at the same time', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, jurisdiction: 'EU' }) });
    const request = await placeRequest(s, ['access']);
    const both = await Promise.allSettled([extendDeadline(s.deps, request.id, 'One.', OPERATOR), extendDeadline(s.deps, request.id, 'Two.', OPERATOR)]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'deadline.extended')).toHaveLength(1);
    expect(mailsTo(s, request.email)).toHaveLength(1);
  });

  it('is refused under Law 94-V, which allows no extension, and the due date stays', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    await expect(extendDeadline(s.deps, request.id, 'More time', OPERATOR)).rejects.toThrow();
    expect((await s.deps.requests.get(request.id)).deadline).toEqual(request.deadline);
    expect(s.mailer.sent).toEqual([]);
  });
});

describe('requestView', () => {
  it('shows where a request stands without anything personal, and flags it overdue after the due date', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    const view = requestView(request, new Date(Date.parse(request.deadline.dueAt) + 1000), s.deps.profile.escalation);
    expect(view).toMatchObject({ reference: request.id, status: 'IN_PROGRESS', overdue: true });
    expect(JSON.stringify(view)).not.toContain(request.email);
  });

  it('flags nothing on a request no longer owed an answer, whatever the date: answered, refused, closed', async () => {
    const s = systemFor('profiles/demo.json');
    const placed = await placeRequest(s, ['access']);
    const after = new Date(Date.parse(placed.deadline.dueAt) + 1000);
    for (const status of ['COMPLETED', 'REFUSED', 'CLOSED_UNVERIFIED', 'NOT_A_REQUEST'] as const) {
      const closed: DataSubjectRequest = { ...placed, status, closedAt: placed.receivedAt };
      expect(requestView(closed, after, s.deps.profile.escalation), status).toMatchObject({ open: false, overdue: false, atRisk: false });
    }
  });
});
