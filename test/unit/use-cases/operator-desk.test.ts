import { describe, expect, it } from 'vitest';
import { ConflictError, IdempotencyKeyReusedError, ValidationError } from '../../../functions/domain/errors.ts';
import { hashSecretCode } from '../../../functions/domain/secret-code.ts';
import { anonymisedRequest } from '../../../functions/domain/own-records.ts';
import { MAX_NOTES } from '../../../functions/domain/request.ts';
import { INBOX_PAGE_SIZE, inbox } from '../../../functions/use-cases/inbox.ts';
import { addNote, classify, enterRequest } from '../../../functions/use-cases/operator-actions.ts';
import { requestDetail } from '../../../functions/use-cases/operator.ts';
import { receiveEmail } from '../../../functions/use-cases/receive-email.ts';
import { submitRequest } from '../../../functions/use-cases/submit-request.ts';
import { requestVerification } from '../../../functions/use-cases/verification.ts';
import { planFulfilment, requestDecision } from '../../../functions/use-cases/workflow-steps.ts';
import { afterRead, auditTypes, mailsTo, movesAfterRead, NOW, OPERATOR, placeRequest, runToAnswer, systemFor } from '../../support/flow.ts';

const DAY = 86_400_000;
const PASS = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' } as const;
const mail = (headers: string[], body: string) =>
  new TextEncoder().encode([...headers, 'From: Aigerim <aigerim@example.kz>', 'To: privacy@derbes.local', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));

async function submitted(s: ReturnType<typeof systemFor>, email: string, types: Parameters<typeof placeRequest>[1] = ['access']) {
  return (await submitRequest(s.deps, { types, email, language: 'en' }, 'web')).request;
}

