import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { withTransientErrors } from '../../functions/adapters/dependency-errors.ts';
import { ComposingMailer, SES_REQUEST_TIMEOUT_MS, sesClient, sesDelivery } from '../../functions/adapters/mail/mailer.ts';
import { DependencyTimeout } from '../../functions/domain/errors.ts';

describe('the mailer', () => {
  const delivered: Buffer[] = [];
  const mailer = new ComposingMailer({ address: 'privacy@derbes.local', name: 'ТОО «Пример»' }, async (raw) => void delivered.push(raw), async (email) => email === 'opted.out@example.kz');
  const mail = { to: 'opted.out@example.kz', subject: 'Тема', text: 'Текст', messageId: '<DRB-AAAAA-BBBBB.answer.1@derbes.local>' };

  it('never sends marketing to an address on the suppression list', async () => {
    await expect(mailer.send({ ...mail, category: 'marketing' })).resolves.toBe('suppressed');
    expect(delivered).toHaveLength(0);
  });

  it('still delivers the answers the law requires, marked so robots do not answer them', async () => {
    await expect(mailer.send(mail)).resolves.toBe('sent');
    const raw = delivered[0]!.toString('utf8');
    expect(raw).toContain('Auto-Submitted: auto-replied');
    expect(raw).toContain('Message-ID: <DRB-AAAAA-BBBBB.answer.1@derbes.local>');
    expect(raw).toMatch(/Content-Type: text\/plain; charset=utf-8/i);
    expect(raw).toContain('From: =?UTF-8?');
    expect(raw).toContain('<privacy@derbes.local>');
    expect(raw).not.toContain('In-Reply-To');
  });

  it("names the company in From, in the mail's language, and threads a reply under the mail it answers", async () => {
    delivered.length = 0;
    await mailer.send({ ...mail, fromName: 'Example LLP', inReplyTo: '<CAF+x1@mail.example.kz>' });
    const raw = delivered[0]!.toString('utf8');
    expect(raw).toContain('From: Example LLP <privacy@derbes.local>');
    expect(raw).toContain('In-Reply-To: <CAF+x1@mail.example.kz>');
    expect(raw).toContain('References: <CAF+x1@mail.example.kz>');
  });

  it('names the one recipient to SES, so no header of the message can add another', async () => {
    const bodies: string[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200, { 'content-type': 'text/xml' }).end('<SendRawEmailResponse><SendRawEmailResult><MessageId>m-1</MessageId></SendRawEmailResult></SendRawEmailResponse>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const ses = sesClient({ endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback' }, maxAttempts: 1 });
      const mailer = new ComposingMailer({ address: 'privacy@derbes.local', name: 'ТОО «Пример»' }, sesDelivery(ses), async () => false);
      await expect(mailer.send(mail)).resolves.toBe('sent');
      const form = new URLSearchParams(bodies[0]);
      expect([...form.entries()].filter(([name]) => name.startsWith('Destinations.'))).toEqual([['Destinations.member.1', mail.to]]);
    } finally {
      await new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)));
    }
  });

  it('gives up a call to SES that is never answered, as a timeout the step retries, rather than outlast the invocation', async () => {
    let calls = 0;
    const server = createServer(() => void calls++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const ses = sesClient({ endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback' }, maxAttempts: 1 });
      const deliver = sesDelivery(withTransientErrors(ses, 'SES'));
      const mailer = new ComposingMailer({ address: 'privacy@derbes.local', name: 'ТОО «Пример»' }, deliver, async () => false);
      await expect(mailer.send(mail)).rejects.toBeInstanceOf(DependencyTimeout);
      expect(calls).toBe(1);
    } finally {
      await new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)));
    }
  }, SES_REQUEST_TIMEOUT_MS * 3);
});
