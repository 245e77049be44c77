import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { startTestSystem } from '../support/local-system.ts';
import { MailSink } from '../support/mail-sink.ts';
import { withoutGrant } from '../support/template-edits.ts';

/**
 * One hostile request must not stop the local runtime, and mail it accepted must reach intake whatever happens to it:
 * an unreadable URL, a client gone mid-body, a sender gone mid-message each end with themselves; mail whose intake
 * failed waits in the on-failure queue (as in AWS) and the next start hands it to intake again.
 */
const SENDER = 'dana.seitova@mail.example';
let sink: MailSink;
let system: RunningSystem;
const dataDir = mkdtempSync(join(tmpdir(), 'derbes-resilience-'));

beforeAll(async () => {
  sink = await new MailSink().start();
  // Intake cannot read the stored mail: every attempt fails, as a bug or an outage would make it fail.
  system = await startTestSystem({ dataDir, mailRelayUrl: sink.url, editTemplate: (template) => withoutGrant(template, 'EmailIntake', 's3:GetObject') });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

/** Bytes to a port, the connection closed by the server or, after `closeAfterMs`, by us; what came back. */
function exchange(port: number, bytes: string, closeAfterMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    if (closeAfterMs !== undefined) setTimeout(() => socket.destroy(), closeAfterMs);
  });
}

const healthy = async () => (await fetch(`${system.url}/health`)).status;
const port = () => Number(new URL(system.url).port);
const failedIntake = () => {
  const queues = join(dataDir, 'sqs');
  return existsSync(queues) ? readdirSync(queues).flatMap((queue) => readdirSync(join(queues, queue)).map((name) => join(queues, queue, name))) : [];
};

describe('the local runtime outlives one hostile request', () => {
  it('a path segment that is no percent-encoding is answered 400', async () => {
    expect((await fetch(`${system.url}/console/%E0%A4%A`)).status).toBe(400);
    expect(await healthy()).toBe(200);
  });

  it('a request target that is no URL is answered 400', async () => {
    expect(await exchange(port(), 'GET http://a:99999/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await healthy()).toBe(200);
  });

  it('a client that drops its connection mid-body is let go', async () => {
    await exchange(port(), 'POST /api/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":', 300);
    expect(await healthy()).toBe(200);
  });

  it('a sender that drops its connection mid-message is let go, and nothing of it reaches intake', async () => {
    const socket = connect(system.smtpPort, '127.0.0.1');
    let received = '';
    const reply = (code: string) =>
      new Promise<void>((resolve) => {
        const check = () => (new RegExp(`^${code}[ ]`, 'm').test(received) ? ((received = ''), socket.off('data', check), resolve()) : undefined);
        socket.on('data', (chunk) => ((received += chunk.toString('latin1')), check()));
      });
    await reply('220');
    for (const [command, code] of [['EHLO x', '250'], [`MAIL FROM:<${SENDER}>`, '250'], ['RCPT TO:<privacy@derbes.local>', '250'], ['DATA', '354']] as const) {
      const answered = reply(code);
      socket.write(`${command}\r\n`);
      await answered;
    }
    socket.write(`From: ${SENDER}\r\nSubject: half`);
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(await healthy()).toBe(200);
    await system.mailIntakeIdle();
    expect(failedIntake()).toEqual([]);
  });
});

describe('mail whose intake failed is not lost', () => {
  it('waits in the on-failure queue after its retries, and the next start hands it to intake, which answers the person', async () => {
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true });
    await smtp.sendMail({ from: SENDER, to: 'privacy@derbes.local', subject: 'Access request', text: 'What data do you hold about me?' });
    smtp.close();
    await system.mailIntakeIdle();
    const [record] = failedIntake();
    expect(JSON.parse(readFileSync(record!, 'utf8'))).toMatchObject({ requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 }, requestPayload: { Records: [{ eventSource: 'aws:ses' }] } });
    expect(sink.messages.filter((m) => m.to.includes(SENDER))).toEqual([]);

    await system.stop();
    system = await startTestSystem({ dataDir, mailRelayUrl: sink.url });
    await system.mailIntakeIdle();
    expect(failedIntake()).toEqual([]);
    const deadline = Date.now() + 60_000;
    while (!sink.messages.some((m) => m.to.includes(SENDER)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(sink.messages.filter((m) => m.to.includes(SENDER)).map((m) => m.subject)).toEqual([expect.stringMatching(/DRB-/)]);
  });
});
