import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SESEvent } from 'aws-lambda';
import { authenticate } from 'mailauth';
import { SMTPServer } from 'smtp-server';
import { startsWithHeaderField, type SesVerdicts } from '../../functions/domain/email/index.ts';

type Verdict = SesVerdicts['spf'];
export type DnsResolver = (name: string, type: string) => Promise<unknown>;

/** SPF as every domain publishes it on this machine: only this machine sends its mail. */
const LOOPBACK_SPF = 'v=spf1 ip4:127.0.0.1 ip6:::1 -all';

/**
 * The local stand-in for DNS, with no network: every domain's SPF record names this machine alone, and nothing else
 * resolves (at once, instead of waiting for a resolver that cannot answer). Mail handed to the local front door by a
 * program on this machine so passes SPF, as a real sender's mail passes at SES — intake answers only mail some check
 * vouches for — and mail from any other host fails it. DKIM keys and DMARC policies (names under `_`) are not found.
 */
export const loopbackResolver: DnsResolver = async (name, type) => {
  if (type === 'TXT' && !name.startsWith('_') && !name.includes('._')) return [[LOOPBACK_SPF]];
  throw Object.assign(new Error(`no DNS for ${name}`), { code: 'ENOTFOUND' });
};

function verdict(result: string | undefined): Verdict {
  switch (result) {
    case 'pass':
      return 'PASS';
    case 'fail':
    case 'softfail':
      return 'FAIL';
    case 'temperror':
    case 'permerror':
      return 'PROCESSING_FAILED';
    default:
      return 'GRAY';
  }
}

/** A check's verdict, and the domain its result names, if any. */
interface CheckResult {
  verdict: Verdict;
  domain?: string;
}

/** The word SES's header gives each verdict. */
const RESULT_WORD: Record<Verdict, string> = { PASS: 'pass', FAIL: 'fail', GRAY: 'none', PROCESSING_FAILED: 'temperror', DISABLED: 'none' };

/**
 * One token of the header: nothing that could end a property or the header (space, `;`, a comment's parenthesis,
 * a control character), whatever the sender's session said.
 */
