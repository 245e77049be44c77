import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Processor } from '../../../functions/config/profile-schema.ts';
import { policyWithin, ProcessorNotifier } from '../../../functions/adapters/processors/processor-notifier.ts';
import { processorNoticeSchema, processorNotice, type ProcessorNotice } from '../../../functions/domain/processor-notice.ts';
import { DependencyError, ValidationError } from '../../../functions/domain/errors.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../../functions/domain/signing.ts';
import type { Mailer, OutgoingMail } from '../../../functions/use-cases/ports.ts';

const SECRETS: Record<string, string> = { ELEVENLABS_WEBHOOK_KEY: 'elevenlabs-shared-key', RETIRED_KEY: 'a-key-the-processor-no-longer-has' };
const readSecret = async (name: string) => {
  const secret = SECRETS[name];
  if (!secret) throw new Error(`unknown secret ${name}`);
  return secret;
};
const fastRetry = { attempts: 3, baseDelayMs: 10, timeoutMs: 1000 };
/** Time enough for every attempt of a policy. */
const A_MINUTE = 60_000;

const notice = processorNotice({
  requestId: 'DRB-7K2QF-M9XWA',
  type: 'erasure',
  submittedAt: '2026-11-20T10:00:00.000Z',
  email: 'alice@example.kz',
  controllerName: 'MICA LLP (4Sell Cashier)',
});
/** The mail the workflow writes in the processor's language (rules/messages); webhooks carry the notice instead. */
const mail = { subject: '[DRB-7K2QF-M9XWA] Data subject request: blocking', text: 'Please stop processing the personal data of this subject until we tell you otherwise.' };

/** The records a test Mailer keeps: our own port, filled in without any mail server. */
class RecordingMailer implements Mailer {
  readonly sent: OutgoingMail[] = [];
  constructor(private readonly failure?: Error) {}
  async send(mail: OutgoingMail): Promise<'sent'> {
    if (this.failure) throw this.failure;
    this.sent.push(mail);
    return 'sent';
  }
}

