import type { AddressInfo } from 'node:net';
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  messageId?: string;
  headers: Array<{ key: string; value: string }>;
  raw: Buffer;
  /** When the sink had the whole message (ms since the epoch). */
  receivedAt: number;
}

/** How a relay answers one message it will not take: an SMTP reply code and its text, e.g. 451 "4.3.0 Try later". */
export interface Refusal {
  responseCode: number;
  message: string;
}

/**
 * A real SMTP server that keeps what derbes sends, for end-to-end tests (MAIL_RELAY_URL points here). `refuse`
 * decides, message by message, whether to answer the DATA with an SMTP error instead, as a real relay may.
 */
export class MailSink {
  readonly messages: ReceivedMail[] = [];
  /** Every refusal given, in order: what the relay answered and to whom. */
  readonly refused: Array<{ to: string[]; responseCode: number }> = [];
  private server?: SMTPServer;
  private listeners: Array<() => void> = [];
  url = '';

  constructor(private readonly refuse: (to: string[]) => Refusal | undefined = () => undefined) {}

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          const raw = Buffer.concat(chunks);
          const to = session.envelope.rcptTo.map((r) => r.address);
          const refusal = this.refuse(to);
          if (refusal) {
            this.refused.push({ to, responseCode: refusal.responseCode });
            return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.responseCode }));
          }
          const parsed = await PostalMime.parse(raw);
          this.messages.push({
            to,
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            messageId: parsed.messageId,
            headers: parsed.headers,
            raw,
            receivedAt: Date.now(),
          });
          this.listeners.forEach((notify) => notify());
          callback();
        });
      },
    });
    // A relay that is killed mid-message (bench:chaos) drops its connection: that connection's end, not the sink's.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Resolves with the first message (already here or arriving) that matches; rejects after the timeout. */
  waitFor(match: (mail: ReceivedMail) => boolean, timeoutMs = 20_000): Promise<ReceivedMail> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(found);
        return true;
      };
      const listener = () => void check();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`no matching mail within ${timeoutMs} ms; got: ${this.messages.map((m) => m.subject).join(' | ')}`));
      }, timeoutMs);
      if (!check()) this.listeners.push(listener);
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The confirmation link in a verification mail. */
export function verificationLink(mail: ReceivedMail): URL {
  const match = /https?:\/\/\S+\/verify\?code=[A-Za-z0-9_%-]+(&lang=[a-z]{2})?/.exec(mail.text);
  if (!match) throw new Error('no verification link in the mail');
  return new URL(match[0]);
}
