import MailComposer from 'nodemailer/lib/mail-composer';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { composeMessage, type MailSender } from '../../functions/adapters/mail/compose.ts';
import { MailRejected, ValidationError } from '../../functions/domain/errors.ts';
import type { OutgoingMail } from '../../functions/use-cases/ports.ts';

const SENDER: MailSender = { address: 'support@4sell.ai', name: 'MICA LLP' };
const KAZAKH = 'Сіздің өтінішіңіз қабылданды — деректерге қол жеткізу туралы сұрау салу: әғқңөұүһі ӘҒҚҢӨҰҮҺІ';
const TEXT = [
  'Сәлеметсіз бе!',
  '',
  'A line that is quite long and goes on and on beyond seventy-six characters, to see the soft break = sign.',
  'Trailing space here ',
  'Trailing tab here\t',
  '.',
  '=3D is not an escape here; neither is =',
  `${'ө'.repeat(60)} ${'x'.repeat(120)}`,
  'Emoji across a word: 🙂🙂🙂 and Ω, € and the end',
].join('\n');

const MAILS: Record<string, OutgoingMail> = {
  'a Kazakh receipt, threaded under the person’s mail': { to: 'person@example.kz', subject: `[DRB-00003-00213] ${KAZAKH}`, text: TEXT, messageId: '<DRB-00003-00213.receipt.1a2b@derbes.example>', inReplyTo: '<CAF+x1@mail.example.kz>', fromName: 'ТОО «Мика» (4Sell)' },
  'an operator’s message in the thread, answering the person’s latest mail': { to: 'person@example.kz', subject: `Re: Телефон [DRB-00003-00213]`, text: TEXT, messageId: '<DRB-00003-00213.operatorMessage.9c@derbes.example>', inReplyTo: '<CAF+x3@mail.example.kz>', references: ['<CAF+x1@mail.example.kz>', '<CAF+x3@mail.example.kz>'] },
  'an English answer with a short ASCII subject': { to: 'a.person+tag@example.com', subject: '[DRB-00003-00213] Your request: access', text: 'Hello,\r\n\r\nHere is what we hold.\r\n', messageId: '<DRB-00003-00213.answer.1@derbes.example>', fromName: 'Example LLP' },
  'a company name that needs quoting': { to: 'person@example.kz', subject: 'x'.repeat(90), text: 'short', messageId: '<a.b@derbes.example>', fromName: 'MICA LLP (4Sell "Cashier")' },
  'a long English subject, folded as it is': { to: 'person@example.com', subject: `Re: ${'please tell me what you hold about me '.repeat(4)}[DRB-00003-00213]`, text: 'x', messageId: '<a.h@derbes.example>', fromName: 'A company whose name is long enough that the From line has to be folded somewhere' },
  'the sender’s own name, an echoed subject with an emoji': { to: 'person@example.kz', subject: 'Re: Запрос 🙂 [DRB-00003-00213]', text: '', messageId: '<a.c@derbes.example>' },
};

async function parsed(raw: Buffer) {
  const email = await PostalMime.parse(raw);
  return {
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    messageId: email.messageId,
    inReplyTo: email.inReplyTo,
    references: email.references,
    autoSubmitted: email.headers.find((h) => h.key === 'auto-submitted')?.value,
    suppress: email.headers.find((h) => h.key === 'x-auto-response-suppress')?.value,
  };
}

/** What nodemailer's MailComposer made of the same mail before this composer replaced it in the functions. */
function composedByNodemailer(mail: OutgoingMail, from: MailSender): Promise<Buffer> {
  const composer = new MailComposer({
    from: { name: mail.fromName ?? from.name, address: from.address },
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo, references: mail.references ?? [mail.inReplyTo] } : {}),
    textEncoding: 'quoted-printable',
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
  });
  return composer.compile().build();
}

