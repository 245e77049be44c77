import { connect } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import PostalMime from 'postal-mime';
import type Mail from 'nodemailer/lib/mailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundMailRecords } from '../support/inbound-mail.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { MailSink, type ReceivedMail } from '../support/mail-sink.ts';
import { operatorDownload, operatorKeyOf, startTestSystem } from '../support/local-system.ts';

/**
 * Issue 3, end to end: mail to I-License's support address over real SMTP (the runtime's front door), with
 * the operator's fixed subject lines, re-deliveries, automatic mail, replies and a Kazakh request.
 */

const SUPPORT = 'info@license.kz';
const ASEL = 'asel.nurpeisova@mail.example';
const ERLAN = 'erlan.mukhamedov@mail.example';
const DANA = 'dana.seitova@mail.example';
const AIZHAN = 'aizhan.bekova@mail.example';
const REFERENCE = /DRB-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}/;

let sink: MailSink;
let system: RunningSystem;
let smtp: Transporter;
let operatorKey: string;

beforeAll(async () => {
  sink = await new MailSink().start();
  const started = Date.now();
  system = await startTestSystem({ profile: 'profiles/seeds/i-license.json', mailRelayUrl: sink.url });
  console.log(`local system started in ${Date.now() - started} ms`);
  operatorKey = operatorKeyOf(system);
  smtp = nodemailer.createTransport({ host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true });
});
afterAll(async () => {
  smtp?.close();
  await system?.stop();
  await sink?.stop();
});

// ---------------------------------------------------------------------------------------------------

interface RequestDetail {
  reference: string;
  types: string[];
  status: string;
  channel: string;
  language: string;
  email: string;
  name?: string;
  message?: string;
  thread: Array<{ direction: 'in' | 'out'; at: string; messageId?: string; template?: string; text?: string }>;
  audit: Array<{ type: string; detail: Record<string, unknown> }>;
}

