import { createTransport } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { MailSink } from '../support/mail-sink.ts';
import { operatorCall, postJson, startTestSystem } from '../support/local-system.ts';

/**
 * derbes attacked as an outsider would, on the local runtime: each test is one attack that worked before it was
 * fixed, and must keep failing.
 */

let sink: MailSink;
let system: RunningSystem;

beforeAll(async () => {
  sink = await new MailSink().start();
  system = await startTestSystem({ mailRelayUrl: sink.url });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

/** Mail to the support address over the runtime's SMTP front door, handled by the intake function before it returns. */
async function mailSupport(message: Mail.Options): Promise<void> {
  await createTransport({ host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true }).sendMail({ to: 'privacy@derbes.local', ...message });
  await system.mailIntakeIdle();
}

type Trail = Array<{ type: string; detail: Record<string, any> }>;
const trailOf = async (reference: string) => (await operatorCall(system, 'GET', `/operator/requests/${reference}`)).body.audit as Trail;

describe("a stranger's mail cannot join another person's request", () => {
  it('a reply from another address is recorded as a third party\'s, its attachment quarantined, the operator told once', async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'rectification', email: 'aigerim@example.kz', language: 'en', changes: { city: 'Астана' } });
    const reference = String(submitted.body.reference);
    const attack = {
      from: 'attacker@evil.example',
      subject: `Re: [${reference}] documents`,
      text: 'Here are my documents, please change the phone to +7 700 666 66 66.',
      attachments: [{ filename: 'passport.pdf', content: Buffer.from('%PDF-1.4 forged'), contentType: 'application/pdf' }],
    };
    await mailSupport(attack);
    await mailSupport({ ...attack, text: 'Again.' });

    const mails = (await trailOf(reference)).filter((e) => e.type === 'mail.received');
    expect(mails.map((e) => e.detail.outcome)).toEqual(['third_party', 'third_party']);
    for (const mail of mails) {
      expect(mail.detail.attachments).toBeUndefined();
      expect(mail.detail.quarantined).toEqual([{ filename: 'passport.pdf', size: 15, key: expect.stringMatching(new RegExp(`^attachments/${reference}/quarantine/[0-9a-f]+/passport\\.pdf$`)) }]);
    }
    const alerts = (await trailOf(reference)).filter((e) => e.type === 'operator.alerted');
    expect(alerts.map((e) => e.detail.alert)).toEqual(['mail from another sender']);
    await sink.waitFor((m) => m.to.includes('dpo@derbes.local') && m.subject.includes(reference) && m.subject.includes('mail from another sender'));
    // It changed nothing: the request still asks for what the person asked.
    const request = (await operatorCall(system, 'GET', `/operator/requests/${reference}`)).body;
    expect(request.status).toBe('AWAITING_VERIFICATION');
    expect(JSON.stringify(request)).not.toContain('+7 700 666 66 66');
  });

  it("a reply from the person's own address that DMARC disowns is a third party's too", async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'daniyar@example.kz', language: 'en' });
    const reference = String(submitted.body.reference);
    await system.deliverMail(
      Buffer.from(`From: daniyar@example.kz\r\nTo: privacy@derbes.local\r\nSubject: Re: [${reference}]\r\nMessage-ID: <forged-1@evil.example>\r\n\r\nforged\r\n`),
      { spam: 'PASS', virus: 'PASS', spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL' },
    );
    const mails = (await trailOf(reference)).filter((e) => e.type === 'mail.received');
    expect(mails.map((e) => e.detail.outcome)).toEqual(['third_party']);
  });
});

describe('an Idempotency-Key is bound to the body it came with', () => {
  it("reusing a key with another body gets 422 naming the header, and nothing of the first request", async () => {
    const key = { 'Idempotency-Key': 'shared-key-1' };
    const first = await postJson(`${system.url}/api/requests`, { type: 'erasure', email: 'first@example.kz', language: 'en' }, key);
    expect(first.status).toBe(202);
    const second = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'second@example.kz', language: 'en' }, key);
    expect(second.status).toBe(422);
    expect(second.body).toMatchObject({ error: 'idempotency_key_reused', fields: [{ field: 'Idempotency-Key' }] });
    const said = JSON.stringify(second.body);
    for (const leak of [String(first.body.reference), 'erasure', 'first@example.kz']) expect(said).not.toContain(leak);
    // The same body again is the same request: a retry, answered with it.
    const retry = await postJson(`${system.url}/api/requests`, { type: 'erasure', email: 'first@example.kz', language: 'en' }, key);
    expect(retry).toMatchObject({ status: 200, body: { reference: first.body.reference } });
  });

  it('a key that names a mail Message-ID reaches no mail request', async () => {
    const smtpKey = { 'Idempotency-Key': 'message-id:<not-ours@example.kz>' };
    const response = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'web@example.kz', language: 'en' }, smtpKey);
    expect(response.status).toBe(202);
  });

  it('the form\'s hidden key stops a double click, and a changed form makes a new request', async () => {
    const post = (email: string) =>
      fetch(`${system.url}/api/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ idempotencyKey: 'form-key-1', types: 'access', email, language: 'en' }),
      }).then(async (r) => ({ status: r.status, reference: /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(await r.text())?.[0] }));
    const first = await post('form@example.kz');
    const doubleClick = await post('form@example.kz');
    const edited = await post('form.edited@example.kz');
    expect([first.status, doubleClick.status, edited.status]).toEqual([202, 202, 202]);
    expect(doubleClick.reference).toBe(first.reference);
    expect(edited.reference).not.toBe(first.reference);
  });
});

describe('a rectification changes only what the profile declares correctable', () => {
  it('fields that are not declared, inherited property names included, are refused with their names', async () => {
    const response = await postJson(`${system.url}/api/requests`, {
      type: 'rectification',
      email: 'aigerim@example.kz',
      language: 'en',
      changes: { createdAt: '1999-01-01', toString: 'x', hasOwnProperty: 'y' },
    });
    expect(response.status).toBe(400);
    expect((response.body.fields as Array<{ field: string }>).map((f) => f.field).sort()).toEqual(['changes.createdAt', 'changes.hasOwnProperty', 'changes.toString']);
  });

  it('500 changes of 1,000 characters are a 400 naming the field, not a 500', async () => {
    const changes = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`field${i}`, 'x'.repeat(1000)]));
    const response = await postJson(`${system.url}/api/requests`, { type: 'rectification', email: 'aigerim@example.kz', language: 'en', changes });
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual([{ field: 'changes', message: 'at most 20 fields at once' }]);
  });

  it('a value of the wrong type is refused', async () => {
    const response = await postJson(`${system.url}/api/requests`, { type: 'rectification', email: 'aigerim@example.kz', language: 'en', changes: { phone: 'call me maybe' } });
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual([{ field: 'changes.phone', message: 'must be a phone number, e.g. +7 701 000 00 00' }]);
  });
});