describe('inbox', () => {
  it('counts every filter over the open requests and lists one filter\'s requests by due date', async () => {
    const s = systemFor('profiles/demo.json');
    const waiting = await placeRequest(s, ['claim'], { email: 'a@example.kz' });
    await planFulfilment(s.deps, waiting.id);
    await requestDecision(s.deps, waiting.id, 'token');
    const unclear = await placeRequest(s, [], { email: 'b@example.kz' });
    const failed = await placeRequest(s, ['access'], { email: 'c@example.kz' });
    await s.deps.requests.amend(failed.id, 'IN_PROGRESS', { attention: { step: 'ApplyToSource', code: 'source_unavailable', since: NOW.toISOString() } }, []);
    const replied = await placeRequest(s, ['erasure'], { email: 'd@example.kz' });
    await s.deps.requests.amend(replied.id, 'IN_PROGRESS', { replies: [{ at: NOW.toISOString(), sesMessageId: 'ses-9', text: 'Any news?' }] }, []);

    const all = await inbox(s.deps, {});
    expect(all.counts).toMatchObject({ all: 4, open: 4, needsDecision: 1, needsClassification: 1, failure: 1, newReply: 1, overdue: 0 });
    expect(all.requests.map((r) => r.reference)).toHaveLength(4);
    expect((await inbox(s.deps, { filter: 'needsClassification' })).requests.map((r) => r.reference)).toEqual([unclear.id]);
    expect((await inbox(s.deps, { filter: 'failure' })).requests).toEqual([expect.objectContaining({ reference: failed.id, email: 'c@example.kz', flags: ['failure'], attention: expect.objectContaining({ code: 'source_unavailable' }) })]);
    expect((await inbox(s.deps, { filter: 'newReply' })).requests.map((r) => r.reference)).toEqual([replied.id]);

    // Answered: the reply is no longer new.
    s.setNow(new Date(NOW.getTime() + 60_000));
    const { writeToPerson } = await import('../../../functions/use-cases/operator.ts');
    await writeToPerson(s.deps, replied.id, 'We are on it.', OPERATOR);
    expect((await inbox(s.deps, {})).counts.newReply).toBe(0);
  });

  it('counts in `all` every request the unfiltered list shows: the open ones, and an answered one the person wrote to again', async () => {
    const s = systemFor('profiles/demo.json');
    const open = await placeRequest(s, ['access'], { email: 'a@example.kz' });
    const answered = await placeRequest(s, ['claim'], { email: 'b@example.kz' });
    await runToAnswer(s, answered.id, { decision: 'approve', answer: 'Done.' });
    s.setNow(new Date(NOW.getTime() + 60_000));
    const reply = ['From: b@example.kz', 'To: privacy@derbes.local', `Subject: Re: [${answered.id}]`, '', 'It is not done.', ''].join('\r\n');
    await receiveEmail(s.deps, 'ses-after', new TextEncoder().encode(reply), PASS);

    const all = await inbox(s.deps, {});
    expect(all.requests.map((r) => r.reference)).toEqual([open.id, answered.id]);
    expect(all.counts).toMatchObject({ all: 2, open: 1, newReply: 1 });
    expect(all.total).toBe(all.counts.all);
  });

  it('lists a page at a time and says how many there are: none is left out, none listed twice', async () => {
    const s = systemFor('profiles/demo.json');
    const placed = [];
    for (let i = 0; i < INBOX_PAGE_SIZE + 7; i++) placed.push((await placeRequest(s, ['access'], { email: `p${i}@example.kz` })).id);
    const first = await inbox(s.deps, {});
    expect(first).toMatchObject({ total: INBOX_PAGE_SIZE + 7, page: 1, pages: 2, counts: { all: INBOX_PAGE_SIZE + 7, open: INBOX_PAGE_SIZE + 7 } });
    expect(first.requests).toHaveLength(INBOX_PAGE_SIZE);
    const second = await inbox(s.deps, { page: '2' });
    expect(second).toMatchObject({ page: 2, pages: 2 });
    expect([...first.requests, ...second.requests].map((r) => r.reference).sort()).toEqual([...placed].sort());
    // Past the last page: the last page, not an empty list that looks like no work.
    expect((await inbox(s.deps, { page: '9' })).page).toBe(2);
    await expect(inbox(s.deps, { page: '0' })).rejects.toMatchObject({ problems: [expect.objectContaining({ field: 'page' })] });
  });

  it('flags at risk and overdue requests as time passes', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    s.setNow(new Date(Date.parse(request.deadline.dueAt) - 3_600_000));
    expect((await inbox(s.deps, { filter: 'atRisk' })).requests.map((r) => r.reference)).toEqual([request.id]);
    s.setNow(new Date(Date.parse(request.deadline.dueAt) + 1000));
    const late = await inbox(s.deps, { filter: 'overdue' });
    expect(late.counts).toMatchObject({ overdue: 1, atRisk: 0 });
    expect(late.requests[0]!.flags).toEqual(['overdue']);
  });

  it('finds a reference, and every request of an address by its keyed hash — closed ones too', async () => {
    const s = systemFor('profiles/demo.json');
    const first = await submitted(s, 'Person@Example.kz');
    const second = await submitted(s, 'person@example.kz', ['erasure']);
    await submitted(s, 'other@example.kz');
    expect(first.personKey).toBe(await s.deps.personKey('person@example.kz'));
    expect(first.personKey).not.toContain('person');
    const byAddress = await inbox(s.deps, { q: ' PERSON@example.kz ' });
    expect(byAddress.requests.map((r) => r.reference).sort()).toEqual([first.id, second.id].sort());
    expect((await inbox(s.deps, { q: first.id.toLowerCase() })).requests.map((r) => r.reference)).toEqual([first.id]);
    expect((await inbox(s.deps, { q: 'DRB-00000-00000' })).requests).toEqual([]);
    await expect(inbox(s.deps, { q: 'Aigerim' })).rejects.toMatchObject({ problems: [{ field: 'q', message: expect.stringContaining('a reference') }] });
    await expect(inbox(s.deps, { filter: 'everything' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('forgets the address\'s keyed hash when the request is anonymised', () => {
    const request = { id: 'DRB-1', personKey: 'k', email: 'a@b.kz', notes: [{ id: 'n', at: 'x', by: 'op', text: 'Called back.' }] } as never;
    const anonymised = anonymisedRequest(request, NOW.toISOString(), 'digest');
    expect(anonymised).not.toHaveProperty('personKey');
    expect(anonymised.notes).toEqual([{ id: 'n', at: 'x', by: 'op', text: '[erased]' }]);
  });
});

describe('addNote', () => {
  it('keeps a note for operators, records it in the trail by id, mails nothing, and keeps two written at once', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim']);
    s.mailer.sent.length = 0;
    const [one, two] = await Promise.all([addNote(s.deps, request.id, { text: ' Called the person. ' }, OPERATOR), addNote(s.deps, request.id, { text: 'Second.' }, OPERATOR)]);
    expect(one).toMatchObject({ text: 'Called the person.', by: OPERATOR.email });
    const detail = await requestDetail(s.deps, request.id);
    expect(detail.notes.map((n) => n.text)).toEqual(['Called the person.', 'Second.']);
    expect(detail.audit.filter((e) => e.type === 'operator.noted').map((e) => e.detail)).toEqual([
      { noteId: one.id, operator: OPERATOR },
      { noteId: two.id, operator: OPERATOR },
    ]);
    expect(JSON.stringify(detail.audit)).not.toContain('Called the person');
    expect(s.mailer.sent).toEqual([]);
    await expect(addNote(s.deps, request.id, { text: '  ' }, OPERATOR)).rejects.toMatchObject({ problems: [{ field: 'text', message: 'write the note' }] });
    await expect(addNote(s.deps, request.id, { text: 'x', extra: 1 }, OPERATOR)).rejects.toBeInstanceOf(ValidationError);
  });

  it('keeps a note when the workflow moves the request between reading it and writing the note', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { status: 'AWAITING_VERIFICATION' });
    movesAfterRead(s, request.id, 'IN_PROGRESS');
    const note = await addNote(s.deps, request.id, { text: 'Called the person.' }, OPERATOR);
    expect(await s.deps.requests.get(request.id)).toMatchObject({ status: 'IN_PROGRESS', notes: [{ id: note.id, text: 'Called the person.' }] });
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'operator.noted').map((e) => e.detail)).toEqual([{ noteId: note.id, operator: OPERATOR }]);
  });

  it('refuses a note once the request holds the most notes, when the last place was taken meanwhile', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { status: 'AWAITING_VERIFICATION' });
    for (let n = 1; n < MAX_NOTES; n++) await addNote(s.deps, request.id, { text: `Note ${n}.` }, OPERATOR);
    afterRead(s, request.id, async (read) => {
      await addNote(s.deps, request.id, { text: 'The last one.' }, OPERATOR);
      await s.deps.requests.transition(request.id, read.status, 'IN_PROGRESS');
    });
    await expect(addNote(s.deps, request.id, { text: 'One too many.' }, OPERATOR)).rejects.toThrow(new ConflictError(`${request.id} has ${MAX_NOTES} notes, the most one request keeps`));
    const notes = (await s.deps.requests.get(request.id)).notes ?? [];
    expect(notes).toHaveLength(MAX_NOTES);
    expect(notes.at(-1)?.text).toBe('The last one.');
  });
});

