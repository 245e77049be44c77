import { describe, expect, it } from 'vitest';
import type { SesVerdicts } from '../../../functions/domain/email/index.ts';
import { HELD_MAIL_KEEP_DAYS } from '../../../functions/domain/held-mail.ts';
import { ConflictError, NotFoundError } from '../../../functions/domain/errors.ts';
import { admitHeldMail, dismissHeldMail, HELD_MAIL_PAGE_SIZE, listHeldMail } from '../../../functions/use-cases/held-mail.ts';
import { inbox } from '../../../functions/use-cases/inbox.ts';
import { threadedUnder } from '../../../functions/use-cases/notify.ts';
import { onBehalfOf } from '../../../functions/use-cases/on-behalf-of.ts';
import { requestDetail } from '../../../functions/use-cases/operator.ts';
import { receiveEmail } from '../../../functions/use-cases/receive-email.ts';
import { deadlineFor } from '../../../functions/use-cases/submit-request.ts';
import { NOW, OPERATOR, operatorMails, placeRequest, runToAnswer, systemFor } from '../../support/flow.ts';
import type { MemorySystem } from '../../support/memory-deps.ts';
import type { RequestType } from '../../../functions/domain/request-types.ts';

const PASS: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };
/** A sender whose domain publishes nothing: no check vouches for it. */
const NOBODY_VOUCHES: SesVerdicts = { ...PASS, spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' };
const OTHER_OPERATOR = { kind: 'person', sub: '9d2f8a61-1c3e-4b7a-8e05-7a6c5d4b3e21', email: 'daniyar.operator@demo.kz' } as const;

function mail(from: string, subject: string, messageId: string, body = 'Прошу удалить все мои персональные данные.'): Uint8Array {
  return new TextEncoder().encode([`From: ${from}`, 'To: privacy@derbes.local', `Subject: ${subject}`, `Message-ID: ${messageId}`, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
}

/** Delivers a mail as SES would (stored, then handed to intake): held when no check vouches for it. */
async function deliver(s: MemorySystem, sesMessageId: string, raw: Uint8Array, verdicts = NOBODY_VOUCHES) {
  s.rawMail.set(sesMessageId, raw);
  return receiveEmail(s.deps, sesMessageId, raw, verdicts);
}

/** The operator API's dependencies for one operator's call: everything they write names them. */
const as = (s: MemorySystem, actor: typeof OPERATOR | typeof OTHER_OPERATOR = OPERATOR) => onBehalfOf(s.deps, actor);

describe('held mail', () => {
  it('is listed for the operator, the latest first, with its reason, sender, subject, checks and size; nobody is mailed but the operator, once', async () => {
    const s = systemFor('profiles/demo.json');
    const first = mail('Дана Сейтова <dana@mail.example>', 'Удаление данных', '<h1@mail.example>');
    expect(await deliver(s, 'ses-h1', first)).toEqual({ outcome: 'held', reason: 'unauthenticated' });
    s.setNow(new Date(NOW.getTime() + 60_000));
    await deliver(s, 'ses-h2', mail('erlan@mail.example', 'Мои данные', '<h2@mail.example>'), { ...PASS, dkim: 'FAIL', dmarc: 'FAIL' });
    const list = await listHeldMail(s.deps, {});
    expect(list).toEqual({
      total: 2,
      keepDays: HELD_MAIL_KEEP_DAYS,
      timeZone: 'Asia/Almaty',
      mails: [
        { sesMessageId: 'ses-h2', arrivedAt: new Date(NOW.getTime() + 60_000).toISOString(), reason: 'unauthenticated', sender: 'erlan@mail.example', subject: 'Мои данные', verdicts: { ...PASS, dkim: 'FAIL', dmarc: 'FAIL' }, passedFor: { spf: [], dkim: [] }, size: expect.any(Number) },
        { sesMessageId: 'ses-h1', arrivedAt: NOW.toISOString(), reason: 'unauthenticated', sender: 'dana@mail.example', senderName: 'Дана Сейтова', subject: 'Удаление данных', verdicts: NOBODY_VOUCHES, passedFor: { spf: [], dkim: [] }, size: first.byteLength },
      ],
    });
    expect((await inbox(s.deps, {})).heldMail).toBe(2);
    expect(s.workflow.started).toEqual([]);
    // One alert for the hour, pointing at the list in the console.
    const [alert, ...more] = operatorMails(s);
    expect(more).toEqual([]);
    expect(alert!.text).toContain('https://privacy.example/console/held-mail');
    expect(alert!.text).toContain(`через ${HELD_MAIL_KEEP_DAYS} дней`);
    expect(alert!.text).not.toContain('{');
  });

  it('holds mail past the sender\'s limit as rate-limited, on the list like the rest', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { mailRequestsPerSender: { burst: 1, perMinute: 0.1 } } }) });
    await deliver(s, 'ses-r1', mail('asel@mail.example', 'Удаление данных', '<r1@mail.example>'), PASS);
    await deliver(s, 'ses-r2', mail('asel@mail.example', 'Удаление данных', '<r2@mail.example>', 'Прошу удалить и номер телефона.'), PASS);
    expect((await listHeldMail(s.deps, {})).mails).toMatchObject([{ sesMessageId: 'ses-r2', reason: 'rate_limited', sender: 'asel@mail.example' }]);
  });

  it('made a request by an operator: receipted through its workflow, due from the day the mail arrived, naming the operator, and off the list', async () => {
    const s = systemFor('profiles/demo.json');
    await deliver(s, 'ses-a1', mail('Дана <dana@mail.example>', 'Удаление данных', '<a1@mail.example>'));
    // The operator reads it three days later.
    const later = new Date(NOW.getTime() + 3 * 86_400_000);
    s.setNow(later);
    const { reference } = await admitHeldMail(as(s), 'ses-a1', OPERATOR);
    const request = await s.deps.requests.get(reference);
    expect(request).toMatchObject({ types: ['erasure'], channel: 'email', email: 'dana@mail.example', name: 'Дана', receivedAt: NOW.toISOString(), status: 'RECEIVED' });
    expect(request.admitted).toEqual({ by: OPERATOR.email, at: later.toISOString(), held: 'unauthenticated' });
    expect(request.deadline.dueAt).toBe(deadlineFor(s.deps, ['erasure'], NOW).dueAt);
    // Its workflow starts, its link living the whole TTL from now although the due date has passed: the person could
    // not confirm a link that did not exist.
    expect(s.workflow.started).toEqual([reference]);
    expect(s.workflow.starts[0]!.verificationExpiresAt).toBe(new Date(later.getTime() + s.deps.profile.verification.codeTtlHours * 3_600_000).toISOString());
    const trail = await s.deps.audit.list(reference);
    expect(trail.find((e) => e.type === 'request.received')!.detail).toMatchObject({ channel: 'email', admittedBy: OPERATOR.email, held: 'unauthenticated', operator: OPERATOR });
    expect(trail.find((e) => e.type === 'mail.received')!.detail).toMatchObject({ sesMessageId: 'ses-a1', outcome: 'request', held: 'unauthenticated', verdicts: NOBODY_VOUCHES, operator: OPERATOR });
    // The mail's own trail: held on arrival, admitted by the operator into this request.
    expect((await s.deps.audit.list('INBOUND#ses-a1')).map((e) => [e.type, e.type === 'mail.received' ? e.detail.outcome : e.type === 'mail.admitted' ? e.detail.requestId : undefined, e.detail.operator])).toEqual([
      ['mail.received', 'held', undefined],
      ['mail.admitted', reference, OPERATOR],
    ]);
    expect(await listHeldMail(s.deps, {})).toEqual({ total: 0, keepDays: HELD_MAIL_KEEP_DAYS, timeZone: 'Asia/Almaty', mails: [] });
    // The list's entry keeps nothing personal once settled: the request keeps the address, name and subject.
    expect(s.heldMail.mails.get('ses-a1')).not.toHaveProperty('sender');
    expect(s.heldMail.mails.get('ses-a1')).not.toHaveProperty('senderName');
    expect(s.heldMail.mails.get('ses-a1')).not.toHaveProperty('subject');
    expect((await requestDetail(s.deps, reference)).subject).toBe('Удаление данных');
  });

  it('holds a mail with two From headers though DMARC passed, and made a request its subject is not repeated until the address confirms', async () => {
    const s = systemFor('profiles/demo.json');
    // SES judged DMARC for one From; intake reads the first, which may be another.
    const raw = new TextEncoder().encode(['From: dana@mail.example', 'From: attacker@evil.example', 'To: privacy@derbes.local', 'Subject: Купите часы: example.com/spam', 'Message-ID: <f2@mail.example>', '', 'Прошу удалить мои данные.', ''].join('\r\n'));
    expect(await deliver(s, 'ses-f2', raw, PASS)).toEqual({ outcome: 'held', reason: 'unauthenticated' });
    const { reference } = await admitHeldMail(as(s), 'ses-f2', OPERATOR);
    expect(threadedUnder(await s.deps.requests.get(reference), 'receipt', 'x', 'derbes.local').subject).not.toContain('example.com/spam');
  });

  it('made a request twice, or by two operators at once, makes one request and answers each with it', async () => {
    const s = systemFor('profiles/demo.json');
    await deliver(s, 'ses-t1', mail('dana@mail.example', 'Удаление данных', '<t1@mail.example>'));
    const [one, two] = await Promise.all([admitHeldMail(as(s), 'ses-t1', OPERATOR), admitHeldMail(as(s, OTHER_OPERATOR), 'ses-t1', OTHER_OPERATOR)]);
    expect(one.reference).toBe(two.reference);
    expect(await admitHeldMail(as(s), 'ses-t1', OPERATOR)).toEqual(one);
    expect([...s.requests.requests.keys()]).toEqual([one.reference]);
    expect(new Set(s.workflow.started)).toEqual(new Set([one.reference]));
    expect((await s.deps.audit.list('INBOUND#ses-t1')).filter((e) => e.type === 'mail.admitted')).toHaveLength(1);
  });

  it('a rate-limited mail made a request spends no token of the buckets it was held by', async () => {
    const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { mailRequestsPerSender: { burst: 1, perMinute: 0.0001 } } }) });
    await deliver(s, 'ses-b1', mail('asel@mail.example', 'Удаление данных', '<b1@mail.example>'), PASS);
    await deliver(s, 'ses-b2', mail('asel@mail.example', 'Доступ к данным', '<b2@mail.example>', 'Какие данные вы обо мне храните?'), PASS);
    const { reference } = await admitHeldMail(as(s), 'ses-b2', OPERATOR);
    expect((await s.deps.requests.get(reference)).admitted).toMatchObject({ held: 'rate_limited' });
    expect((await s.deps.requests.get(reference)).types).toEqual(['access']);
  });

  it('dismissed: recorded on its own trail with the operator, off the list, never made a request after; dismissing again is no error', async () => {
    const s = systemFor('profiles/demo.json');
    await deliver(s, 'ses-d1', mail('spam@mail.example', 'Купите часы', '<d1@mail.example>', 'Лучшие часы по лучшей цене.'));
    expect(await dismissHeldMail(as(s), 'ses-d1', OPERATOR)).toEqual({ dismissed: 'ses-d1' });
    expect(await dismissHeldMail(as(s, OTHER_OPERATOR), 'ses-d1', OTHER_OPERATOR)).toEqual({ dismissed: 'ses-d1' });
    expect((await s.deps.audit.list('INBOUND#ses-d1')).map((e) => [e.type, e.detail.operator])).toEqual([
      ['mail.received', undefined],
      ['mail.dismissed', OPERATOR],
    ]);
    expect((await listHeldMail(s.deps, {})).total).toBe(0);
    await expect(admitHeldMail(as(s), 'ses-d1', OPERATOR)).rejects.toThrow(new ConflictError(`held mail ses-d1 was dismissed by ${OPERATOR.email} at ${NOW.toISOString()}`));
    expect(s.requests.requests.size).toBe(0);
  });

  it('a mail made a request is not dismissed after, nor while another operator is making it one', async () => {
    const s = systemFor('profiles/demo.json');
    await deliver(s, 'ses-x1', mail('dana@mail.example', 'Удаление данных', '<x1@mail.example>'));
    await deliver(s, 'ses-x2', mail('erlan@mail.example', 'Удаление данных', '<x2@mail.example>'));
    const { reference } = await admitHeldMail(as(s), 'ses-x1', OPERATOR);
    await expect(dismissHeldMail(as(s), 'ses-x1', OTHER_OPERATOR)).rejects.toThrow(`held mail ses-x1 was admitted into request ${reference}`);
    // An admission under way (its request not made yet) is not dismissed under it.
    expect(await s.deps.heldMail.startAdmission('ses-x2', { kind: 'admitting', by: OPERATOR.email, at: NOW.toISOString() })).toBe(true);
    await expect(dismissHeldMail(as(s), 'ses-x2', OTHER_OPERATOR)).rejects.toThrow(ConflictError);
    expect((await listHeldMail(s.deps, {})).mails).toMatchObject([{ sesMessageId: 'ses-x2', admitting: { by: OPERATOR.email } }]);
    // The admission cut short is taken up by the next, which makes the request.
    const { reference: second } = await admitHeldMail(as(s, OTHER_OPERATOR), 'ses-x2', OTHER_OPERATOR);
    expect((await s.deps.requests.get(second)).email).toBe('erlan@mail.example');
  });

  it('one that cannot make a request — another mail took its Message-ID first — goes back on the list, saying why', async () => {
    const s = systemFor('profiles/demo.json');
    // A signed mail made a request under this Message-ID; an unsigned one with other words reuses it.
    await deliver(s, 'ses-m1', mail('dana@mail.example', 'Удаление данных', '<same@mail.example>'), PASS);
    await deliver(s, 'ses-m2', mail('dana@mail.example', 'Доступ', '<same@mail.example>', 'Какие данные вы храните?'));
    await expect(admitHeldMail(as(s), 'ses-m2', OPERATOR)).rejects.toThrow(/carries the Message-ID of another mail that made a request before/);
    expect(s.requests.requests.size).toBe(1);
    expect((await listHeldMail(s.deps, {})).mails).toEqual([expect.objectContaining({ sesMessageId: 'ses-m2' })]);
    expect((await listHeldMail(s.deps, {})).mails[0]).not.toHaveProperty('admitting');
  });

  it(`leaves the list ${HELD_MAIL_KEEP_DAYS} days after it arrived, and can then be neither admitted nor dismissed`, async () => {
    const s = systemFor('profiles/demo.json');
    await deliver(s, 'ses-e1', mail('dana@mail.example', 'Удаление данных', '<e1@mail.example>'));
    s.setNow(new Date(NOW.getTime() + (HELD_MAIL_KEEP_DAYS - 1) * 86_400_000));
    expect((await listHeldMail(s.deps, {})).total).toBe(1);
    s.setNow(new Date(NOW.getTime() + (HELD_MAIL_KEEP_DAYS * 86_400_000) + 1));
    expect(await listHeldMail(s.deps, {})).toEqual({ total: 0, keepDays: HELD_MAIL_KEEP_DAYS, timeZone: 'Asia/Almaty', mails: [] });
    expect((await inbox(s.deps, {})).heldMail).toBe(0);
    await expect(admitHeldMail(as(s), 'ses-e1', OPERATOR)).rejects.toThrow(NotFoundError);
    await expect(dismissHeldMail(as(s), 'ses-e1', OPERATOR)).rejects.toThrow(NotFoundError);
    await expect(admitHeldMail(as(s), 'no-such-mail', OPERATOR)).rejects.toThrow(NotFoundError);
  });

  it('lists a flood a page at a time, every mail once, the total told', async () => {
    const s = systemFor('profiles/demo.json');
    for (let i = 0; i < 2 * HELD_MAIL_PAGE_SIZE + 7; i++) {
      s.setNow(new Date(NOW.getTime() + i * 1000));
      await deliver(s, `ses-f${i}`, mail(`made.up.${i}@nowhere.example`, 'Удаление данных', `<f${i}@nowhere.example>`));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listHeldMail(s.deps, cursor ? { cursor } : {});
      expect(page.total).toBe(2 * HELD_MAIL_PAGE_SIZE + 7);
      expect(page.mails.length).toBeLessThanOrEqual(HELD_MAIL_PAGE_SIZE);
      seen.push(...page.mails.map((m) => m.sesMessageId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 2 * HELD_MAIL_PAGE_SIZE + 7 }, (_, i) => `ses-f${2 * HELD_MAIL_PAGE_SIZE + 6 - i}`));
  });
});

