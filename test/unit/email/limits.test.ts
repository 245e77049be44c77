import { describe, expect, it } from 'vitest';
import { decideIntake, type IntakeContext, type SesVerdicts } from '../../../functions/domain/email/index.ts';

const PASS: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };
const context: IntakeContext = { defaultLanguage: 'ru', ownMessageIdDomain: 'derbes.local', supportAddresses: ['privacy@derbes.local'], fixedSubjects: [], maxMessageBytes: 10 * 1024 * 1024, maxAttachmentBytes: 1024 * 1024 };

describe('header limits', () => {
  it('a Message-ID longer than a header line may be is not kept (found by the intake fuzzer: it overflowed a DynamoDB item)', async () => {
    const raw = Buffer.from(`From: a@example.kz\r\nTo: privacy@derbes.local\r\nMessage-ID: <${'x'.repeat(600_000)}@example.kz>\r\nSubject: Please delete my data\r\n\r\nPlease delete my account.\r\n`);
    const decision = await decideIntake(raw, PASS, context);
    expect(decision.kind).toBe('request');
    expect(decision.messageId).toBeUndefined();
  });
});

describe('cutting long values', () => {
  it('cuts a file name between characters, never inside an emoji, keeping its extension, so what is stored is well-formed text', async () => {
    const name = `${'a'.repeat(194)}😀😀${'b'.repeat(10)}.pdf`;
    const encoded = encodeURIComponent(name);
    const raw = Buffer.from(
      [
        'From: Person <p@example.kz>', 'To: privacy@derbes.local', 'Subject: Please send my data', 'Message-ID: <m1@example.kz>', 'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', 'Please send my data', '--b',
        `Content-Type: application/pdf; name*=UTF-8''${encoded}`, `Content-Disposition: attachment; filename*=UTF-8''${encoded}`, 'Content-Transfer-Encoding: base64', '', 'JVBERi0=', '--b--', '',
      ].join('\r\n'),
    );
    const decision = await decideIntake(raw, PASS, context);
    const [attachment] = (decision as { attachments: Array<{ filename: string }> }).attachments;
    expect(attachment!.filename).toBe(`${'a'.repeat(194)}😀….pdf`);
    expect(attachment!.filename.isWellFormed()).toBe(true);
  });
});

describe('the sender name', () => {
  it('is cut to the 200 characters a request keeps (a 300,000-character display name made every write of the request fail)', async () => {
    const raw = Buffer.from(`From: ${'Ж'.repeat(300_000)} <a@example.kz>\r\nTo: privacy@derbes.local\r\nMessage-ID: <n1@example.kz>\r\nSubject: Please delete my data\r\n\r\nPlease delete my account.\r\n`);
    const decision = await decideIntake(raw, PASS, context);
    expect(decision).toMatchObject({ kind: 'request', sender: 'a@example.kz', senderName: 'Ж'.repeat(200) });
  });
});

describe('text a stranger sent that reads otherwise than it is', () => {
  it('loses the characters that turn text around (U+202E and the like) from the sender name and the subject, which mails echo', async () => {
    const b64 = (text: string) => `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
    const raw = Buffer.from(`From: ${b64('Даниар\u202E <b>')} <d@example.kz>\r\nTo: privacy@derbes.local\r\nMessage-ID: <bidi1@example.kz>\r\nSubject: ${b64('Удалить данные \u202ETXT.EXE\u2066 \u200Fx')}\r\n\r\nПрошу удалить мои данные.\r\n`);
    expect(await decideIntake(raw, PASS, context)).toMatchObject({ kind: 'request', senderName: 'Даниар <b>', subject: 'Удалить данные TXT.EXE x' });
  });
});

describe('a sender no mail can reach', () => {
  it('makes no request: a local part outside ASCII is refused at intake, as the web form refuses it', async () => {
    const raw = Buffer.from(`From: =?UTF-8?B?${Buffer.from('Имя').toString('base64')}?= <почта0@example.kz>\r\nTo: privacy@derbes.local\r\nMessage-ID: <u1@example.kz>\r\nSubject: Please delete my data\r\n\r\nPlease delete my account.\r\n`);
    expect(await decideIntake(raw, PASS, context)).toMatchObject({ kind: 'reject', reason: 'unmailable_sender', messageId: '<u1@example.kz>' });
  });
});