describe('classify', () => {
  it('gives unclear mail its types and releases it, and refuses a request that has types', async () => {
    const s = systemFor('profiles/demo.json');
    const made = await receiveEmail(s.deps, 'ses-1', mail(['Subject: Вопрос', 'Message-ID: <q1@mail.example>'], 'Здравствуйте, у меня вопрос.'), PASS);
    const id = made.requestId!;
    await s.deps.requests.transition(id, 'RECEIVED', 'AWAITING_VERIFICATION');
    await s.deps.requests.transition(id, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt: NOW.toISOString() });
    await planFulfilment(s.deps, id);
    await requestDecision(s.deps, id, 'token');
    expect((await inbox(s.deps, { filter: 'needsClassification' })).requests.map((r) => r.reference)).toEqual([id]);
    await expect(classify(s.deps, id, { types: [] }, OPERATOR)).rejects.toMatchObject({ problems: [{ field: 'types', message: 'choose at least one request type' }] });
    await expect(classify(s.deps, id, { types: Array(9).fill('access') }, OPERATOR)).rejects.toMatchObject({ problems: [{ field: 'types', kind: 'tooMany', limit: 8 }] });
    await classify(s.deps, id, { types: ['access', 'access'] }, OPERATOR);
    expect(await s.deps.requests.get(id)).toMatchObject({ types: ['access'], decision: { approved: true, decidedBy: OPERATOR.email } });
    expect(s.workflow.completed).toEqual([{ taskToken: 'token', output: { approved: true } }]);
    await expect(classify(s.deps, id, { types: ['erasure'] }, OPERATOR)).rejects.toBeInstanceOf(ConflictError);
    expect((await s.deps.audit.list(id)).filter((e) => e.type === 'request.classified').map((e) => e.detail)).toEqual([{ types: ['access'], operator: OPERATOR }]);
  });

  async function unclearWaiting(s: ReturnType<typeof systemFor>, body: string) {
    const made = await receiveEmail(s.deps, 'ses-2', mail(['Subject: Вопрос 0', 'Message-ID: <q2@mail.example>'], body), PASS);
    const id = made.requestId!;
    await s.deps.requests.transition(id, 'RECEIVED', 'AWAITING_VERIFICATION');
    await s.deps.requests.transition(id, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt: NOW.toISOString() });
    await planFulfilment(s.deps, id);
    await requestDecision(s.deps, id, 'token');
    return id;
  }

  it('keeps a correction whose changes nobody stated waiting for the operator\'s decision, now as a correction: nothing is answered', async () => {
    const s = systemFor('profiles/demo.json');
    const id = await unclearWaiting(s, 'У вас неверно записан мой город, я живу в Шымкенте.');
    expect(await classify(s.deps, id, { types: ['rectification'] }, OPERATOR)).toEqual({ reference: id, types: ['rectification'], decision: 'pending' });
    expect(await s.deps.requests.get(id)).toMatchObject({ status: 'AWAITING_DECISION', types: ['rectification'] });
    expect(await s.deps.requests.get(id)).not.toHaveProperty('decision');
    expect(s.workflow.completed).toEqual([]);
    expect((await inbox(s.deps, { filter: 'needsDecision' })).requests.map((r) => r.reference)).toEqual([id]);
    expect((await s.deps.audit.list(id)).map((e) => e.type)).toContain('request.classified');
    // The operator then decides it as any correction: with the change stated, which releases the wait.
    const { decide } = await import('../../../functions/use-cases/operator.ts');
    await decide(s.deps, id, { decision: 'approve', changes: { city: 'Шымкент' } }, OPERATOR);
    expect(await s.deps.requests.get(id)).toMatchObject({ types: ['rectification'], changes: { city: 'Шымкент' }, decision: { approved: true } });
    expect(s.workflow.completed).toEqual([{ taskToken: 'token', output: { approved: true } }]);
  });

  it('keeps a claim waiting for the decision of the person who answers claims, and refuses a second classification', async () => {
    const s = systemFor('profiles/demo.json');
    const id = await unclearWaiting(s, 'Мне не нравится, как вы со мной обошлись.');
    expect((await classify(s.deps, id, { types: ['claim'] }, OPERATOR)).decision).toBe('pending');
    expect(s.workflow.completed).toEqual([]);
    await expect(classify(s.deps, id, { types: ['access'] }, OPERATOR)).rejects.toBeInstanceOf(ConflictError);
    expect(await s.deps.requests.get(id)).toMatchObject({ status: 'AWAITING_DECISION', types: ['claim'] });
  });
});

