import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SesVerdicts } from '../../../functions/domain/email/index.ts';
import { receiveEmail } from '../../../functions/use-cases/receive-email.ts';
import { describeReasons } from '../../../functions/use-cases/fulfilment.ts';
import { reviewReasons } from '../../../functions/use-cases/fulfilment-plan.ts';
import { NOW, OPERATOR, mailsTo, operatorMails, placeRequest, runToAnswer, systemFor } from '../../support/flow.ts';
import { threadedUnder } from '../../../functions/use-cases/notify.ts';
import { requestDetail, writeToPerson } from '../../../functions/use-cases/operator.ts';
import { inbox } from '../../../functions/use-cases/inbox.ts';
import { hashSecretCode } from '../../../functions/domain/secret-code.ts';
import { requestVerification } from '../../../functions/use-cases/verification.ts';
import { MAX_KEPT_REPLIES } from '../../../functions/domain/request.ts';

const PASS: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };

function mail(headers: Record<string, string>, body: string, attachment?: { filename: string; content: string }): Uint8Array {
  const head = { From: 'Aigerim <aigerim@example.kz>', To: 'privacy@derbes.local', Date: 'Tue, 10 Feb 2026 10:15:00 +0500', 'MIME-Version': '1.0', ...headers };
  const lines = Object.entries(head).map(([name, value]) => `${name}: ${value}`);
  if (!attachment) return new TextEncoder().encode([...lines, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
  return new TextEncoder().encode(
    [
      ...lines,
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '--b1',
      `Content-Type: application/pdf; name="${attachment.filename}"`,
      `Content-Disposition: attachment; filename="${attachment.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(attachment.content).toString('base64'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

/**
 * The mail as SES stores it: its own Authentication-Results (the domains its checks passed for, which the receipt's
 * verdicts do not name) above every header of the sender's.
 */
function checkedBySes(raw: Uint8Array, results: string): Uint8Array {
  return Buffer.concat([Buffer.from(`Authentication-Results: amazonses.com; ${results}\r\n`), raw]);
}
/** SES's words for SPF passing for the envelope sender's domain: a pass for that domain, whatever the From says. */
const spfPassFor = (envelopeFrom: string) => `spf=pass (spfCheck: domain of ${envelopeFrom.split('@')[1]} designates 203.0.113.7 as permitted sender) client-ip=203.0.113.7; envelope-from=${envelopeFrom}; helo=mx.example; dkim=none; dmarc=none header.from=example.kz;`;
/** A domain that publishes no DMARC policy: SES has SPF alone to go by. */
const SPF_ONLY: SesVerdicts = { ...PASS, dkim: 'GRAY', dmarc: 'GRAY' };

describe('receiveEmail', () => {
  it('makes a request of a clear message, receipted by the workflow it starts, with the outcome recorded', async () => {
    const s = systemFor('profiles/demo.json');
    const outcome = await receiveEmail(s.deps, 'ses-1', mail({ Subject: 'Удаление данных', 'Message-ID': '<m1@mail.example>' }, 'Прошу удалить все мои персональные данные.'), PASS);
    expect(outcome).toMatchObject({ outcome: 'request', requestId: expect.stringMatching(/^DRB-/) });
    const request = await s.deps.requests.get(outcome.requestId!);
    expect(request).toMatchObject({ types: ['erasure'], channel: 'email', email: 'aigerim@example.kz', language: 'ru', status: 'RECEIVED' });
    expect(s.workflow.started).toEqual([request.id]);
    const received = (await s.deps.audit.list(request.id)).find((e) => e.type === 'mail.received');
    // What arrived, provably: the hash of the raw message and SES' verdicts on it, never its content.
    const raw = mail({ Subject: 'Удаление данных', 'Message-ID': '<m1@mail.example>' }, 'Прошу удалить все мои персональные данные.');
    expect(received!.detail).toMatchObject({ sesMessageId: 'ses-1', outcome: 'request', sha256: createHash('sha256').update(raw).digest('hex'), verdicts: PASS });
  });

  it('holds mail no check vouches for: no request, no workflow, no receipt, and one alert to the operator for the hour', async () => {
    const s = systemFor('profiles/demo.json');
    const nothing: SesVerdicts = { ...PASS, spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' };
    const disowned: SesVerdicts = { ...PASS, dkim: 'FAIL', dmarc: 'FAIL' };
    const outcomes = [];
    for (const [i, verdicts] of [nothing, disowned, { ...PASS, spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL' }].entries()) {
      outcomes.push(await receiveEmail(s.deps, `ses-f${i}`, mail({ From: `made.up${i}@forged.example`, Subject: 'Удаление данных', 'Message-ID': `<f${i}@forged.example>` }, 'Прошу удалить мои данные.'), verdicts as SesVerdicts));
    }
    expect(outcomes).toEqual(Array(3).fill({ outcome: 'held', reason: 'unauthenticated' }));
    expect(s.workflow.started).toEqual([]);
    expect((await s.deps.audit.list('INBOUND#ses-f1')).map((e) => e.detail)).toMatchObject([{ outcome: 'held', reason: 'unauthenticated', authFailures: ['dkim', 'dmarc'] }]);
    const [alert, ...more] = operatorMails(s);
    expect(more).toEqual([]);
    expect(alert!.subject).toBe('Входящие письма задержаны без ответа');
    expect(s.mailer.sent.filter((m) => m.to !== s.deps.profile.operator.contactEmail)).toEqual([]);
  });

  it('holds requests by mail past the sender\'s limit, whatever spelling of the mailbox, and past the sender domain\'s', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { mailRequestsPerSender: { burst: 2, perMinute: 0.1 }, mailRequestsPerSenderDomain: { burst: 4, perMinute: 0.1 } } }) });
    const from = ['asel@mail.example', 'asel+1@mail.example', 'asel+2@mail.example', 'dana@mail.example', 'erlan@mail.example', 'aigerim@mail.example'];
    const outcomes = [];
    for (const [i, sender] of from.entries()) {
      outcomes.push((await receiveEmail(s.deps, `ses-r${i}`, mail({ From: sender, Subject: 'Удаление данных', 'Message-ID': `<r${i}@mail.example>` }, 'Прошу удалить мои данные.'), PASS)).outcome);
    }
    expect(outcomes).toEqual(['request', 'request', 'held', 'request', 'request', 'held']);
    expect((await s.deps.audit.list('INBOUND#ses-r2'))[0]!.detail).toMatchObject({ outcome: 'held', reason: 'rate_limited' });
    expect(s.workflow.started).toHaveLength(4);
    // Another domain is not held for this one's.
    expect((await receiveEmail(s.deps, 'ses-other', mail({ From: 'person@other.example', Subject: 'Удаление данных', 'Message-ID': '<o1@other.example>' }, 'Прошу удалить мои данные.'), PASS)).outcome).toBe('request');
  });

  it('lets a mail that made its request finish it when delivered again past the limits: its files are kept, nothing is held', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { mailRequestsPerSender: { burst: 1, perMinute: 0.1 } } }) });
    const raw = mail({ Subject: 'Удаление данных', 'Message-ID': '<crash.1@mail.example.kz>' }, 'Прошу удалить мои данные.', { filename: 'id.pdf', content: '%PDF-1.4 id' });
    // The first delivery made the request and ended (a crash) before it recorded the mail and kept its file.
    const kept = s.deps.mailArchive.keep.bind(s.deps.mailArchive);
    s.deps.mailArchive.keep = async () => {
      throw new Error('the function was stopped');
    };
    await expect(receiveEmail(s.deps, 'ses-crash', raw, PASS)).rejects.toThrow('stopped');
    s.deps.mailArchive.keep = kept;
    const retried = await receiveEmail(s.deps, 'ses-crash', raw, PASS);
    expect(retried).toMatchObject({ outcome: 'request' });
    const received = (await s.deps.audit.list(retried.requestId!)).filter((e) => e.type === 'mail.received');
    expect(received.map((e) => e.detail.attachments)).toEqual([[{ size: 11, key: expect.any(String) }]]);
    expect(await s.deps.audit.list('INBOUND#ses-crash')).toEqual([]);
    // A new mail from the same sender is still held.
    expect((await receiveEmail(s.deps, 'ses-new', mail({ Subject: 'Удаление данных', 'Message-ID': '<crash.2@mail.example.kz>' }, 'Прошу удалить мои данные.'), PASS)).outcome).toBe('held');
  });

  it('keeps the text of the mail as the person\'s words, and the mail it answers: its receipt replies to it', async () => {
    const s = systemFor('profiles/demo.json');
    const raw = mail({ Subject: 'Re: Телефон', 'Message-ID': '<CAF+phone.1@mail.example.kz>' }, 'Прошу изменить мой телефон на +7 701 000 11 22\n\n> quoted earlier mail\n> more');
    const outcome = await receiveEmail(s.deps, 'ses-r', raw, PASS);
    const request = await s.deps.requests.get(outcome.requestId!);
    expect(request).toMatchObject({ types: ['rectification'], message: 'Прошу изменить мой телефон на +7 701 000 11 22', firstMail: { messageId: '<CAF+phone.1@mail.example.kz>', subject: 'Re: Телефон', authenticated: true } });
    await requestVerification(s.deps, request.id, 'token', new Date(NOW.getTime() + 3_600_000), () => ({ code: 'c'.repeat(43), codeHash: hashSecretCode('c'.repeat(43)) }));
    const [receipt] = mailsTo(s, 'aigerim@example.kz');
    expect(receipt).toMatchObject({ inReplyTo: '<CAF+phone.1@mail.example.kz>', subject: `Re: Телефон [${request.id}]` });
  });

  it('repeats the subject of a mail whose sender no check vouched for only once the address confirms a link', async () => {
    const s = systemFor('profiles/demo.json');
    const raw = mail({ Subject: 'Купите часы: example.com/spam', 'Message-ID': '<spam.1@mail.example>' }, 'Прошу удалить мои данные.');
    const outcome = await receiveEmail(s.deps, 'ses-u', checkedBySes(raw, spfPassFor('aigerim@example.kz')), SPF_ONLY, 'aigerim@example.kz');
    const request = await s.deps.requests.get(outcome.requestId!);
    await requestVerification(s.deps, request.id, 'token', new Date(NOW.getTime() + 3_600_000), () => ({ code: 'c'.repeat(43), codeHash: hashSecretCode('c'.repeat(43)) }));
    const [receipt] = mailsTo(s, 'aigerim@example.kz');
    expect(receipt!.inReplyTo).toBe('<spam.1@mail.example>');
    expect(receipt!.subject).toMatch(new RegExp(`^Re: \\[${request.id}\\] `));
    expect(receipt!.subject).not.toContain('example.com/spam');
    expect(receipt!.text).not.toContain('удалить');
    expect(threadedUnder({ ...request, verifiedAt: NOW.toISOString() }, 'answer', 'x', 'derbes.local').subject).toBe(`Re: Купите часы: example.com/spam [${request.id}]`);
  });

  it("threads the operator's message to a person who wrote several mails under their latest, in the thread their first began", async () => {
    const s = systemFor('profiles/demo.json');
    const outcome = await receiveEmail(s.deps, 'ses-m1', mail({ Subject: 'Телефон', 'Message-ID': '<m1@mail.example.kz>' }, 'Прошу изменить мой телефон на +7 701 000 11 22'), PASS);
    const request = await s.deps.requests.get(outcome.requestId!);
    await s.deps.requests.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
    await s.deps.requests.transition(request.id, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt: NOW.toISOString() });
    for (const n of [2, 3]) await receiveEmail(s.deps, `ses-m${n}`, mail({ Subject: `Re: Телефон [${request.id}]`, 'Message-ID': `<m${n}@mail.example.kz>` }, `Письмо ${n}.`), PASS);
    // The acknowledgement of their first reply answers that reply.
    expect(mailsTo(s, 'aigerim@example.kz').map((m) => [m.inReplyTo, m.references])).toEqual([['<m2@mail.example.kz>', ['<m1@mail.example.kz>', '<m2@mail.example.kz>']]]);
    await writeToPerson(s.deps, request.id, 'Пришлите, пожалуйста, копию удостоверения.', OPERATOR);
    const written = mailsTo(s, 'aigerim@example.kz').at(-1)!;
    expect(written.inReplyTo).toBe('<m3@mail.example.kz>');
    expect(written.references).toEqual(['<m1@mail.example.kz>', '<m3@mail.example.kz>']);
    expect(written.subject).toBe(`Re: Телефон [${request.id}]`);
  });

  it('keeps at most 5,000 characters of a long mail as its words, and puts no odd Message-ID in a header', async () => {
    const s = systemFor('profiles/demo.json');
    const raw = mail({ Subject: 'Delete my data', 'Message-ID': '<a b@c>' }, `Please delete all my personal data. ${'x'.repeat(6000)}`);
    const request = await s.deps.requests.get((await receiveEmail(s.deps, 'ses-l', raw, PASS)).requestId!);
    expect(request.message).toHaveLength(5000);
    expect(request.message!.endsWith('…')).toBe(true);
    expect(request.firstMail).toBeUndefined();
  });

  it("keeps the words of the person's replies for the operator, and acknowledges the first reply from a confirmed address once, under it", async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['rectification'], { language: 'ru', name: 'Айгерим' });
    const reply = (n: number, text: string) => mail({ Subject: `Re: [${request.id}] Документы`, 'Message-ID': `<reply.${n}@mail.example.kz>` }, text);
    await receiveEmail(s.deps, 'ses-a', reply(1, 'Прикладываю копию удостоверения.\n\n> Здравствуйте, Айгерим!'), PASS);
    await receiveEmail(s.deps, 'ses-a', reply(1, 'Прикладываю копию удостоверения.'), PASS); // re-delivered
    await receiveEmail(s.deps, 'ses-b', reply(2, 'И ещё: город — Астана.'), PASS);
    // The re-delivery recorded nothing twice.
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'mail.received').map((e) => e.detail.sesMessageId)).toEqual(['ses-a', 'ses-b']);
    const kept = await s.deps.requests.get(request.id);
    expect(kept.replies).toEqual([
      { at: NOW.toISOString(), sesMessageId: 'ses-a', text: 'Прикладываю копию удостоверения.' },
      { at: NOW.toISOString(), sesMessageId: 'ses-b', text: 'И ещё: город — Астана.' },
    ]);
    const acks = mailsTo(s, 'aigerim@example.kz');
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ inReplyTo: '<reply.1@mail.example.kz>', subject: `Re: [${request.id}] Ваше сообщение добавлено к запросу` });
    expect(acks[0]!.text).not.toContain('удостоверения');
    const detail = await requestDetail(s.deps, request.id);
    expect(detail.thread.filter((m) => m.direction === 'in').map((m) => 'text' in m && m.text)).toEqual(['Прикладываю копию удостоверения.', 'И ещё: город — Астана.']);
  });

  it("brings the person's reply to an answered request to the operator: a new reply in the inbox, open work and one alert until an operator writes back", async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { language: 'ru', name: 'Айгерим' });
    await runToAnswer(s, request.id, { decision: 'approve', answer: 'Вернули деньги.' });
    s.setNow(new Date(NOW.getTime() + 3_600_000));
    await writeToPerson(s.deps, request.id, 'Деньги придут за три дня.', OPERATOR);
    expect((await s.deps.requests.get(request.id)).status).toBe('COMPLETED');
    s.mailer.sent.length = 0;
    s.setNow(new Date(NOW.getTime() + 7_200_000));
    const replyAt = s.deps.clock.now().toISOString();
    const reply = (n: number, text: string) => mail({ Subject: `Re: [${request.id}] Ответ`, 'Message-ID': `<late.${n}@mail.example.kz>` }, text);
    expect(await receiveEmail(s.deps, 'ses-late-1', reply(1, 'Деньги так и не пришли.'), PASS)).toEqual({ outcome: 'reply', requestId: request.id });

    const seen = await inbox(s.deps, {});
    expect(seen.counts).toMatchObject({ all: 1, open: 0, newReply: 1 });
    expect(seen.requests.map((r) => r.reference)).toEqual([request.id]);
    expect((await inbox(s.deps, { filter: 'newReply' })).requests).toEqual([expect.objectContaining({ reference: request.id, status: 'COMPLETED', flags: ['newReply'] })]);
    expect(await s.deps.openWork.list()).toEqual([{ requestId: request.id, id: 'reply', kind: 'reply', since: replyAt }]);
    const [alert, ...more] = operatorMails(s);
    expect(more).toEqual([]);
    expect(alert!.subject).toBe(`[${request.id}] Человек написал по уже закрытому запросу`);
    expect(alert!.text).toContain('Запрос закрыт, но человек прислал по нему письмо; оно сохранено вместе с запросом.');
    expect(alert!.text).toContain(`Запрос, слова человека и история: npx derbes requests show ${request.id}`);
    expect(alert!.text).toContain(`Написать человеку: npx derbes requests write ${request.id} --text "…"`);
    expect(alert!.text).toContain(`npx derbes requests done ${request.id} reply`);
    // The person is told an officer will read it: now one is told to.
    expect(mailsTo(s, 'aigerim@example.kz').map((m) => m.subject)).toEqual([`Re: [${request.id}] Ваше сообщение добавлено к запросу`]);

    // A re-delivery and another mail before anyone writes back: kept, one alert all the same.
    await receiveEmail(s.deps, 'ses-late-1', reply(1, 'Деньги так и не пришли.'), PASS);
    s.setNow(new Date(NOW.getTime() + 7_300_000));
    await receiveEmail(s.deps, 'ses-late-2', reply(2, 'Жду ответа.'), PASS);
    expect(operatorMails(s)).toHaveLength(1);
    expect(await s.deps.openWork.list()).toEqual([{ requestId: request.id, id: 'reply', kind: 'reply', since: replyAt }]);
    expect((await inbox(s.deps, {})).counts.newReply).toBe(1);

    // The operator writes back: nothing is left open; a later mail is a new one, alerted again.
    s.setNow(new Date(NOW.getTime() + 7_400_000));
    await writeToPerson(s.deps, request.id, 'Проверили: перевод ушёл вчера.', OPERATOR);
    expect(await s.deps.openWork.list()).toEqual([]);
    expect((await inbox(s.deps, {})).counts.newReply).toBe(0);
    await receiveEmail(s.deps, 'ses-late-2', reply(2, 'Жду ответа.'), PASS); // delivered again, late
    expect(await s.deps.openWork.list()).toEqual([]);
    s.setNow(new Date(NOW.getTime() + 7_500_000));
    await receiveEmail(s.deps, 'ses-late-3', reply(3, 'Пришли, спасибо.'), PASS);
    expect(operatorMails(s)).toHaveLength(2);
    expect((await inbox(s.deps, {})).counts.newReply).toBe(1);
  });

  it('leaves every reply to an answered request to the operator, whatever its words seem to ask: no new request is made of it', async () => {
    const s = systemFor('profiles/demo.json');
    const answered = await placeRequest(s, ['access'], { language: 'ru', name: 'Айгерим' });
    await runToAnswer(s, answered.id);
    const reply = (n: number, text: string) => mail({ Subject: `Re: [${answered.id}] Ответ на ваш запрос`, 'Message-ID': `<unclear.${n}@mail.example.kz>` }, text);
    expect(await receiveEmail(s.deps, 'ses-u1', reply(1, 'Спасибо за ответ!'), PASS)).toEqual({ outcome: 'reply', requestId: answered.id });
    expect(await receiveEmail(s.deps, 'ses-u2', reply(2, 'Удалите, пожалуйста, мой номер телефона.'), PASS)).toEqual({ outcome: 'reply', requestId: answered.id });
    expect(await receiveEmail(s.deps, 'ses-u3', reply(3, 'Теперь удалите мои данные. Только телефон.'), PASS)).toEqual({ outcome: 'reply', requestId: answered.id });
    // A complaint reads to a classifier like a request; it must reach a person as what it is.
    expect(await receiveEmail(s.deps, 'ses-u4', reply(4, 'Я не просила удалять мои персональные данные! Почему вы их удалили?'), PASS)).toEqual({ outcome: 'reply', requestId: answered.id });
    expect(await receiveEmail(s.deps, 'ses-u5', reply(5, 'Спасибо. Получила копию моих персональных данных.'), PASS)).toEqual({ outcome: 'reply', requestId: answered.id });
    expect((await s.deps.requests.get(answered.id)).replies).toHaveLength(5);
    expect(await s.deps.openWork.list()).toEqual([expect.objectContaining({ requestId: answered.id, kind: 'reply' })]);
    expect(s.workflow.started).toEqual([]);
  });

  it("alerts the operator once for all of the person's mail to an answered request between two words of an operator, even mail whose words are not kept", async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { language: 'ru', name: 'Айгерим' });
    await runToAnswer(s, request.id, { decision: 'approve', answer: 'Вернули деньги.' });
    s.mailer.sent.length = 0;
    const reply = (n: number, text: string) => mail({ Subject: `Re: [${request.id}] Ответ`, 'Message-ID': `<empty.${n}@mail.example.kz>` }, text);
    // Empty, or only the quoted earlier mail: nothing of theirs is kept with the request, each is still their mail.
    for (let n = 1; n <= 6; n++) {
      s.setNow(new Date(NOW.getTime() + 3_600_000 + n * 60_000));
      await receiveEmail(s.deps, `ses-empty-${n}`, reply(n, n % 2 ? '' : '> Вернули деньги.'), PASS);
    }
    expect((await s.deps.requests.get(request.id)).replies ?? []).toEqual([]);
    expect(operatorMails(s)).toHaveLength(1);
    // The work dates from the first of those mails, not the latest: the person has waited since then.
    const firstOfRound = new Date(NOW.getTime() + 3_600_000 + 60_000).toISOString();
    expect(await s.deps.openWork.list()).toEqual([{ requestId: request.id, id: 'reply', kind: 'reply', since: firstOfRound }]);

    // An operator writes back: the next such mail is alerted once again, the ones after it not; and a late
    // re-delivery of a mail the operator has since written back to alerts and opens nothing.
    s.setNow(new Date(NOW.getTime() + 7_200_000));
    await writeToPerson(s.deps, request.id, 'Проверили: перевод ушёл вчера.', OPERATOR);
    expect(await s.deps.openWork.list()).toEqual([]);
    await receiveEmail(s.deps, 'ses-empty-6', reply(6, '> Вернули деньги.'), PASS);
    expect(await s.deps.openWork.list()).toEqual([]);
    expect(operatorMails(s)).toHaveLength(1);
    for (let n = 7; n <= 9; n++) {
      s.setNow(new Date(NOW.getTime() + 7_200_000 + n * 60_000));
      await receiveEmail(s.deps, `ses-empty-${n}`, reply(n, ''), PASS);
    }
    expect(operatorMails(s)).toHaveLength(2);
    expect(await s.deps.openWork.list()).toEqual([{ requestId: request.id, id: 'reply', kind: 'reply', since: new Date(NOW.getTime() + 7_200_000 + 7 * 60_000).toISOString() }]);
  });

  it('alerts the operator once for the mails after an operator wrote back, when the request already keeps as many replies as it can', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['claim'], { language: 'ru', name: 'Айгерим' });
    await runToAnswer(s, request.id, { decision: 'approve', answer: 'Вернули деньги.' });
    s.mailer.sent.length = 0;
    const reply = (n: number) => mail({ Subject: `Re: [${request.id}] Ответ`, 'Message-ID': `<many.${n}@mail.example.kz>` }, `Письмо номер ${n}.`);
    let n = 0;
    // Two minutes apart: within the reply limits (limits.mailRepliesPerSender refills one every two minutes).
    for (; n < MAX_KEPT_REPLIES; n++) {
      s.setNow(new Date(NOW.getTime() + 3_600_000 + n * 120_000));
      await receiveEmail(s.deps, `ses-many-${n}`, reply(n), PASS);
    }
    expect((await s.deps.requests.get(request.id)).replies).toHaveLength(MAX_KEPT_REPLIES);
    expect(operatorMails(s)).toHaveLength(1);
    s.setNow(new Date(NOW.getTime() + 7_200_000));
    await writeToPerson(s.deps, request.id, 'Ответили на все письма.', OPERATOR);
    // Their words are no longer kept (the raw mail holds them): one alert for all of them all the same.
    for (const end = n + 5; n < end; n++) {
      s.setNow(new Date(NOW.getTime() + 7_200_000 + n * 60_000));
      await receiveEmail(s.deps, `ses-many-${n}`, reply(n), PASS);
    }
    expect((await s.deps.requests.get(request.id)).replies).toHaveLength(MAX_KEPT_REPLIES);
    expect(operatorMails(s)).toHaveLength(2);
    // Dated from the first mail after the operator wrote back, though none of their words is kept.
    const firstAfterWord = new Date(NOW.getTime() + 7_200_000 + MAX_KEPT_REPLIES * 60_000).toISOString();
    expect(await s.deps.openWork.list()).toEqual([{ requestId: request.id, id: 'reply', kind: 'reply', since: firstAfterWord }]);
  });

  it('tells a person who replies to the receipt instead of pressing its link, once, that replying confirms nothing', async () => {
    const s = systemFor('profiles/demo.json');
    const made = await receiveEmail(s.deps, 'ses-q', mail({ Subject: 'Мои данные', 'Message-ID': '<q.1@mail.example.kz>' }, 'Прошу удалить мои персональные данные.'), PASS);
    const request = await s.deps.requests.get(made.requestId!);
    await requestVerification(s.deps, request.id, 'token', new Date(NOW.getTime() + 3_600_000), () => ({ code: 'c'.repeat(43), codeHash: hashSecretCode('c'.repeat(43)) }));
    const reply = (n: number, text: string) => mail({ Subject: `Re: Мои данные [${request.id}]`, 'Message-ID': `<q.reply.${n}@mail.example.kz>` }, text);
    await receiveEmail(s.deps, 'ses-q1', reply(1, 'Подтверждаю, это я.'), PASS);
    await receiveEmail(s.deps, 'ses-q2', reply(2, 'Подтверждаю ещё раз!'), PASS);
    const [receipt, ...answers] = mailsTo(s, 'aigerim@example.kz');
    expect(receipt!.text).toContain('(ответ на это письмо запрос не подтверждает)');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ inReplyTo: '<q.reply.1@mail.example.kz>', subject: `Re: Мои данные [${request.id}]` });
    expect(answers[0]!.text).toContain('Ответ на письмо не подтверждает запрос: мы начнём его выполнять, когда вы откроете ссылку из нашего письма по этому обращению и нажмёте «Подтвердить». Ссылка действует до 10 февраля 2026, 11:15 по времени Астаны.');
    expect(answers[0]!.text).not.toContain('Подтверждаю');
    const kept = await s.deps.requests.get(request.id);
    expect(kept).toMatchObject({ status: 'AWAITING_VERIFICATION' });
    expect(kept.verifiedAt).toBeUndefined();
    expect(kept.replies).toHaveLength(2);
  });

  it('answers no reply while the request waits for a link that was never mailed, or that no longer works', async () => {
    const s = systemFor('profiles/demo.json');
    const unmailed = await placeRequest(s, ['erasure'], { status: 'AWAITING_VERIFICATION' });
    await receiveEmail(s.deps, 'ses-c', mail({ Subject: `Re: [${unmailed.id}]`, 'Message-ID': '<reply.3@mail.example.kz>' }, 'Да, это я.'), PASS);
    expect((await s.deps.requests.get(unmailed.id)).replies).toHaveLength(1);
    expect(mailsTo(s, 'aigerim@example.kz')).toEqual([]);
    const made = await receiveEmail(s.deps, 'ses-e', mail({ Subject: 'Удаление', 'Message-ID': '<e.1@mail.example.kz>' }, 'Прошу удалить мои персональные данные.'), PASS);
    await requestVerification(s.deps, made.requestId!, 'token', new Date(NOW.getTime() + 3_600_000), () => ({ code: 'd'.repeat(43), codeHash: hashSecretCode('d'.repeat(43)) }));
    s.setNow(new Date(NOW.getTime() + 3_600_000));
    await receiveEmail(s.deps, 'ses-e1', mail({ Subject: `Re: Удаление [${made.requestId}]`, 'Message-ID': '<e.reply@mail.example.kz>' }, 'Подтверждаю.'), PASS);
    expect(mailsTo(s, 'aigerim@example.kz').map((m) => m.subject)).toEqual([`Re: Удаление [${made.requestId}]`]);
  });

  it('makes one request of a message delivered twice', async () => {
    const s = systemFor('profiles/demo.json');
    const raw = mail({ Subject: 'Delete my data', 'Message-ID': '<m2@mail.example>' }, 'Please delete all my personal data.');
    const first = await receiveEmail(s.deps, 'ses-2', raw, PASS);
    const again = await receiveEmail(s.deps, 'ses-2-redelivered', raw, PASS);
    expect(again.requestId).toBe(first.requestId);
    expect(s.requests.requests.size).toBe(1);
    expect((await s.deps.audit.list(first.requestId!)).filter((e) => e.type === 'mail.received')).toHaveLength(1);
    // The second message is on record, on its own trail; the first's retried invocation records nothing more.
    expect((await s.deps.audit.list('INBOUND#ses-2-redelivered')).map((e) => e.detail)).toEqual([expect.objectContaining({ outcome: 'request', reason: 'delivered_again', messageId: '<m2@mail.example>' })]);
    await receiveEmail(s.deps, 'ses-2', raw, PASS);
    await receiveEmail(s.deps, 'ses-2-redelivered', raw, PASS);
    expect(await s.deps.audit.list('INBOUND#ses-2')).toEqual([]);
    expect(await s.deps.audit.list('INBOUND#ses-2-redelivered')).toHaveLength(1);
    expect((await s.deps.audit.list(first.requestId!)).filter((e) => e.type === 'mail.received')).toHaveLength(1);
  });

  it('keeps the documents of a message whose first delivery ended before it kept them, once', async () => {
    const s = systemFor('profiles/demo.json');
    const raw = mail({ Subject: 'Исправьте мои данные', 'Message-ID': '<m9@mail.example>' }, 'Прошу исправить мою фамилию, скан удостоверения во вложении.', { filename: 'id.pdf', content: '%PDF-1.4 card' });
    const archive = s.deps.mailArchive;
    const keep = archive.keep.bind(archive);
    let crashes = 1;
    archive.keep = async (...args) => {
      if (crashes-- > 0) throw new Error('the function timed out');
      return keep(...args);
    };
    await expect(receiveEmail(s.deps, 'ses-9', raw, PASS)).rejects.toThrow('timed out');
    // The receipt went out before the crash: the person answers it before Lambda retries the delivery.
    const [made] = [...s.requests.requests.values()];
    await receiveEmail(s.deps, 'ses-r', mail({ Subject: `Re: [${made!.id}]`, 'Message-ID': '<r9@mail.example>' }, 'Жду ответа.'), PASS);
    const retried = await receiveEmail(s.deps, 'ses-9', raw, PASS);
    const again = await receiveEmail(s.deps, 'ses-9-redelivered', raw, PASS);
    expect(again.requestId).toBe(retried.requestId);
    const received = (await s.deps.audit.list(retried.requestId!)).filter((e) => e.type === 'mail.received');
    expect(received.map((e) => e.detail)).toEqual([
      expect.objectContaining({ sesMessageId: 'ses-r', outcome: 'reply' }),
      expect.objectContaining({ sesMessageId: 'ses-9', outcome: 'request', attachments: [{ size: 13, key: 'attachments/none' }] }),
    ]);
  });

  it("alerts the operator to someone else's mail under a reference even when the first delivery ended before the alert", async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    const stranger = mail({ From: 'Someone <someone@other.example>', Subject: `Re: [${request.id}]`, 'Message-ID': '<x1@other.example>' }, 'Here are her documents.', { filename: 'scan.pdf', content: '%PDF-1.4 x' });
    const send = s.deps.mailer.send.bind(s.deps.mailer);
    let failures = 1;
    s.deps.mailer.send = async (outgoing) => {
      if (failures-- > 0) throw new Error('the relay deferred it');
      return send(outgoing);
    };
    await expect(receiveEmail(s.deps, 'ses-x', stranger, PASS)).rejects.toThrow('deferred');
    expect(await receiveEmail(s.deps, 'ses-x', stranger, PASS)).toEqual({ outcome: 'reply', requestId: request.id, reason: 'third_party' });
    await receiveEmail(s.deps, 'ses-y', stranger, PASS); // another such mail: no second alert
    const received = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'mail.received');
    expect(received.map((e) => [e.detail.sesMessageId, e.detail.outcome])).toEqual([['ses-x', 'third_party'], ['ses-y', 'third_party']]);
    expect(operatorMails(s).filter((m) => m.text.includes('someone') || m.subject.includes(request.id))).toHaveLength(1);
  });

  it('holds a request whose checks passed for another domain than its From\'s, and takes it when they passed for the From\'s', async () => {
    const s = systemFor('profiles/demo.json');
    const asking = (n: number, from = 'victim@nodmarc.kz') => mail({ From: from, Subject: 'Удаление данных', 'Message-ID': `<v${n}@nodmarc.kz>` }, 'Прошу удалить мои данные.');
    // MAIL FROM:<attacker@evil.example> with From: victim@nodmarc.kz passes SPF — for evil.example.
    expect(await receiveEmail(s.deps, 'ses-v1', checkedBySes(asking(1), spfPassFor('attacker@evil.example')), SPF_ONLY, 'attacker@evil.example')).toEqual({ outcome: 'held', reason: 'unauthenticated' });
    // A signature is the signer's: evil.example signing a mail From nodmarc.kz vouches for nothing.
    const signedElsewhere = checkedBySes(asking(2), 'spf=none; dkim=pass header.i=@evil.example; dmarc=none header.from=nodmarc.kz;');
    expect(await receiveEmail(s.deps, 'ses-v2', signedElsewhere, { ...PASS, spf: 'GRAY', dmarc: 'GRAY' })).toEqual({ outcome: 'held', reason: 'unauthenticated' });
    // The sender's own header in SES's name, below SES's, is not read.
    const claimed = checkedBySes(new Uint8Array([...Buffer.from('Authentication-Results: amazonses.com; spf=pass envelope-from=victim@nodmarc.kz; dkim=pass header.i=@nodmarc.kz;\r\n'), ...asking(3)]), spfPassFor('attacker@evil.example'));
    expect(await receiveEmail(s.deps, 'ses-v3', claimed, { ...PASS, dmarc: 'GRAY' }, 'attacker@evil.example')).toEqual({ outcome: 'held', reason: 'unauthenticated' });
    // A signature alone, even one SES's header says is the From's own domain's: the receipt never says whose it is.
    const selfSigned = checkedBySes(asking(4), 'spf=none; dkim=pass header.i=@nodmarc.kz; dmarc=none header.from=nodmarc.kz;');
    expect(await receiveEmail(s.deps, 'ses-v4', selfSigned, { ...PASS, spf: 'GRAY', dmarc: 'GRAY' })).toEqual({ outcome: 'held', reason: 'unauthenticated' });
    expect(s.workflow.started).toEqual([]);
    expect(mailsTo(s, 'victim@nodmarc.kz')).toEqual([]);

    // Bounces from a subdomain of the From's: the person's domain.
    expect((await receiveEmail(s.deps, 'ses-v5', checkedBySes(asking(5), spfPassFor('bounce+1@mail.nodmarc.kz')), SPF_ONLY, 'bounce+1@mail.nodmarc.kz')).outcome).toBe('request');
  });

  it("takes a reply from the person's address that no check vouches for as a third party's: its words and files are not theirs, and they get nothing", async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['rectification'], { language: 'ru' });
    const folders: Array<string | undefined> = [];
    const keep = s.deps.mailArchive.keep.bind(s.deps.mailArchive);
    s.deps.mailArchive.keep = async (id, attachment, folder) => {
      folders.push(folder);
      return keep(id, attachment, folder);
    };
    const reply = (n: number, text: string) => mail({ Subject: `Re: [${request.id}]`, 'Message-ID': `<forged.${n}@example.kz>` }, text, { filename: 'passport.pdf', content: '%PDF-1.4 forged' });
    // Sent from a host example.kz's SPF does not name (SPF fails; no DKIM, no DMARC policy to disown it); then with
    // SPF passing, but for the forger's own domain.
    const forged = reply(1, 'Пакет неполный: пришлите всё моему юристу lawyer@evil.example.');
    expect(await receiveEmail(s.deps, 'ses-forged-1', forged, { ...PASS, spf: 'FAIL', dkim: 'GRAY', dmarc: 'GRAY' })).toEqual({ outcome: 'reply', requestId: request.id, reason: 'third_party' });
    const viaEvil = checkedBySes(reply(2, 'Пришлите всё на lawyer@evil.example.'), spfPassFor('aigerim@evil.example'));
    expect(await receiveEmail(s.deps, 'ses-forged-2', viaEvil, SPF_ONLY, 'aigerim@evil.example')).toEqual({ outcome: 'reply', requestId: request.id, reason: 'third_party' });

    const received = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'mail.received');
    expect(received.map((e) => [e.detail.outcome, e.detail.attachments, e.detail.quarantined?.length])).toEqual([['third_party', undefined, 1], ['third_party', undefined, 1]]);
    expect(folders).toEqual(['quarantine', 'quarantine']);
    const kept = await s.deps.requests.get(request.id);
    expect(kept.replies).toBeUndefined();
    expect(kept.latestMail).toBeUndefined();
    expect((await requestDetail(s.deps, request.id)).thread.some((m) => 'text' in m && m.text?.includes('lawyer'))).toBe(false);
    // Nothing to the person (no acknowledgement threaded under the forger's mail); the operator told once.
    expect(mailsTo(s, 'aigerim@example.kz')).toEqual([]);
    expect(operatorMails(s).map((m) => m.subject)).toEqual([expect.stringContaining('Письмо от другого отправителя')]);

    // Their own mail, SPF passing for their domain: theirs, acknowledged under it.
    const own = checkedBySes(reply(3, 'Прикладываю удостоверение.'), spfPassFor('aigerim@example.kz'));
    expect(await receiveEmail(s.deps, 'ses-own', own, SPF_ONLY, 'aigerim@example.kz')).toEqual({ outcome: 'reply', requestId: request.id });
    expect((await s.deps.requests.get(request.id)).replies?.map((r) => r.text)).toEqual(['Прикладываю удостоверение.']);
    expect(mailsTo(s, 'aigerim@example.kz')).toMatchObject([{ inReplyTo: '<forged.3@example.kz>', subject: `Re: [${request.id}] Ваше сообщение добавлено к запросу` }]);
    expect(folders.at(-1)).toBeUndefined();
  });

  it("holds replies past a sender's limit and past a request's, where a stranger's flood does not hold back the person's own", async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { mailRepliesPerSender: { burst: 3, perMinute: 0.1 }, mailRepliesPerRequest: { burst: 4, perMinute: 0.1 } } }) });
    const request = await placeRequest(s, ['rectification'], { language: 'ru' });
    const other = await placeRequest(s, ['access'], { email: 'dana@example.kz' });
    const from = (sender: string, n: number, reference = request.id) => mail({ From: sender, Subject: `Re: [${reference}]`, 'Message-ID': `<flood.${n}@other.example>` }, 'Ещё документы.', { filename: 'doc.pdf', content: '%PDF-1.4 x' });
    const outcomes = [];
    // One stranger: three, then held (their mailbox's limit), under any reference; two more strangers: the request's
    // limit for mail not the person's is four.
    for (const n of [1, 2, 3, 4]) outcomes.push((await receiveEmail(s.deps, `ses-s${n}`, from('someone@other.example', n), PASS)).outcome);
    outcomes.push((await receiveEmail(s.deps, 'ses-s5', from('someone@other.example', 5, other.id), PASS)).outcome);
    for (const n of [6, 7]) outcomes.push((await receiveEmail(s.deps, `ses-s${n}`, from(`stranger${n}@other.example`, n), PASS)).outcome);
    expect(outcomes).toEqual(['reply', 'reply', 'reply', 'held', 'held', 'reply', 'held']);
    expect((await s.deps.audit.list('INBOUND#ses-s4')).map((e) => e.detail)).toMatchObject([{ outcome: 'held', reason: 'rate_limited' }]);
    const received = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'mail.received');
    expect(received.map((e) => e.detail.sesMessageId)).toEqual(['ses-s1', 'ses-s2', 'ses-s3', 'ses-s6']);
    // The person's reply draws on buckets of its own.
    expect(await receiveEmail(s.deps, 'ses-own', mail({ Subject: `Re: [${request.id}]`, 'Message-ID': '<own@example.kz>' }, 'Мои документы.'), PASS)).toEqual({ outcome: 'reply', requestId: request.id });
    // One alert about held mail for the hour, besides the one about a third party's mail on the request.
    expect(operatorMails(s).map((m) => m.subject)).toEqual([expect.stringContaining('Письмо от другого отправителя'), 'Входящие письма задержаны без ответа']);
  });

  it("spends none of the person's reply allowance on mail under their From that no check vouches for", async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['rectification'], { language: 'ru' });
    // More forged replies under the person's address (SPF failing, no DKIM, no DMARC policy) than their mailbox may send.
    const forged = [];
    for (let n = 0; n < 12; n++) forged.push(await receiveEmail(s.deps, `ses-f${n}`, mail({ Subject: `Re: [${request.id}]`, 'Message-ID': `<forged.${n}@evil.example>` }, 'x'), { ...PASS, spf: 'FAIL', dkim: 'GRAY', dmarc: 'GRAY' }));
    // Their own, DMARC passing: joins the request, acknowledged.
    expect(await receiveEmail(s.deps, 'ses-own', mail({ Subject: `Re: [${request.id}]`, 'Message-ID': '<own@example.kz>' }, 'Мои документы.'), PASS)).toEqual({ outcome: 'reply', requestId: request.id });
    expect((await s.deps.requests.get(request.id)).replies?.map((r) => r.text)).toEqual(['Мои документы.']);
    expect(mailsTo(s, 'aigerim@example.kz')).toMatchObject([{ inReplyTo: '<own@example.kz>' }]);
    // The forged ones are the request's third-party mail, within its limit for mail not the person's.
    expect(new Set(forged.map((o) => o.reason))).toEqual(new Set(['third_party']));
  });

  it("keeps at most 40 of strangers' files in a request's quarantine; past it, a mail's files are counted and stay in the raw mail only", async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['rectification']);
    let stored = 0;
    s.deps.mailArchive.keep = async (_id, _attachment, folder) => `attachments/${folder}/${++stored}`;
    const files = Array.from({ length: 25 }, (_, i) => ['--b1', 'Content-Type: application/pdf', `Content-Disposition: attachment; filename="doc${i}.pdf"`, '', `%PDF-1.4 ${i}`]).flat();
    const flood = (n: number) => new TextEncoder().encode([`From: stranger${n}@other.example`, 'To: privacy@derbes.local', `Subject: Re: [${request.id}]`, `Message-ID: <q${n}@other.example>`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', 'more documents', ...files, '--b1--', ''].join('\r\n'));
    for (const n of [1, 2, 3]) expect((await receiveEmail(s.deps, `ses-q${n}`, flood(n), PASS)).reason).toBe('third_party');
    expect(stored).toBe(40);
    const received = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'mail.received');
    expect(received.map((e) => [e.detail.quarantined?.length, e.detail.moreAttachments])).toEqual([[20, 5], [20, 5], [0, 25]]);
    expect((await requestDetail(s.deps, request.id)).thread.at(-1)).toMatchObject({ direction: 'in', outcome: 'third_party', moreAttachments: 25 });
  });

  it('makes a request for an operator to classify of a message nobody can read, with no types', async () => {
    const s = systemFor('profiles/demo.json');
    const outcome = await receiveEmail(s.deps, 'ses-3', mail({ Subject: 'Hello', 'Message-ID': '<m3@mail.example>' }, 'Call me.'), PASS);
    expect(outcome.outcome).toBe('triage');
    expect((await s.deps.requests.get(outcome.requestId!)).types).toEqual([]);
  });

  it('leaves a mail asking to delete particular data to an operator, who is told what it asks', async () => {
    const s = systemFor('profiles/demo.json');
    const body = 'Отпишите меня от всех рассылок и удалите мой номер телефона из базы, пожалуйста.';
    const outcome = await receiveEmail(s.deps, 'ses-p', mail({ Subject: 'Реклама', 'Message-ID': '<mp@mail.example>' }, body), PASS);
    expect(outcome).toMatchObject({ outcome: 'triage', reason: 'particularData' });
    const request = await s.deps.requests.get(outcome.requestId!);
    expect(request).toMatchObject({ types: [], particularData: true });
    expect(await describeReasons(reviewReasons(s.deps, request), 'ru')).toEqual(['человек просит удалить отдельные данные (например, номер телефона или фото), а не все: прочитайте его слова и решите, что сделать']);
  });

  // What the person asks to destroy may be limited or named in another sentence than the wish, and a withdrawal of
  // consent may erase (Vnedrah's does): each of these would have destroyed everything held.
  it.each<[string, string, string]>([
    ['profiles/demo.json', 'Request', 'Please delete my data. Only the phone number, keep everything else.'],
    ['profiles/demo.json', 'Удаление данных', 'Прошу удалить мои персональные данные. Только телефон.'],
    ['profiles/demo.json', 'Деректерді жою', 'Менің дербес деректерімді жойыңыз. Тек телефон нөмірін.'],
    ['profiles/demo.json', 'Request', 'Please delete my personal data: my order history'],
    ['profiles/seeds/vnedrah.json', 'Отзыв согласия', 'Отзываю согласие на обработку моего номера телефона'],
    ['profiles/seeds/vnedrah.json', 'Request', 'I withdraw my consent to the processing of my phone number'],
    ['profiles/seeds/vnedrah.json', 'Келісімді кері қайтару', 'Телефон нөмірімді өңдеуге келісімімді кері қайтарамын'],
  ])('under %s leaves «%s / %s» to an operator, with no type to carry out by itself', async (profile, subject, body) => {
    const s = systemFor(profile);
    const outcome = await receiveEmail(s.deps, 'ses-pp', mail({ Subject: subject, 'Message-ID': '<pp@mail.example>' }, body), PASS);
    expect(outcome).toMatchObject({ outcome: 'triage', reason: 'particularData' });
    expect(await s.deps.requests.get(outcome.requestId!)).toMatchObject({ types: [], particularData: true });
  });

  it.each<[string, string, string[]]>([
    ['Please delete all my data.', 'Request', ['erasure']],
    ['Прошу удалить все мои персональные данные.', 'Удаление данных', ['erasure']],
    ['Барлық деректерімді жойыңыз.', 'Деректерді жою', ['erasure']],
    ['I withdraw my consent to the processing of my personal data.', 'Request', ['consent_withdrawal']],
  ])('makes a request of «%s», which names nothing particular', async (body, subject, types) => {
    const s = systemFor('profiles/seeds/vnedrah.json');
    const outcome = await receiveEmail(s.deps, 'ses-pa', mail({ Subject: subject, 'Message-ID': '<pa@mail.example>' }, body), PASS);
    expect(outcome.outcome).toBe('request');
    const request = await s.deps.requests.get(outcome.requestId!);
    expect(request.types).toEqual(types);
    expect(request.particularData).toBeUndefined();
  });

  it('joins a reply to its request with the documents attached, and keeps a reply to an unknown reference apart', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['rectification']);
    const reply = mail(
      { Subject: `Re: [${request.id}] Answer`, 'Message-ID': '<m4@mail.example>', 'In-Reply-To': `<${request.id}.receipt@derbes.local>` },
      'Here is my ID card.',
      { filename: 'id.pdf', content: '%PDF-1.4 card' },
    );
    expect(await receiveEmail(s.deps, 'ses-4', reply, PASS)).toEqual({ outcome: 'reply', requestId: request.id });
    const joined = (await s.deps.audit.list(request.id)).find((e) => e.type === 'mail.received');
    expect(joined!.detail).toMatchObject({ outcome: 'reply', attachments: [{ size: 13, key: 'attachments/none' }] });
    // The file's name stays with the file: the trail, which outlives the request's term, never holds it.
    expect(JSON.stringify(await s.deps.audit.list(request.id))).not.toContain('id.pdf');
    expect(s.requests.requests.size).toBe(1);

    const stray = mail({ Subject: 'Re: [DRB-99999-99999] Answer', 'Message-ID': '<m5@mail.example>' }, 'Hello?');
    expect(await receiveEmail(s.deps, 'ses-5', stray, PASS)).toEqual({ outcome: 'reply', requestId: undefined });
    expect((await s.deps.audit.list('INBOUND#ses-5'))[0]!.detail).toMatchObject({ outcome: 'reply' });
  });

  it('keeps at most 20 attachments of a mail, a few at a time, and records how many more are in the raw mail only', async () => {
    const s = systemFor('profiles/demo.json');
    const files = Array.from({ length: 500 }, (_, i) => [
      '--b1',
      `Content-Type: application/pdf; name="scan-${i}.pdf"`,
      `Content-Disposition: attachment; filename="scan-${i}.pdf"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(`%PDF-1.4 ${i}`).toString('base64'),
    ]).flat();
    const head = ['From: Aigerim <aigerim@example.kz>', 'To: privacy@derbes.local', 'Subject: Исправьте мои данные', 'Message-ID: <many@mail.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', ''];
    const raw = new TextEncoder().encode([...head, '--b1', 'Content-Type: text/plain; charset=utf-8', '', 'Прошу исправить мою фамилию, сканы во вложении.', ...files, '--b1--', ''].join('\r\n'));
    let kept = 0;
    let keeping = 0;
    let mostAtOnce = 0;
    s.deps.mailArchive.keep = async () => {
      mostAtOnce = Math.max(mostAtOnce, ++keeping);
      await new Promise((resolve) => setTimeout(resolve, 1));
      keeping--;
      return `attachments/${++kept}`;
    };
    const outcome = await receiveEmail(s.deps, 'ses-many', raw, PASS);
    expect(outcome.outcome).toBe('request');
    expect(kept).toBe(20);
    expect(mostAtOnce).toBeLessThanOrEqual(4);
    const received = (await s.deps.audit.list(outcome.requestId!)).filter((e) => e.type === 'mail.received');
    expect(received).toHaveLength(1);
    expect(received[0]!.detail.attachments).toHaveLength(20);
    expect(received[0]!.detail.moreAttachments).toBe(480);
    expect(JSON.stringify(received[0]).length).toBeLessThan(4_000);
    // The operator's view of the mail says how many are in the raw mail only.
    const detail = await requestDetail(s.deps, outcome.requestId!);
    expect(detail.thread).toEqual([expect.objectContaining({ direction: 'in', moreAttachments: 480 })]);
  });

  it('keeps the record of a mail small whatever it holds: attachments over the size limit or under an unknown reference are listed 20 at most', async () => {
    const s = systemFor('profiles/demo.json');
    const files = Array.from({ length: 300 }, (_, i) => ['--b1', 'Content-Type: application/pdf', `Content-Disposition: attachment; filename="${'x'.repeat(150)}-${i}.pdf"`, '', `%PDF-1.4 ${i}`]).flat();
    const raw = new TextEncoder().encode(['From: Aigerim <aigerim@example.kz>', 'To: privacy@derbes.local', 'Subject: Re: [DRB-99999-99999] Answer', 'Message-ID: <stray@mail.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', 'Hello?', ...files, '--b1--', ''].join('\r\n'));
    await receiveEmail(s.deps, 'ses-stray', raw, PASS);
    const [event] = await s.deps.audit.list('INBOUND#ses-stray');
    expect(event!.detail).toMatchObject({ outcome: 'reply', moreAttachments: 280 });
    expect((event!.detail as { attachments: unknown[] }).attachments).toHaveLength(20);
    expect(JSON.stringify(event).length).toBeLessThan(4_000);
  });

  // The policy's fixed subject names the request; the body still says how far a withdrawal reaches, as under any subject.
  it.each<[string, string, string[]]>([
    ['Отзыв согласия на обработку персональных данных', 'Отзываю согласие на получение рекламных рассылок.', ['marketing_opt_out']],
    ['Вопрос', 'Отзываю согласие на получение рекламных рассылок.', ['marketing_opt_out']],
    ['Отзыв согласия на обработку персональных данных', 'Здравствуйте!\n\nОтзываю согласие только на получение рекламных рассылок.\n\nАсель', ['marketing_opt_out']],
    ['Отзыв согласия на обработку персональных данных', 'Здравствуйте!\n\nОтзываю своё согласие.\n\nАсель Нурпеисова', ['consent_withdrawal']],
    ['Отзыв согласия на обработку персональных данных', 'Здравствуйте!', ['consent_withdrawal']],
    ['Отзыв согласия на обработку персональных данных', 'Отзываю согласие на рекламу и иные цели.', ['consent_withdrawal']],
  ])('with I-License\'s fixed subjects, «%s» / «%s» makes a request of %j', async (subject, body, types) => {
    const s = systemFor('profiles/seeds/i-license.json');
    const outcome = await receiveEmail(s.deps, 'ses-f', mail({ Subject: subject, 'Message-ID': '<f1@mail.example>' }, body), PASS);
    expect(outcome.outcome).toBe('request');
    expect((await s.deps.requests.get(outcome.requestId!)).types).toEqual(types);
  });

  it('reads a withdrawal of consent «only» to marketing as an opt-out of marketing, not of every purpose', async () => {
    const s = systemFor('profiles/demo.json');
    const raw = mail({ Subject: 'Отзыв согласия', 'Message-ID': '<f2@mail.example>' }, 'Добрый день. Отзываю согласие только на получение рекламных рассылок.');
    const outcome = await receiveEmail(s.deps, 'ses-g', raw, PASS);
    expect((await s.deps.requests.get(outcome.requestId!)).types).toEqual(['marketing_opt_out']);
  });

  it('drops an automatic reply, recording why, and makes no request', async () => {
    const s = systemFor('profiles/demo.json');
    const outcome = await receiveEmail(s.deps, 'ses-6', mail({ Subject: 'Out of office', 'Message-ID': '<m6@mail.example>', 'Auto-Submitted': 'auto-replied' }, 'I am away.'), PASS);
    expect(outcome.outcome).toBe('drop');
    expect(s.requests.requests.size).toBe(0);
    expect((await s.deps.audit.list('INBOUND#ses-6'))[0]!.detail).toMatchObject({ outcome: 'drop', reason: outcome.reason });
    // Delivered again (a retried invocation): recorded once.
    await receiveEmail(s.deps, 'ses-6', mail({ Subject: 'Out of office', 'Message-ID': '<m6@mail.example>', 'Auto-Submitted': 'auto-replied' }, 'I am away.'), PASS);
    expect(await s.deps.audit.list('INBOUND#ses-6')).toHaveLength(1);
  });
});