describe('composing a mail', () => {
  for (const [name, mail] of Object.entries(MAILS)) {
    it(`reads as nodemailer's message read, and keeps every line within its limit: ${name}`, async () => {
      const raw = composeMessage(mail, SENDER, new Date('2026-12-01T01:45:51Z'));
      const ours = await parsed(raw);
      expect(ours).toEqual(await parsed(await composedByNodemailer(mail, SENDER)));
      // And what the person reads is what was written, not only what both composers agree on.
      expect(ours.subject).toBe(mail.subject);
      // (The parser ends a text with one line break; an empty one it leaves out.)
      expect((ours.text ?? '').replace(/\n$/, '')).toBe(mail.text.replace(/\r\n/g, '\n').replace(/\n$/, ''));
      expect(ours.from).toEqual({ name: mail.fromName ?? SENDER.name, address: SENDER.address });
      expect(ours.messageId).toBe(mail.messageId);
      const message = raw.toString('utf8');
      const head = message.slice(0, message.indexOf('\r\n\r\n'));
      const body = message.slice(message.indexOf('\r\n\r\n') + 4);
      expect(head).toContain('Date: Tue, 01 Dec 2026 01:45:51 +0000');
      expect(head).toContain('MIME-Version: 1.0');
      for (const line of head.split('\r\n')) expect(line.length, line).toBeLessThanOrEqual(78);
      for (const line of body.split('\r\n')) {
        expect(line.length, line).toBeLessThanOrEqual(76);
        expect(line, 'nothing outside printable ASCII').toMatch(/^[\x20-\x7e]*$/);
        expect(line, 'no whitespace a transport could strip').not.toMatch(/[ \t]$/);
        expect(line, 'no character split across a soft break').not.toMatch(/^=[89AB][0-9A-F]/);
      }
      expect(raw.toString('utf8')).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
    });
  }

  it('keeps a subject, a name or an id from someone’s mail from ending its header or adding one: a line break reads as a space', async () => {
    const raw = composeMessage(
      { to: 'person@example.kz', subject: 'Hi\r\nBcc: victim@example.com', text: 'x', messageId: '<a.d@derbes.example>', inReplyTo: '<x@y>\r\nBcc: victim@example.com', fromName: 'Name\nBcc: victim@example.com' },
      SENDER,
    );
    const text = raw.toString('utf8');
    expect(text).not.toMatch(/^Bcc:/im);
    const email = await PostalMime.parse(raw);
    expect(email.subject).toBe('Hi Bcc: victim@example.com');
    expect(email.from?.name).toBe('Name Bcc: victim@example.com');
    expect(email.inReplyTo).toBe('<x@y>');
    expect(email.bcc).toBeUndefined();
  });

  it('writes an English subject as plain text, and a name that looks like an encoded word as what it says', async () => {
    const mail = MAILS['a long English subject, folded as it is']!;
    const head = composeMessage(mail, SENDER).toString('utf8').split('\r\n\r\n')[0]!;
    expect(head).toContain('Subject: Re: please tell me what you hold about me');
    expect(head).not.toMatch(/^Subject: =\?/m);
    const looksEncoded = '=?UTF-8?B?QXBwbGUgU3VwcG9ydA==?=';
    const email = await PostalMime.parse(composeMessage({ ...mail, fromName: looksEncoded, subject: looksEncoded }, SENDER));
    expect(email.from?.name).toBe(looksEncoded);
    expect(email.subject).toBe(looksEncoded);
  });

  it('threads nothing under a header that names no Message-ID', () => {
    const text = composeMessage({ to: 'person@example.kz', subject: 's', text: 'x', messageId: '<a.e@derbes.example>', inReplyTo: 'not an id' }, SENDER).toString('utf8');
    expect(text).not.toContain('In-Reply-To');
    expect(text).not.toContain('References');
  });

  it('writes an international domain in ASCII, and refuses an address that would break the header', () => {
    expect(composeMessage({ to: 'person@пример.kz', subject: 's', text: 'x', messageId: '<a.f@derbes.example>' }, SENDER).toString('utf8')).toContain('To: person@xn--e1afmkfd.kz');
    // Each of these a reader could take for another recipient (a comment, a group, a list) or for a broken header.
    for (const to of ['person@example.kz, other@example.kz', 'person@example.kz>\r\nBcc: x@y', 'no-at-sign', '<person@example.kz>', 'victim@evil.com)(@x.kz', 'victim@evil.com(x)a@example.kz', 'g:victim@evil.com@example.kz', '"quoted"@example.kz', '.dot@example.kz']) {
      expect(() => composeMessage({ to, subject: 's', text: 'x', messageId: '<a.g@derbes.example>' }, SENDER), to).toThrow(ValidationError);
    }
    expect(() => composeMessage({ to: 'person@example.kz', subject: 's', text: 'x', messageId: 'no brackets@derbes.example' }, SENDER)).toThrow(ValidationError);
    // SES carries only ASCII before the @: refused for good, as SES would, not as bad input.
    expect(() => composeMessage({ to: 'пользователь@example.kz', subject: 's', text: 'x', messageId: '<a.i@derbes.example>' }, SENDER)).toThrow(MailRejected);
  });
});