describe('enterRequest', () => {
  const phoneCall = { channel: 'phone', receivedAt: '2026-02-02', identity: 'mail', types: ['access'], email: 'caller@example.kz', name: 'Caller', language: 'ru', message: 'Позвонил, просит копию данных.' };

  it('enters a phone request through the intake: persisted first, deadline from the day received, one request per key', async () => {
    const s = systemFor('profiles/demo.json');
    const { request, created } = await enterRequest(s.deps, phoneCall, OPERATOR, { key: 'operator:k1', field: 'Idempotency-Key' });
    expect(created).toBe(true);
    // Received on 2 February (Almaty), entered on the 10th: the term counts from the 2nd.
    const fromToday = (await submitted(s, 'web@example.kz')).deadline.dueAt;
    expect(request).toMatchObject({ channel: 'phone', receivedAt: '2026-02-01T19:00:00.000Z', entry: { by: OPERATOR.email, identity: 'mail', at: NOW.toISOString() } });
    expect(request.verifiedAt).toBeUndefined();
    expect(Date.parse(request.deadline.dueAt)).toBeLessThan(Date.parse(fromToday));
    expect(s.workflow.started).toContain(request.id);
    const received = (await s.deps.audit.list(request.id))[0]!;
    expect(received).toMatchObject({ type: 'request.received', detail: { channel: 'phone', enteredBy: OPERATOR.email, identity: 'mail' } });
    // A double submit: the same request, nothing started twice.
    const again = await enterRequest(s.deps, phoneCall, OPERATOR, { key: 'operator:k1', field: 'Idempotency-Key' });
    expect(again).toMatchObject({ created: false, request: { id: request.id } });
    await expect(enterRequest(s.deps, { ...phoneCall, email: 'someone@example.kz' }, OPERATOR, { key: 'operator:k1', field: 'Idempotency-Key' })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('takes identity the operator attested as confirmed: the person gets a receipt with no link, the workflow waits for none', async () => {
    const s = systemFor('profiles/demo.json');
    const { request } = await enterRequest(s.deps, { ...phoneCall, channel: 'in_person', identity: 'attested', attestation: 'ID card shown at the office' }, OPERATOR, { key: 'operator:k2', field: 'Idempotency-Key' });
    expect(request).toMatchObject({ verifiedAt: NOW.toISOString(), entry: { identity: 'attested', attestation: 'ID card shown at the office' } });
    // The execution starts at the wait for verification: its step sends the receipt and ends its own wait at once.
    await requestVerification(s.deps, request.id, 'verify-token', new Date(NOW.getTime() + DAY), () => ({ code: 'c'.repeat(43), codeHash: hashSecretCode('c'.repeat(43)) }));
    // Nobody decides on it: it begins now, as a request confirmed by its link does.
    expect(s.workflow.completed).toEqual([{ taskToken: 'verify-token', output: { verifiedAt: NOW.toISOString(), begun: true } }]);
    const [receipt, ...more] = mailsTo(s, 'caller@example.kz');
    expect(more).toEqual([]);
    expect(receipt!.subject).toContain(request.id);
    // In the language the operator chose for the person (Russian here), to the address the person gave.
    expect(receipt!.text).toContain(`Номер обращения: ${request.id}`);
    expect(receipt!.text).toContain('Ответ будет направлен не позднее');
    expect(receipt!.text).toContain('подтверждать ничего не нужно');
    // Received on a day, not at an hour: the day alone, never "00:00".
    expect(receipt!.text).toContain('полученный 2 февраля 2026:');
    expect(receipt!.text).not.toContain('00:00');
    expect(receipt!.text).not.toContain('/verify?code=');
    // No link is mailed, and nothing is recorded but the receipt, the move to the wait and its beginning.
    expect((await auditTypes(s, request.id)).slice(1)).toEqual(['mail.sent', 'status.changed', 'status.changed']);
    expect((await s.deps.requests.get(request.id)).status).toBe('IN_PROGRESS');
    // Run again (a restart) after its wait ended some other way: nothing fails, nothing more is sent or recorded.
    const trail = (await s.deps.audit.list(request.id)).length;
    s.workflow.ended.add('verify-token-2');
    await requestVerification(s.deps, request.id, 'verify-token-2', new Date(NOW.getTime() + DAY), () => ({ code: 'd'.repeat(43), codeHash: hashSecretCode('d'.repeat(43)) }));
    expect(mailsTo(s, 'caller@example.kz')).toEqual([receipt]);
    expect(await s.deps.audit.list(request.id)).toHaveLength(trail);
    expect((await planFulfilment(s.deps, request.id)).requestId).toBe(request.id);
    expect((await s.deps.requests.get(request.id)).status).not.toBe('AWAITING_VERIFICATION');
  });

  it('gives a letter received long ago, its identity to be confirmed by mail, the link\'s whole life from when it is sent', async () => {
    const s = systemFor('profiles/demo.json');
    // Received by post weeks ago: the answer was due already when it was entered.
    const { request } = await enterRequest(s.deps, { ...phoneCall, channel: 'post', receivedAt: '2025-12-01' }, OPERATOR, { key: 'operator:k3', field: 'Idempotency-Key' });
    expect(Date.parse(request.deadline.dueAt)).toBeLessThan(NOW.getTime());
    const ttl = s.deps.profile.verification.codeTtlHours * 3600;
    expect(s.workflow.starts).toEqual([
      { requestId: request.id, verificationExpiresAt: new Date(NOW.getTime() + ttl * 1000).toISOString(), verificationTimeoutSeconds: ttl, sourceIds: ['customers'], recordsConsent: false },
    ]);
    // A web request due as soon is not waited for past the answer deadline.
    const web = await submitted(s, 'web@example.kz');
    expect(Date.parse(s.workflow.starts.at(-1)!.verificationExpiresAt)).toBeLessThanOrEqual(Date.parse(web.deadline.dueAt));
  });

  it('names every problem at once: channel, a day in the future, an attestation missing, the form\'s own', async () => {
    const s = systemFor('profiles/demo.json');
    const entered = enterRequest(s.deps, { ...phoneCall, channel: 'web', receivedAt: '2026-03-01', identity: 'attested', email: 'nope', types: ['claim'], message: '' }, OPERATOR, { key: 'k', field: 'Idempotency-Key' });
    await expect(entered).rejects.toBeInstanceOf(ValidationError);
    const fields = ((await entered.catch((e: ValidationError) => e)) as ValidationError).problems.map((p) => p.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['channel', 'email', 'message']));
    const future = enterRequest(s.deps, { ...phoneCall, receivedAt: '2026-03-01' }, OPERATOR, { key: 'k', field: 'Idempotency-Key' });
    await expect(future).rejects.toMatchObject({ problems: [{ field: 'receivedAt', message: 'is in the future' }] });
    const unattested = enterRequest(s.deps, { ...phoneCall, identity: 'attested' }, OPERATOR, { key: 'k', field: 'Idempotency-Key' });
    await expect(unattested).rejects.toMatchObject({ problems: [{ field: 'attestation' }] });
    expect(s.requests.requests.size).toBe(0);
  });
});

describe('replies kept at the same instant', () => {
  it('keeps the words of both', async () => {
    const s = systemFor('profiles/demo.json');
    const made = await receiveEmail(s.deps, 'ses-1', mail(['Subject: Удаление', 'Message-ID: <r0@mail.example>'], 'Прошу удалить мои данные.'), PASS);
    const id = made.requestId!;
    await Promise.all([
      receiveEmail(s.deps, 'ses-2', mail([`Subject: Re: [${id}]`, 'Message-ID: <r1@mail.example>'], 'Первый ответ.'), PASS),
      receiveEmail(s.deps, 'ses-3', mail([`Subject: Re: [${id}]`, 'Message-ID: <r2@mail.example>'], 'Второй ответ.'), PASS),
    ]);
    expect((await s.deps.requests.get(id)).replies?.map((r) => r.text).sort()).toEqual(['Второй ответ.', 'Первый ответ.']);
  });
});
