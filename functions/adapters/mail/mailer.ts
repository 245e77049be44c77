import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { createTransport } from 'nodemailer';
import { DependencyError } from '../../domain/errors.ts';
import type { Mailer, OutgoingMail } from '../../use-cases/ports.ts';
import { composeMessage } from './compose.ts';

type Deliver = (raw: Buffer, mail: OutgoingMail) => Promise<void>;

/** One mailer; only the last hop differs between AWS (SES), a local SMTP relay and the local outbox folder. */
export class ComposingMailer implements Mailer {
  constructor(
    private readonly from: string,
    private readonly deliver: Deliver,
    private readonly suppressed: (email: string) => Promise<boolean>,
  ) {}

  async send(mail: OutgoingMail): Promise<'sent' | 'suppressed'> {
    if (mail.category === 'marketing' && (await this.suppressed(mail.to))) return 'suppressed';
    const raw = await composeMessage(mail, this.from);
    try {
      await this.deliver(raw, mail);
    } catch (error) {
      throw new DependencyError(`mail delivery failed: ${(error as Error).message}`, { cause: error });
    }
    return 'sent';
  }
}

export function sesDelivery(): Deliver {
  const ses = new SESClient({});
  return async (raw) => {
    await ses.send(new SendRawEmailCommand({ RawMessage: { Data: raw } }));
  };
}

export function smtpDelivery(relayUrl: string, from: string): Deliver {
  const transport = createTransport(relayUrl);
  return async (raw, mail) => {
    await transport.sendMail({ envelope: { from, to: [mail.to] }, raw });
  };
}

/** Without a relay, local mail lands as .eml files that any mail client opens. */
export function outboxDelivery(directory: string): Deliver {
  return async (raw, mail) => {
    await mkdir(directory, { recursive: true });
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.messageId.replace(/[^A-Za-z0-9.-]/g, '')}.eml`;
    await writeFile(join(directory, name), raw);
  };
}