const token = (value: string) => value.replace(/[^!-'*-:<-~]/g, '');

/**
 * SES's Authentication-Results header, as SES puts it on top of the mail it stores (`amazonses.com; spf=pass …;
 * dkim=pass header.i=@domain; dmarc=none header.from=domain;`), for an operator reading the stored mail. Intake reads
 * nothing of it: what it believes comes in the event's fields.
 */
function sesAuthenticationResults(spf: CheckResult & { clientIp: string; envelopeFrom: string; helo: string }, dkim: readonly CheckResult[], dmarc: CheckResult): string {
  const results = [
    `spf=${RESULT_WORD[spf.verdict]} client-ip=${token(spf.clientIp)}; envelope-from=${token(spf.envelopeFrom)}; helo=${token(spf.helo)};`,
    ...(dkim.length ? dkim.map((s) => `dkim=${RESULT_WORD[s.verdict]}${s.domain ? ` header.i=@${token(s.domain)}` : ''};`) : ['dkim=none;']),
    `dmarc=${RESULT_WORD[dmarc.verdict]}${dmarc.domain ? ` header.from=${token(dmarc.domain)}` : ''};`,
  ];
  return `Authentication-Results: amazonses.com; ${results.join('\r\n ')}\r\n`;
}

export interface ReceiptRule {
  recipients: string[];
  bucket: string;
  prefix: string;
  functionLogicalId: string;
}

/** The largest message SES receives (40 MB, the SES quota for email receiving). */
export const SES_MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

/**
 * The local stand-in for SES inbound: accepts mail for the receipt rule's recipients, stores the raw message
 * where the S3 action would, computes SPF/DKIM/DMARC with mailauth, and invokes the intake function with an
 * SES-shaped event asynchronously, as SES does (Lambda keeps the event, retries it, and keeps what still fails).
 */
export class SmtpIntake {
  private server?: SMTPServer;

  constructor(
    private readonly rule: ReceiptRule,
    private readonly s3: S3Client,
    /** Invokes a function as SES does (the template's AWS::Lambda::Permission decides whether it may). */
    private readonly invoke: (functionId: string, event: SESEvent) => Promise<unknown>,
    /** Invokes a function asynchronously (InvocationType Event): resolves once Lambda has kept the event. */
    private readonly invokeAsync: (functionId: string, event: SESEvent) => Promise<void>,
    private readonly resolver: DnsResolver = loopbackResolver,
  ) {}

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const recipients = new Set(this.rule.recipients.map((r) => r.toLowerCase()));
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      // SES's limit for receiving: a larger message is refused at DATA (552), so the sender's server bounces it.
      size: SES_MAX_MESSAGE_BYTES,
      logger: false,
      onRcptTo: (address, _session, callback) =>
        recipients.has(address.address.toLowerCase()) ? callback() : callback(Object.assign(new Error('5.1.1 No such mailbox here'), { responseCode: 550 })),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        // Past the limit the rest is read and dropped: a refused message costs no memory.
        stream.on('data', (chunk: Buffer) => (stream as unknown as { sizeExceeded?: boolean }).sizeExceeded || chunks.push(chunk));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(Object.assign(new Error(`5.3.4 Message exceeds the maximum size of ${SES_MAX_MESSAGE_BYTES} bytes`), { responseCode: 552 }));
            return;
          }
          const raw = Buffer.concat(chunks);
          // Its first line would continue the header put on top of it: refused, as no header can begin that way.
          if (!startsWithHeaderField(raw)) {
            callback(Object.assign(new Error('5.6.0 The message does not begin with a header field'), { responseCode: 554 }));
            return;
          }
          this.receive(raw, session.remoteAddress, session.hostNameAppearsAs, session.envelope.mailFrom ? session.envelope.mailFrom.address : '', session.envelope.rcptTo.map((r) => r.address))
            .then(() => callback())
            .catch((error: Error) => callback(Object.assign(new Error(`4.3.0 could not store the message: ${error.message}`), { responseCode: 451 })));
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    // A sender's connection that drops mid-message is that connection's end, not the runtime's: the server reports
    // it as an error event, which would otherwise end the process. Only its code is logged (no address).
    this.server.on('error', (error: NodeJS.ErrnoException) => console.error(`[smtp] a connection ended in error: ${error.code ?? error.name}`));
    return (this.server.server.address() as AddressInfo).port;
  }

  /** Where the SES S3 action puts a message: under the rule's prefix, named by a fresh SES-style message id. */
  private async store(raw: Uint8Array): Promise<string> {
    const messageId = randomBytes(16).toString('hex');
    await this.s3.send(new PutObjectCommand({ Bucket: this.rule.bucket, Key: `${this.rule.prefix}${messageId}`, Body: raw }));
    return messageId;
  }

  /** The event the SES Lambda action sends: metadata and verdicts, no body. */
  private sesEvent(messageId: string, verdicts: SesVerdicts, sender: string, rcptTo: string[]): SESEvent {
    const now = new Date().toISOString();
    return {
      Records: [
        {
          eventSource: 'aws:ses',
          eventVersion: '1.0',
          ses: {
            mail: { messageId, timestamp: now, source: sender, destination: rcptTo, headersTruncated: false, headers: [], commonHeaders: {} },
            receipt: {
              timestamp: now,
              recipients: rcptTo,
              processingTimeMillis: 0,
              spamVerdict: { status: verdicts.spam },
              virusVerdict: { status: verdicts.virus },
              spfVerdict: { status: verdicts.spf },
              dkimVerdict: { status: verdicts.dkim },
              dmarcVerdict: { status: verdicts.dmarc },
              action: { type: 'Lambda', functionArn: this.rule.functionLogicalId, invocationType: 'Event' },
            },
          },
        },
      ],
    } as unknown as SESEvent;
  }

  /**
   * SES's path without SMTP, for tools that bring their own verdicts: store, invoke once, return the intake's result.
   * The message is stored as given: SES's Authentication-Results, if wanted, is the tool's to put on top.
   */
  async deliver(raw: Uint8Array, verdicts: SesVerdicts): Promise<unknown> {
    const messageId = await this.store(raw);
    return this.invoke(this.rule.functionLogicalId, this.sesEvent(messageId, verdicts, '', this.rule.recipients));
  }

  /**
   * Checked and stored before the SMTP answer (it waits for both), with SES's Authentication-Results on top; the
   * intake runs after, as SES invokes Lambda asynchronously.
   */
  private async receive(raw: Buffer, ip: string, helo: string, sender: string, rcptTo: string[]): Promise<void> {
    const auth = await authenticate(raw, { ip, helo, sender, mta: 'derbes.local', resolver: this.resolver as never, disableArc: true, disableBimi: true });
    const spf = auth.spf && typeof auth.spf === 'object' ? (auth.spf as { status?: { result?: string } }).status?.result : undefined;
    // mailauth calls a signature whose body hash does not verify "neutral"; SES reports that as a DKIM failure.
    const signatures = ((auth.dkim as { results?: Array<{ signingDomain?: string; status?: { result?: string } }> })?.results ?? []).map((r) => ({ domain: r.signingDomain, verdict: verdict(r.status?.result?.replace(/^neutral$/, 'fail')) }));
    const dmarc = auth.dmarc && typeof auth.dmarc === 'object' ? (auth.dmarc as { status?: { result?: string }; domain?: string }) : undefined;
    // No scanner runs locally: spam and virus pass; SPF, DKIM and DMARC are computed for real.
    const verdicts: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: verdict(spf), dkim: signatures[0]?.verdict ?? 'GRAY', dmarc: verdict(dmarc?.status?.result) };
    // SES's Authentication-Results on top, as SES stores the mail; the event's verdicts and envelope sender are what intake reads.
    const header = sesAuthenticationResults(
      { verdict: verdicts.spf, clientIp: ip, envelopeFrom: sender, helo },
      signatures,
      { verdict: verdicts.dmarc, ...(dmarc?.domain && { domain: dmarc.domain }) },
    );
    const messageId = await this.store(Buffer.concat([Buffer.from(header), raw]));
    // Kept before the sender has its 250: a mail accepted is a mail intake will see, whatever stops the runtime.
    await this.invokeAsync(this.rule.functionLogicalId, this.sesEvent(messageId, verdicts, sender, rcptTo));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