function processor(notify: Processor['notify'], notifyOn: Processor['notifyOn'] = ['rectification', 'blocking', 'unblocking', 'erasure', 'consent_withdrawal']): Processor {
  return { id: 'elevenlabs', name: 'ElevenLabs', role: 'processor', purpose: { en: 'Transcribes call audio' }, country: 'US', notify, notifyOn };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/**
 * A processor's OpenDSR-style `/requests` endpoint: refuses a bad signature with 401 and a body that is
 * not a notice with 400, and otherwise answers with `status(n)` for the n-th request (1-based).
 */
async function startReceiver(status: (n: number) => number = () => 201): Promise<{ url: string; received: ProcessorNotice[]; requests: () => number }> {
  const received: ProcessorNotice[] = [];
  let requests = 0;
  const server = createServer(async (request, response) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    if (!verifySignature(request.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, raw, SECRETS.ELEVENLABS_WEBHOOK_KEY!, new Date())) {
      return response.writeHead(401).end();
    }
    const body = processorNoticeSchema().safeParse(JSON.parse(raw.toString('utf8')));
    if (!body.success) return response.writeHead(400).end();
    const answer = status(requests);
    if (answer < 300) received.push(body.data);
    response.writeHead(answer, { 'content-type': 'application/json' }).end(JSON.stringify({ subject_request_id: body.data.subject_request_id }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/opendsr/requests`, received, requests: () => requests };
}

describe('telling processors by webhook', () => {
  it('POSTs the signed notice, which the receiver verifies', async () => {
    const receiver = await startReceiver();
    const notifier = new ProcessorNotifier(new RecordingMailer(), readSecret, 'cashier.4sell.ai', fastRetry);
    const delivery = await notifier.notify(processor({ kind: 'webhook', url: receiver.url, secretName: 'ELEVENLABS_WEBHOOK_KEY' }), notice, mail, A_MINUTE);
    expect(delivery).toEqual({ processorId: 'elevenlabs', channel: 'webhook', delivered: true, status: 201, attempts: 1, signature: expect.any(String) });
    // The signature kept as evidence is the one the receiver checked: of exactly this body, under the processor's key.
    expect(verifySignature(delivery.signature, JSON.stringify(notice), await readSecret('ELEVENLABS_WEBHOOK_KEY'), new Date())).toBe(true);
    expect(receiver.received).toEqual([
      {
        subject_request_id: 'DRB-7K2QF-M9XWA',
        subject_request_type: 'erasure',
        submitted_time: '2026-11-20T10:00:00.000Z',
        subject_identities: [{ identity_type: 'email', identity_value: 'alice@example.kz', identity_format: 'raw' }],
        api_version: '0.1',
        controller: { name: 'MICA LLP (4Sell Cashier)' },
      },
    ]);
  });

  it('retries a receiver that fails once', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? 502 : 201));
    const notifier = new ProcessorNotifier(new RecordingMailer(), readSecret, 'cashier.4sell.ai', fastRetry);
    const delivery = await notifier.notify(processor({ kind: 'webhook', url: receiver.url, secretName: 'ELEVENLABS_WEBHOOK_KEY' }), notice, mail, A_MINUTE);
    expect(delivery).toMatchObject({ delivered: true, status: 201, attempts: 2 });
    expect(receiver.received).toHaveLength(1);
  });

  it('returns an undelivered notice, with the attempts counted, when the receiver keeps failing', async () => {
    const receiver = await startReceiver(() => 503);
    const notifier = new ProcessorNotifier(new RecordingMailer(), readSecret, 'cashier.4sell.ai', fastRetry);
    const delivery = await notifier.notify(processor({ kind: 'webhook', url: receiver.url, secretName: 'ELEVENLABS_WEBHOOK_KEY' }), notice, mail, A_MINUTE);
    expect(delivery).toEqual({ processorId: 'elevenlabs', channel: 'webhook', delivered: false, status: 503, attempts: 3, error: 'answered HTTP 503', signature: expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/) });
    expect(receiver.requests()).toBe(3);
  });

  it('returns an undelivered notice when the receiver refuses the signature', async () => {
    const receiver = await startReceiver();
    const notifier = new ProcessorNotifier(new RecordingMailer(), readSecret, 'cashier.4sell.ai', fastRetry);
    const delivery = await notifier.notify(processor({ kind: 'webhook', url: receiver.url, secretName: 'RETIRED_KEY' }), notice, mail, A_MINUTE);
    expect(delivery).toEqual({ processorId: 'elevenlabs', channel: 'webhook', delivered: false, status: 401, attempts: 1, error: 'answered HTTP 401', signature: expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/) });
  });
});

describe('a webhook notice within the time it is given', () => {
  it('keeps as many whole attempts as fit, each back-off at its longest, or one shorter attempt', () => {
    const policy = { attempts: 3, baseDelayMs: 200, timeoutMs: 10_000 };
    expect(policyWithin(policy, 40_000)).toEqual(policy);
    expect(policyWithin(policy, 30_600)).toEqual(policy);
    expect(policyWithin(policy, 30_599)).toEqual({ ...policy, attempts: 2 });
    expect(policyWithin(policy, 20_200)).toEqual({ ...policy, attempts: 2 });
    expect(policyWithin(policy, 20_199)).toEqual({ ...policy, attempts: 1 });
    expect(policyWithin(policy, 4_000)).toEqual({ ...policy, attempts: 1, timeoutMs: 4_000 });
  });

  it('gives up on a receiver that never answers when its time is up, with no retry started after', async () => {
    let requests = 0;
    const server = createServer(() => void requests++);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/opendsr/requests`;
    // The deployed policy (three attempts of ten seconds), given half a second.
    const notifier = new ProcessorNotifier(new RecordingMailer(), readSecret, 'cashier.4sell.ai');
    const delivery = await notifier.notify(processor({ kind: 'webhook', url, secretName: 'ELEVENLABS_WEBHOOK_KEY' }), notice, mail, 500);
    expect(delivery).toEqual({ processorId: 'elevenlabs', channel: 'webhook', delivered: false, attempts: 1, error: 'no answer within 500 ms', signature: expect.any(String) });
    expect(requests).toBe(1);
    server.closeAllConnections();
  });
});

describe('telling processors by e-mail', () => {
  it('sends a plain text notice through the Mailer', async () => {
    const mailer = new RecordingMailer();
    const notifier = new ProcessorNotifier(mailer, readSecret, 'cashier.4sell.ai');
    const delivery = await notifier.notify(processor({ kind: 'email', address: 'dpo@kazdream.kz' }), { ...notice, subject_request_type: 'blocking' }, mail, A_MINUTE);
    expect(delivery).toEqual({ processorId: 'elevenlabs', channel: 'email', delivered: true, attempts: 1 });
    expect(mailer.sent).toHaveLength(1);
    const [sent] = mailer.sent;
    expect(sent!.to).toBe('dpo@kazdream.kz');
    // The words are the caller's (the processor's language); the notifier sends them as written, with our Message-ID.
    expect(sent!.subject).toBe(mail.subject);
    expect(sent!.text).toBe(mail.text);
    expect(sent!.messageId).toMatch(/^<DRB-7K2QF-M9XWA\.processor-elevenlabs\.[0-9a-f]{12}@cashier\.4sell\.ai>$/);
  });

  it('returns an undelivered notice when the mail relay fails', async () => {
    const notifier = new ProcessorNotifier(new RecordingMailer(new DependencyError('mail delivery failed: 550 mailbox unavailable')), readSecret, 'cashier.4sell.ai');
    const delivery = await notifier.notify(processor({ kind: 'email', address: 'dpo@kazdream.kz' }), notice, mail, A_MINUTE);
    expect(delivery).toEqual({ processorId: 'elevenlabs', channel: 'email', delivered: false, attempts: 1, error: 'mail delivery failed: 550 mailbox unavailable' });
  });
});

describe('programming errors', () => {
  const notifier = new ProcessorNotifier(new RecordingMailer(new TypeError('a bug in the mailer')), readSecret, 'cashier.4sell.ai');
  const byEmail = processor({ kind: 'email', address: 'dpo@kazdream.kz' });

  it('throws for a malformed notice', async () => {
    await expect(notifier.notify(byEmail, { ...notice, api_version: '0.2' } as unknown as ProcessorNotice, mail, A_MINUTE)).rejects.toBeInstanceOf(ValidationError);
    await expect(notifier.notify(byEmail, { ...notice, subject_identities: [] }, mail, A_MINUTE)).rejects.toThrow(/subject_identities/);
  });

  it('throws for a notice the processor is not told of', async () => {
    await expect(notifier.notify(processor(byEmail.notify, ['erasure']), { ...notice, subject_request_type: 'rectification' }, mail, A_MINUTE)).rejects.toThrow('processor elevenlabs is not told of rectification');
  });

  it('lets an unexpected mailer error through', async () => {
    await expect(notifier.notify(byEmail, notice, mail, A_MINUTE)).rejects.toBeInstanceOf(TypeError);
  });
});
