import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createTransport, type Transporter } from 'nodemailer';
import PostalMime from 'postal-mime';
import type { ServiceRequest, ServiceResponse } from './aws-endpoint.ts';
import { rawSender, sesError } from './aws-protocols.ts';

type Delivery = { kind: 'relay'; url: string } | { kind: 'outbox'; directory: string };

/** A message's header block, up to the first empty line, with that line (the whole message when it has no body). */
function headerOf(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : raw.length;
  return raw.subarray(0, end);
}

class RelayRefused extends Error {
  constructor(
    readonly code: number,
    readonly enhanced: string,
  ) {
    super(`the mail relay refused the message (${code}${enhanced ? ` ${enhanced}` : ''})`);
  }
}

/**
 * The local stand-in for SES sending, so the functions send mail exactly as in AWS (SendRawEmail with the SES
 * client). It delivers each message at once: to the SMTP relay given as MAIL_RELAY_URL, or as an .eml file in the
 * outbox folder. A relay's temporary refusal (4xx) is SES' ServiceUnavailable, which the SDK retries as it
 * would in AWS; a permanent one (5xx) is MessageRejected. Error texts carry status codes, never addresses.
 */
export class SesHost {
  private readonly transport?: Transporter;
  private readonly suppressed: Set<string>;

  constructor(
    private readonly delivery: Delivery,
    private readonly suppressionFile: string,
  ) {
    // Connections to the relay are kept and reused, as SES keeps its own to the receiving servers: a new SMTP session
    // per message costs its handshake each time (smtp-server, which tests and mail catchers run, pauses 100 ms before
    // its greeting), on the path of every mail the workflow waits for. Settings in the URL still win (?pool=false).
    if (delivery.kind === 'relay') this.transport = createTransport({ url: delivery.url, pool: true });
    this.suppressed = new Set(existsSync(suppressionFile) ? (JSON.parse(readFileSync(suppressionFile, 'utf8')) as string[]) : []);
  }

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    if (request.path.startsWith('/v2/')) return this.handleV2(request);
    const form = new URLSearchParams(request.body.toString('utf8'));
    const action = form.get('Action');
    if (action !== 'SendRawEmail') return sesError(400, 'Sender', 'InvalidAction', `the local runtime does not implement ${action}`);
    const raw = Buffer.from(form.get('RawMessage.Data') ?? '', 'base64');
    // What is needed of the message is in its header (recipients, Message-ID): its body and attachments go unparsed.
    const parsed = await PostalMime.parse(headerOf(raw));
    const listed = [...form.entries()].filter(([name]) => /^Destinations\.member\.\d+$/.test(name)).map(([, value]) => value);
    const headerRecipients = [...(parsed.to ?? []), ...(parsed.cc ?? []), ...(parsed.bcc ?? [])].flatMap((a) => (a.address ? [a.address] : (a.group ?? []).map((g) => g.address)));
    // SES drops mail to an address on the account's suppression list (and reports a bounce); so does this.
    const recipients = (listed.length ? listed : headerRecipients).filter((address) => !this.suppressed.has(address.toLowerCase()));
    if (!listed.length && !headerRecipients.length) return sesError(400, 'Sender', 'InvalidParameterValue', 'Missing final \'@domain\'');
    const messageId = `${Date.now().toString(16)}-${randomBytes(12).toString('hex')}-000000`;
    try {
      if (recipients.length) await this.deliver(raw, rawSender(form), recipients, parsed.messageId ?? messageId);
    } catch (error) {
      if (error instanceof RelayRefused && error.code >= 500) return sesError(400, 'Sender', 'MessageRejected', error.message);
      const reason = error instanceof RelayRefused ? error.message : 'the mail relay could not be reached';
      return sesError(503, 'Receiver', 'ServiceUnavailable', `Service is unavailable: ${reason}`);
    }
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult><MessageId>${messageId}</MessageId></SendRawEmailResult><ResponseMetadata><RequestId>${randomBytes(16).toString('hex')}</RequestId></ResponseMetadata></SendRawEmailResponse>`,
    };
  }

  private async handleV2(request: ServiceRequest): Promise<ServiceResponse> {
    if (request.method === 'PUT' && request.path === '/v2/email/suppression/addresses') {
      const { EmailAddress } = JSON.parse(request.body.toString('utf8') || '{}') as { EmailAddress?: string };
      if (!EmailAddress) return sesError(400, 'Sender', 'BadRequest', 'EmailAddress is required', true);
      this.suppressed.add(EmailAddress.toLowerCase());
      mkdirSync(dirname(this.suppressionFile), { recursive: true });
      writeFileSync(this.suppressionFile, JSON.stringify([...this.suppressed]));
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    }
    return sesError(404, 'Sender', 'NotFound', `the local runtime does not implement ${request.method} ${request.path}`, true);
  }

  private async deliver(raw: Buffer, sender: string, recipients: string[], messageId: string): Promise<void> {
    if (this.delivery.kind === 'outbox') {
      await mkdir(this.delivery.directory, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${messageId.replace(/[^A-Za-z0-9.-]/g, '')}.eml`;
      await writeFile(join(this.delivery.directory, name), raw);
      return;
    }
    try {
      await this.transport!.sendMail({ envelope: { from: sender, to: recipients }, raw });
    } catch (error) {
      const { responseCode, response } = error as { responseCode?: number; response?: string };
      if (responseCode) throw new RelayRefused(responseCode, /\b[245]\.\d{1,3}\.\d{1,3}\b/.exec(response ?? '')?.[0] ?? '');
      throw error;
    }
  }

  stop(): void {
    this.transport?.close();
  }
}
