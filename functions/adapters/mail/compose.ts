import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutgoingMail } from '../../use-cases/ports.ts';

/**
 * Builds the MIME message once, whatever carries it (SES, an SMTP relay, the local outbox).
 * Auto-Submitted tells other robots not to answer us (RFC 3834), which breaks mail loops at their end too.
 */
export async function composeMessage(mail: OutgoingMail, from: string): Promise<Buffer> {
  const composer = new MailComposer({
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    textEncoding: 'quoted-printable',
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
  });
  return composer.compile().build();
}