/** A reply naming a request, with one scan attached. */
function reply(from: string, reference: string, n: number, text = `Скан страницы ${n}.`): Uint8Array {
  return new TextEncoder().encode(
    [
      `From: ${from}`,
      'To: privacy@derbes.local',
      `Subject: Re: [${reference}] Ваш запрос`,
      `Message-ID: <scan.${n}@example.kz>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '--b1',
      `Content-Type: application/pdf; name="scan-${n}.pdf"`,
      `Content-Disposition: attachment; filename="scan-${n}.pdf"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(`%PDF-1.4 scan ${n}`).toString('base64'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

/** A system whose requests take two replies of each kind (the person's, everyone else's) and then hold the rest. */
async function withTwoRepliesAllowed(types: RequestType[] = ['rectification']) {
  const s = systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits: { mailRepliesPerRequest: { burst: 2, perMinute: 0.0001 } } }) });
  const request = await placeRequest(s, types, { language: 'ru', name: 'Айгерим' });
  // Where each attachment is kept: with the request's files, or apart in its quarantine.
  const folders: Array<string | undefined> = [];
  s.deps.mailArchive.keep = async (_id, attachment, folder) => {
    folders.push(folder);
    return `attachments/${folder ?? 'files'}/${attachment.filename}`;
  };
  return { s, request, folders };
}

