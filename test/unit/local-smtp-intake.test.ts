import { createTransport } from 'nodemailer';
import type { SESEvent } from 'aws-lambda';
import { expect, it } from 'vitest';
import { decideIntake, type IntakeContext } from '../../functions/domain/email/index.ts';
import { SmtpIntake, type DnsResolver } from '../../infra/local/smtp-intake.ts';

// evil.example lets this machine send its mail; victim.kz names another host, and publishes no DMARC policy.
const resolver: DnsResolver = async (name, type) => {
  if (type === 'TXT' && name === 'evil.example') return [['v=spf1 ip4:127.0.0.1 -all']];
  if (type === 'TXT' && name === 'victim.kz') return [['v=spf1 ip4:192.0.2.1 -all']];
  throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
};
const ctx: IntakeContext = { defaultLanguage: 'en', ownMessageIdDomain: 'derbes.local', supportAddresses: ['privacy@derbes.local'], fixedSubjects: [], maxMessageBytes: 40 << 20, maxAttachmentBytes: 5 << 20 };

/** The local front door on a free port, keeping what it stores and the events it hands to intake. */
async function frontDoor(): Promise<{ stored: Buffer[]; events: SESEvent[]; smtp: SmtpIntake; port: number }> {
  const stored: Buffer[] = [];
  const events: SESEvent[] = [];
  const s3 = { send: async (command: { input: { Body: Uint8Array } }) => void stored.push(Buffer.from(command.input.Body)) };
  const smtp = new SmtpIntake({ recipients: ['privacy@derbes.local'], bucket: 'b', prefix: 'p/', functionLogicalId: 'Intake' }, s3 as never, async () => undefined, async (_id, event) => void events.push(event), resolver);
  return { stored, events, smtp, port: await smtp.listen(0) };
}

it("vouches at the local front door for no From the sender's HELO names, only for the envelope SPF passed for", async () => {
  const { stored, events, smtp, port } = await frontDoor();
  /** What intake decides of a mail sent as `From: from` after `EHLO helo` and `MAIL FROM:<a@evil.example>`. */
  const vouched = async (helo: string, from: string) => {
    await createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, name: helo }).sendMail({ envelope: { from: 'a@evil.example', to: ['privacy@derbes.local'] }, from, to: 'privacy@derbes.local', subject: 'Delete my data', text: 'Please erase all my personal data.' });
    const { mail, receipt } = events.at(-1)!.Records[0]!.ses;
    const verdicts = { spam: receipt.spamVerdict.status, virus: receipt.virusVerdict.status, spf: receipt.spfVerdict.status, dkim: receipt.dkimVerdict.status, dmarc: receipt.dmarcVerdict.status };
    return { decision: await decideIntake(stored.at(-1)!, verdicts, ctx, mail.source), header: stored.at(-1)!.toString('latin1').split('\r\n\r\n')[0]! };
  };
  try {
    expect((await vouched('mx.evil.example', 'a@evil.example')).decision).toMatchObject({ kind: 'request', vouched: true });
    const forged = await vouched('mx(x)envelope-from=ceo@victim.kz', 'ceo@victim.kz');
    expect(forged.decision).toMatchObject({ kind: 'request', vouched: false });
    expect(forged.header).toContain('helo=mxxenvelope-from=ceo@victim.kz;');
  } finally {
    await smtp.stop();
  }
});

it('refuses at the local front door a mail whose first line would continue the header it puts on top, and stores and hands on nothing', async () => {
  const { stored, events, smtp, port } = await frontDoor();
  const send = (first: string) =>
    createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail({
      envelope: { from: 'a@evil.example', to: ['privacy@derbes.local'] },
      raw: `${first}From: aigerim@victim.kz\r\nTo: privacy@derbes.local\r\nSubject: Re: [DRB-87AZ4-38850]\r\n\r\nplease erase all my data\r\n`,
    });
  try {
    for (const fold of ['\tdkim=pass header.i=@victim.kz;\r\n', ' dkim=pass header.i=@victim.kz;\r\n', '\r\n']) {
      await expect(send(fold)).rejects.toMatchObject({ responseCode: 554 });
    }
    expect([stored, events]).toEqual([[], []]);
    await send('');
    // The mail's first header follows the front door's, whole.
    expect(stored.map((raw) => raw.toString('latin1'))).toEqual([expect.stringMatching(/^Authentication-Results: amazonses\.com; [^]*;\r\nFrom: aigerim@victim\.kz\r\nTo: /)]);
    expect(events).toHaveLength(1);
  } finally {
    await smtp.stop();
  }
});
