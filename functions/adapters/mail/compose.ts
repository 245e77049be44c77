import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutgoingMail } from '../../use-cases/ports.ts';

/** Who derbes' mail comes from: the support address, with the company's name for people to see. */
export interface MailSender {
  address: string;
  name: string;
}

/**
 * Builds the MIME message once, whatever carries it (SES, an SMTP relay, the local outbox).
 * Auto-Submitted tells other robots not to answer us (RFC 3834), which breaks mail loops at their end too.
 */
export async function composeMessage(mail: OutgoingMail, from: MailSender): Promise<Buffer> {
  const composer = new MailComposer({
    from: { name: mail.fromName ?? from.name, address: from.address },
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo, references: [mail.inReplyTo] } : {}),
    textEncoding: 'quoted-printable',
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
  });
  return composer.compile().build();
}