async function operator(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${system.url}${path}`, { headers: { authorization: `Bearer ${operatorKey}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
const request = async (reference: string) => (await operator(`/operator/requests/${reference}`)).body as unknown as RequestDetail;
const openReferences = async () => ((await operator('/operator/requests')).body.requests as Array<{ reference: string }>).map((r) => r.reference);

/** Sends over SMTP and waits until the intake function has handled it (the SMTP answer comes after storing). */
async function send(message: Mail.Options): Promise<string> {
  const { messageId } = await smtp.sendMail({ to: SUPPORT, ...message });
  await system.mailIntakeIdle();
  return messageId;
}

const reference = (mail: ReceivedMail) => REFERENCE.exec(mail.subject)?.[0] ?? '';
/**
 * The mails since a reply of Asel's to a request she has not confirmed: only the notice that replying confirms nothing,
 * to her, in fixed words (nothing she wrote), threaded under her reply.
 */
function notConfirmedYet(mails: ReceivedMail[], ref: string): ReceivedMail[] {
  for (const mail of mails) {
    expect(mail.to).toEqual([ASEL]);
    expect(mail.subject).toBe(`Re: [${ref}] Запрос ещё не подтверждён`);
    expect(mail.text).toContain('Ответ на письмо не подтверждает запрос');
    expect(mail.text).not.toMatch(/удостоверения|номер телефона/);
  }
  return mails;
}

/** The one mail a new request gets: the receipt with the confirmation link. */
const isRuReceipt = (m: ReceivedMail) => m.subject.endsWith('Ваш запрос получен — подтвердите его') && m.text.includes('Номер обращения') && m.text.includes('/verify?code=');
const mailsAbout = (ref: string) => sink.messages.filter((m) => m.subject.includes(ref));

/** The one new request a message made: the open list grows by exactly it. */
async function newRequestSince(before: string[]): Promise<string> {
  const added = (await openReferences()).filter((r) => !before.includes(r));
  expect(added).toHaveLength(1);
  return added[0]!;
}

/** Records of mail that made no request (their own trails, INBOUND#<SES id>), found by the message's Message-ID. */
async function mailRecords(messageId: string): Promise<Array<{ outcome: string; reason?: string }>> {
  return (await inboundMailRecords()).filter((detail) => detail.messageId?.includes(messageId)).map(({ outcome, reason }) => ({ outcome, reason }));
}

/** Kept between tests: the requests the fixed subjects made, and their receipts (for the replies). */
const made: Record<string, { reference: string; receipt?: ReceivedMail }> = {};

// ---------------------------------------------------------------------------------------------------

describe('mail to the support address of I-License', () => {
  it.each([
    { sender: ASEL, subject: 'Отзыв согласия на обработку персональных данных', text: 'Здравствуйте!\n\nОтзываю своё согласие.\n\nАсель Нурпеисова', type: 'consent_withdrawal', typeName: 'отзыв согласия на обработку' },
    // Asel's second request while her first link is still unconfirmed: it waits on that link, with no mail of its own.
    { sender: ASEL, subject: 'Актуализация персональных данных', text: 'Здравствуйте!\n\nМой новый номер телефона: +7 701 555 99 00.\n\nАсель Нурпеисова', type: 'rectification', typeName: 'изменение (актуализация) персональных данных', joins: true },
    {
      sender: ERLAN,
      subject: 'Отказ от уведомлений о новых продуктах и услугах и специальных предложениях',
      text: 'Добрый день.\n\nБольше не присылайте мне рассылку.\n\nЕрлан',
      type: 'marketing_opt_out',
      typeName: 'отказ от рекламных рассылок',
    },
  ])('the fixed subject «$subject» makes a $type request, receipted in Russian with its confirmation link', async ({ sender, subject, text, type, typeName, joins }) => {
    const before = await openReferences();
    const seen = sink.messages.length;
    const name = sender === ASEL ? 'Асель Нурпеисова' : 'Ерлан Мухамедов';
    const messageId = await send({ from: { name, address: sender }, subject, text });
    const ref = await newRequestSince(before);

    const detail = await request(ref);
    // The operator reads who asked and their words, and the mail that made the request.
    expect(detail).toMatchObject({ email: sender, name, message: text.trim() });
    expect(detail.thread[0]).toMatchObject({ direction: 'in', messageId });
    expect(detail.types).toEqual([type]);
    expect(detail.channel).toBe('email');
    expect(detail.language).toBe('ru');
    expect(detail.audit.filter((e) => e.type === 'mail.received').map((e) => e.detail.outcome)).toEqual(['request']);

    if (joins) {
      let trail = detail.audit;
      for (let i = 0; i < 100 && !trail.some((e) => e.type === 'verification.requested'); i++, await new Promise((r) => setTimeout(r, 100))) trail = (await request(ref)).audit;
      expect(trail.find((e) => e.type === 'verification.requested')?.detail.joined).toBe(true);
      expect(sink.messages.slice(seen).filter((m) => reference(m) === ref)).toEqual([]);
      made[type] = { reference: ref };
      return;
    }
    const receipt = await sink.waitFor((m) => m.to.includes(sender) && reference(m) === ref && isRuReceipt(m));
    // It answers the person's mail: their client threads it under what they sent, from the company by name.
    const header = (key: string) => receipt.headers.find((h) => h.key === key)?.value;
    expect(header('in-reply-to')).toBe(messageId);
    expect(header('references')).toBe(messageId);
    expect((await PostalMime.parse(receipt.raw)).from).toEqual({ name: 'ТОО «I-License»', address: SUPPORT });
    // No DMARC vouches for the sender here (no DNS): their subject is not repeated to an address not yet confirmed.
    expect(receipt.subject).toBe(`Re: [${ref}] Ваш запрос получен — подтвердите его`);
    // The sent mail is recorded just after the relay took it.
    let thread = (await request(ref)).thread;
    for (let i = 0; i < 50 && thread.length < 2; i++, await new Promise((r) => setTimeout(r, 100))) thread = (await request(ref)).thread;
    expect(thread.map((m) => [m.direction, m.messageId])).toEqual([['in', messageId], ['out', receipt.messageId]]);
    expect(receipt.text).toContain(`Номер обращения: ${ref}`);
    expect(receipt.text).toContain(`: ${typeName}.`);
    expect(receipt.text).toContain('ТОО «I-License»');
    // Nothing the sender wrote, not even the name in From, goes back to an address that has not confirmed.
    expect(receipt.text).not.toMatch(/Асель|Ерлан/);
    // Exactly this one, to the sender.
    expect(sink.messages.slice(seen).filter((m) => reference(m) === ref).map((m) => m.to)).toEqual([[sender]]);
    made[type] = { reference: ref, receipt };
  });

  it('the same message delivered three times (same Message-ID) makes one request and one receipt', async () => {
    const before = await openReferences();
    const seen = sink.messages.length;
    const message = {
      from: DANA,
      subject: 'Отзыв согласия на обработку персональных данных',
      text: 'Прошу прекратить обработку моих данных.',
      messageId: '<resend-3x.dana@mail.example>',
    };
    for (let i = 0; i < 3; i++) await send(message);
    const ref = await newRequestSince(before);
    await sink.waitFor((m) => reference(m) === ref && isRuReceipt(m));
    const toDana = sink.messages.slice(seen).filter((m) => m.to.includes(DANA));
    expect(toDana.filter(isRuReceipt).map(reference)).toEqual([ref]);
    expect((await request(ref)).audit.filter((e) => e.type === 'mail.received')).toHaveLength(1);
  });

  it('a sender whose connection drops mid-message, again and again, stops nothing: the next mail makes its request', async () => {
    // Within a transaction (after MAIL FROM) a reset is an error the SMTP server reports; each must be survived.
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(system.smtpPort, '127.0.0.1');
        const commands = ['EHLO drop.example\r\n', 'MAIL FROM:<drop@mail.example>\r\n', `RCPT TO:<${SUPPORT}>\r\n`, 'DATA\r\n'];
        socket.on('data', () => {
          const next = commands.shift();
          if (next) return void socket.write(next);
          socket.write('Subject: half a message\r\n\r\nand then');
          setTimeout(() => (socket.resetAndDestroy(), resolve()), 100);
        });
        socket.on('error', () => undefined);
      });
    }
    const before = await openReferences();
    await send({ from: 'after.drops@mail.example', subject: 'Отзыв согласия на обработку персональных данных', text: 'Прошу прекратить обработку моих данных.', messageId: '<after-drops@mail.example>' });
    const ref = await newRequestSince(before);
    await sink.waitFor((m) => reference(m) === ref && isRuReceipt(m));
  });

  it('an auto-reply and a bounce get no answer at all and open no request', async () => {
    const before = await openReferences();
    const seen = sink.messages.length;
    // An out-of-office that repeats a fixed subject line: were it read as a person's mail, it would be a request.
    await send({
      from: ASEL,
      subject: 'Автоответ: Отзыв согласия на обработку персональных данных',
      text: 'Я в отпуске до 15 декабря и отвечу после возвращения.',
      messageId: '<vacation-1.asel@mail.example>',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    // A delivery report from the sender's mail server.
    const bounce = [
      'From: Mail Delivery System <MAILER-DAEMON@mail.example>',
      `To: ${SUPPORT}`,
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <bounce-1.daemon@mail.example>',
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="report-boundary"',
      '',
      '--report-boundary',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Your message to someone@mail.example could not be delivered: please delete my personal data.',
      '--report-boundary',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.mail.example',
      '',
      'Final-Recipient: rfc822; someone@mail.example',
      'Action: failed',
      'Status: 5.1.1',
      '--report-boundary--',
      '',
    ].join('\r\n');
    await smtp.sendMail({ envelope: { from: 'MAILER-DAEMON@mail.example', to: [SUPPORT] }, raw: bounce });
    await system.mailIntakeIdle();

    expect(await mailRecords('vacation-1.asel@mail.example')).toEqual([{ outcome: 'drop', reason: 'auto_reply' }]);
    expect(await mailRecords('bounce-1.daemon@mail.example')).toEqual([{ outcome: 'drop', reason: 'bounce' }]);
    expect(await openReferences()).toEqual(before);
    expect(sink.messages.slice(seen)).toEqual([]);
  });

  it('mail from an address no mail can reach (letters outside ASCII before the @) is refused at intake: no request, no alert', async () => {
    const before = await openReferences();
    const seen = sink.messages.length;
    const raw = [
      `From: =?UTF-8?B?${Buffer.from('Имя').toString('base64')}?= <почта0@example.kz>`,
      `To: ${SUPPORT}`,
      'Subject: Отзыв согласия на обработку персональных данных',
      'Message-ID: <unmailable-1@example.kz>',
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Отзываю своё согласие.',
      '',
    ].join('\r\n');
    await smtp.sendMail({ envelope: { from: 'bounces@example.kz', to: [SUPPORT] }, raw });
    await system.mailIntakeIdle();
    // Before, it made a request whose receipt failed, and the operator got an alert per mail, then margin and overdue.
    expect(await mailRecords('unmailable-1@example.kz')).toEqual([{ outcome: 'reject', reason: 'unmailable_sender' }]);
    expect(await openReferences()).toEqual(before);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sink.messages.slice(seen)).toEqual([]);
  });

  it('a reply to our receipt (In-Reply-To our Message-ID) joins its request and opens none', async () => {
    const { reference: ref, receipt: maybeReceipt } = made.consent_withdrawal!;
    const receipt = maybeReceipt!;
    expect(receipt.messageId).toMatch(new RegExp(`^<${ref}\\.receipt\\.[0-9a-f]+@license\\.kz>$`));
    const before = await openReferences();
    const seen = sink.messages.length;
    await send({
      from: ASEL,
      // No reference in the subject: the header alone ties it to the request.
      subject: 'Re: ваше письмо',
      inReplyTo: receipt.messageId,
      references: [receipt.messageId!],
      text: 'Добрый день! Прикладываю копию удостоверения. Также прошу удалить мои персональные данные.',
      attachments: [{ filename: 'удостоверение Асель.pdf', content: Buffer.from('%PDF-1.4 scan'), contentType: 'application/pdf' }],
    });
    const received = (await request(ref)).audit.filter((e) => e.type === 'mail.received').map((e) => ({ outcome: e.detail.outcome, attachments: e.detail.attachments }));
    // Its words are kept for the operator, in the thread; an address that has not confirmed is told, in fixed words,
    // that replying confirms nothing.
    expect((await request(ref)).thread.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual([
      'Здравствуйте!\n\nОтзываю своё согласие.\n\nАсель Нурпеисова',
      'Добрый день! Прикладываю копию удостоверения. Также прошу удалить мои персональные данные.',
    ]);
    expect(received).toEqual([
      { outcome: 'request', attachments: [] },
      { outcome: 'reply', attachments: [{ size: 13, key: expect.stringMatching(new RegExp(`^attachments/${ref}/[0-9a-f]{32}$`)) }] },
    ]);
    // The name the person gave the file is on the file alone, not in the trail (which outlives the request's term).
    expect(JSON.stringify((await request(ref)).audit)).not.toContain('Асель');
    // Kept for the operator, byte for byte, through the operator API — and only under its own request.
    const key = (received[1]!.attachments as Array<{ key: string }>)[0]!.key;
    const file = await operatorDownload(system, `/operator/requests/${ref}/attachment?key=${encodeURIComponent(key)}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="_____________ _____.pdf"; filename*=UTF-8''${encodeURIComponent('удостоверение Асель.pdf')}`);
    expect(Buffer.from(await file.arrayBuffer()).toString()).toBe('%PDF-1.4 scan');
    const elsewhere = await fetch(`${system.url}/operator/requests/${made.rectification!.reference}/attachment?key=${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${operatorKey}` } });
    expect(elsewhere.status).toBe(404);
    expect(await openReferences()).toEqual(before);
    expect(notConfirmedYet(sink.messages.slice(seen), ref)).toHaveLength(1);
  });

  it('a reply that only names the reference in its subject joins that request and opens none', async () => {
    const { reference: ref } = made.rectification!;
    const before = await openReferences();
    const seen = sink.messages.length;
    await send({ from: ASEL, subject: `Документы к обращению ${ref.toLowerCase()}`, text: 'Прошу изменить номер телефона, копия документа во вложении.' });
    expect((await request(ref)).audit.filter((e) => e.type === 'mail.received').map((e) => e.detail.outcome)).toEqual(['request', 'reply']);
    expect(await openReferences()).toEqual(before);
    expect(notConfirmedYet(sink.messages.slice(seen), ref)).toHaveLength(1);
  });

  it('a free-text erasure request in Kazakh gets a Kazakh receipt', async () => {
    const before = await openReferences();
    await send({
      from: { name: 'Айжан Бекова', address: AIZHAN },
      subject: 'Деректерімді жою туралы өтініш',
      text: 'Сәлеметсіз бе!\n\nМенің дербес деректерімді жойыңыз. Бұдан былай қызметтеріңізді пайдаланбаймын.\n\nАйжан Бекова',
    });
    const ref = await newRequestSince(before);
    const detail = await request(ref);
    expect(detail.types).toEqual(['erasure']);
    expect(detail.language).toBe('kk');
    const receipt = await sink.waitFor((m) => m.to.includes(AIZHAN) && reference(m) === ref && m.subject.endsWith('Сұрауыңыз алынды — оны растаңыз'));
    expect(receipt.text).toContain(`Сұрау нөмірі: ${ref}`);
    expect(receipt.text).toContain(': дербес деректерді жою.');
    expect(receipt.text).toContain('Сәлеметсіз бе');
    expect(receipt.text).toContain('/verify?code=');
    expect(mailsAbout(ref).some((m) => /Номер обращения|Reference number/.test(m.text))).toBe(false);
  });
});
