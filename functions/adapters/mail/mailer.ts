import { SESClient, SendRawEmailCommand, type SESClientConfig } from '@aws-sdk/client-ses';
import { DependencyError, MailDeferred, MailRejected, ServiceUnavailable } from '../../domain/errors.ts';
import { awsClient, transientErrorFor } from '../dependency-errors.ts';
import type { Mailer, OutgoingMail } from '../../use-cases/ports.ts';
import { composeMessage, type MailSender } from './compose.ts';

type Deliver = (raw: Buffer, mail: OutgoingMail) => Promise<void>;

/** One mailer: composes the message, then hands it to SES (the local runtime stands in for SES at home). */
export class ComposingMailer implements Mailer {
  constructor(
    private readonly from: MailSender,
    private readonly deliver: Deliver,
    private readonly suppressed: (email: string) => Promise<boolean>,
  ) {}

  async send(mail: OutgoingMail): Promise<'sent' | 'suppressed'> {
    if (mail.category === 'marketing' && (await this.suppressed(mail.to))) return 'suppressed';
    const raw = composeMessage(mail, this.from);
    try {
      await this.deliver(raw, mail);
    } catch (error) {
      throw mailError(error);
    }
    return 'sent';
  }
}

/** SES errors that refuse this message for good; anything else unnamed stays a plain DependencyError. */
const SES_REJECTIONS = new Set(['MessageRejected', 'MailFromDomainNotVerifiedException']);

/**
 * A failed delivery as a named error that says what kind of failure it was and nothing else: a relay's answer
 * ("550 5.1.1 <user@…>: Recipient address rejected") quotes the address, and error text ends up in logs and in
 * the execution history. SMTP reply codes and enhanced status codes are kept; they are what an operator needs.
 */
export function mailError(error: unknown): DependencyError {
  if (error instanceof DependencyError) return error;
  const failure = (error ?? {}) as { name?: string; code?: string; responseCode?: number; response?: string };
  if (typeof failure.responseCode === 'number') {
    const enhanced = /\b[245]\.\d{1,3}\.\d{1,3}\b/.exec(failure.response ?? '')?.[0];
    const reply = `SMTP ${failure.responseCode}${enhanced ? ` ${enhanced}` : ''}`;
    if (failure.responseCode >= 400 && failure.responseCode < 500) return new MailDeferred(`the mail relay deferred the message (${reply})`);
    if (failure.responseCode >= 500) return new MailRejected(`the mail relay refused the message (${reply})`);
  }
  if (failure.name && SES_REJECTIONS.has(failure.name)) return new MailRejected(`SES refused the message (${failure.name})`);
  const transient = transientErrorFor(error, 'the mail relay');
  if (transient) return transient;
  // nodemailer's connection failures carry their own codes (ECONNECTION, ETIMEDOUT, ESOCKET, EDNS).
  if (failure.code === 'ECONNECTION' || failure.code === 'ESOCKET' || failure.code === 'EDNS') return new ServiceUnavailable(`the mail relay could not be reached (${failure.code})`);
  return new DependencyError(`mail delivery failed (${failure.code ?? failure.name ?? 'unknown error'})`);
}

/**
 * How long one call to SES may take before it is given up as a timeout (the SDK tries it again, up to three times in
 * all). A call that hung would outlast the invocation: it would time out after the mail went and before it was
 * recorded, and the step's retry would send it again. Three such calls fit in what the Answer step keeps after its
 * notices (AFTER_NOTICES_MS), and in a mail notice's share of the time before.
 */
export const SES_REQUEST_TIMEOUT_MS = 5_000;

/** The SES client mail goes through, each call bounded (`config` adds to it: a region, an endpoint). */
export function sesClient(config: SESClientConfig = {}): SESClient {
  // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes.
  return new SESClient({ requestHandler: { connectionTimeout: SES_REQUEST_TIMEOUT_MS, requestTimeout: SES_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true }, ...config });
}

/** Delivers to the mail's one recipient, named outright: SES then reads no recipient from the headers. */
export function sesDelivery(ses: SESClient = awsClient(sesClient(), 'SES')): Deliver {
  return async (raw, mail) => {
    await ses.send(new SendRawEmailCommand({ RawMessage: { Data: raw }, Destinations: [mail.to] }));
  };
}