describe('held replies', () => {
  it("a reply of the person's past the reply limits is listed as a reply to its request; admitted, it joins as theirs, once, drawing on no limit", async () => {
    const { s, request, folders } = await withTwoRepliesAllowed();
    const outcomes = [];
    for (const n of [1, 2, 3]) outcomes.push((await deliver(s, `ses-p${n}`, reply('Айгерим <aigerim@example.kz>', request.id, n), PASS)).outcome);
    expect(outcomes).toEqual(['reply', 'reply', 'held']);
    const list = await listHeldMail(s.deps, {});
    expect(list.total).toBe(1);
    expect(list.mails).toEqual([
      { sesMessageId: 'ses-p3', arrivedAt: NOW.toISOString(), reason: 'rate_limited', sender: 'aigerim@example.kz', senderName: 'Айгерим', subject: `Re: [${request.id}] Ваш запрос`, verdicts: PASS, passedFor: { spf: expect.any(Array), dkim: [] }, size: expect.any(Number), reply: { reference: request.id, fromThePerson: true } },
    ]);
    expect((await inbox(s.deps, {})).heldMail).toBe(1);
    expect((await s.deps.requests.get(request.id)).replies?.map((r) => r.text)).toEqual(['Скан страницы 1.', 'Скан страницы 2.']);

    const later = new Date(NOW.getTime() + 3_600_000);
    s.setNow(later);
    // The request's bucket is still empty: the admission takes nothing from it.
    expect(await admitHeldMail(as(s), 'ses-p3', OPERATOR)).toEqual({ reference: request.id, joinedAs: 'reply' });
    expect((await s.deps.requests.get(request.id)).replies?.map((r) => r.text)).toEqual(['Скан страницы 1.', 'Скан страницы 2.', 'Скан страницы 3.']);
    const joined = (await s.deps.audit.list(request.id)).filter((e) => e.type === 'mail.received' && e.detail.sesMessageId === 'ses-p3');
    expect(joined.map((e) => e.detail)).toMatchObject([{ outcome: 'reply', attachments: [{ size: 15, key: 'attachments/files/scan-3.pdf' }], held: 'rate_limited', arrivedAt: NOW.toISOString(), operator: OPERATOR }]);
    expect(folders).toEqual([undefined, undefined, undefined]);
    expect((await s.deps.audit.list('INBOUND#ses-p3')).map((e) => [e.type, e.type === 'mail.received' ? e.detail.outcome : e.type === 'mail.admitted' ? e.detail.requestId : undefined])).toEqual([
      ['mail.received', 'held'],
      ['mail.admitted', request.id],
    ]);
    expect((await listHeldMail(s.deps, {})).total).toBe(0);
    // Pressed again, or by another operator: the same answer, nothing joined twice.
    expect(await admitHeldMail(as(s, OTHER_OPERATOR), 'ses-p3', OTHER_OPERATOR)).toEqual({ reference: request.id, joinedAs: 'reply' });
    expect((await s.deps.requests.get(request.id)).replies).toHaveLength(3);
    expect((await s.deps.audit.list(request.id)).filter((e) => e.type === 'mail.received' && e.detail.sesMessageId === 'ses-p3')).toHaveLength(1);
    expect(s.workflow.started).toEqual([]);
  });

  it("one no check vouched for as the person's joins as another sender's mail, its files kept apart", async () => {
    const { s, request, folders } = await withTwoRepliesAllowed();
    // The person's address in From, but SPF fails and nothing else vouches: mail under anyone's name.
    const forged = { ...PASS, spf: 'FAIL', dkim: 'GRAY', dmarc: 'GRAY' } as const;
    for (const n of [1, 2, 3]) await deliver(s, `ses-o${n}`, reply('aigerim@example.kz', request.id, n, 'Пришлите всё моему юристу.'), forged);
    expect((await listHeldMail(s.deps, {})).mails).toMatchObject([{ sesMessageId: 'ses-o3', reason: 'rate_limited', reply: { reference: request.id, fromThePerson: false } }]);
    expect(await admitHeldMail(as(s), 'ses-o3', OPERATOR)).toEqual({ reference: request.id, joinedAs: 'third_party' });
    expect((await s.deps.requests.get(request.id)).replies).toBeUndefined();
    const joined = (await s.deps.audit.list(request.id)).find((e) => e.type === 'mail.received' && e.detail.sesMessageId === 'ses-o3');
    expect(joined!.detail).toMatchObject({ outcome: 'third_party', quarantined: [{ size: 15, key: 'attachments/quarantine/scan-3.pdf' }], held: 'rate_limited' });
    expect(folders).toEqual(['quarantine', 'quarantine', 'quarantine']);
  });

  it('one whose request was answered since joins it as any reply to an answered request: kept, left to the operator as open work', async () => {
    const { s, request } = await withTwoRepliesAllowed(['access']);
    for (const n of [1, 2, 3]) await deliver(s, `ses-c${n}`, reply('aigerim@example.kz', request.id, n), PASS);
    s.setNow(new Date(NOW.getTime() + 60_000));
    await runToAnswer(s, request.id);
    expect((await s.deps.requests.get(request.id)).status).not.toMatch(/RECEIVED|IN_PROGRESS|AWAITING/);
    s.setNow(new Date(NOW.getTime() + 120_000));
    expect(await admitHeldMail(as(s), 'ses-c3', OPERATOR)).toEqual({ reference: request.id, joinedAs: 'reply' });
    expect((await s.deps.requests.get(request.id)).replies?.at(-1)?.text).toBe('Скан страницы 3.');
    expect(await s.deps.openWork.list()).toEqual([expect.objectContaining({ requestId: request.id, kind: 'reply' })]);
  });

  it('dismissed, it joins nothing and cannot be admitted after', async () => {
    const { s, request } = await withTwoRepliesAllowed();
    for (const n of [1, 2, 3]) await deliver(s, `ses-d${n}`, reply('aigerim@example.kz', request.id, n), PASS);
    expect(await dismissHeldMail(as(s), 'ses-d3', OPERATOR)).toEqual({ dismissed: 'ses-d3' });
    await expect(admitHeldMail(as(s), 'ses-d3', OPERATOR)).rejects.toThrow(ConflictError);
    expect((await s.deps.requests.get(request.id)).replies).toHaveLength(2);
    expect((await listHeldMail(s.deps, {})).total).toBe(0);
  });
});
