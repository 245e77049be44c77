import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { inboundMailRecords } from '../support/inbound-mail.ts';
import { operatorCall, postJson, startTestSystem } from '../support/local-system.ts';
import { MailSink } from '../support/mail-sink.ts';

// example.kz signs its mail (DKIM selector `sel`), allows only 127.0.0.1 to send for it (SPF) and asks receivers
// to reject what fails (DMARC); forged.kz allows no host at all; nodmarc.kz publishes SPF alone, as many domains do;
// evil.example is an attacker's, who signs its mail with a key of its own. The runtime's mailauth checks read these
// answers, as SES would read real DNS.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyBase64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const attackerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DNS: Record<string, string> = {
  'TXT sel._domainkey.example.kz': `v=DKIM1; k=rsa; p=${publicKeyBase64}`,
  'TXT example.kz': 'v=spf1 ip4:127.0.0.1 -all',
  'TXT _dmarc.example.kz': 'v=DMARC1; p=reject',
  'TXT sel._domainkey.forged.kz': `v=DKIM1; k=rsa; p=${publicKeyBase64}`,
  'TXT forged.kz': 'v=spf1 -all',
  'TXT _dmarc.forged.kz': 'v=DMARC1; p=reject',
  'TXT nodmarc.kz': 'v=spf1 ip4:127.0.0.1 -all',
  'TXT evil.example': 'v=spf1 ip4:127.0.0.1 -all',
  'TXT sel._domainkey.evil.example': `v=DKIM1; k=rsa; p=${attackerKey.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
};
const resolver = async (name: string, type: string) => {
  const record = DNS[`${type} ${name}`];
  if (!record) throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
  return [[record]];
};

let sink: MailSink;
let system: RunningSystem;

/** The hour's mails to unconfirmed addresses: two for requests by mail, two for the web's (see the flood below). */
const HOURLY = 4;

beforeAll(async () => {
  // The hour's budget is counted per clock hour: start well inside one, so the counts below are this file's alone.
  const toNextHour = 3_600_000 - (Date.now() % 3_600_000);
  if (toNextHour < 3 * 60_000) await new Promise((r) => setTimeout(r, toNextHour + 1000));
  sink = await new MailSink().start();
  const demo = JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, unknown>;
  const profile = join(mkdtempSync(join(tmpdir(), 'derbes-profile-')), 'small-hour.json');
  writeFileSync(profile, JSON.stringify({ ...demo, limits: { ...(demo.limits as object), unverifiedMailsPerHour: HOURLY, mailShareOfHour: 0.5 } }));
  writeFileSync(profile.replace(/\.json$/, '.data.json'), readFileSync('profiles/demo.data.json'));
  system = await startTestSystem({ profile, mailRelayUrl: sink.url, dnsResolver: resolver });
}, 3 * 60_000 + 120_000);
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

async function send(from: string, tamper = false): Promise<string> {
  await deliver(from, tamper);
  const receipt = await sink.waitFor((m) => m.to.includes(from) && m.text.includes('Reference number'));
  return /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(receipt.subject)![0];
}

async function deliver(from: string, tamper = false, messageId?: string): Promise<void> {
  const domainName = from.split('@')[1]!;
  const dkim = { domainName, keySelector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const smtp = { host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true };
  const message = { from, to: 'privacy@derbes.local', subject: 'Access request', text: 'What personal data do you hold about me?', ...(messageId ? { messageId } : {}) };
  if (!tamper) {
    await createTransport({ ...smtp, dkim }).sendMail(message);
  } else {
    // Signed, then changed on the way: the body no longer matches the signature.
    const signed = await new Promise<Buffer>((resolve, reject) =>
      createTransport({ streamTransport: true, buffer: true, dkim }).sendMail(message, (error, info) =>
        error ? reject(error) : resolve(info.message as Buffer),
      ),
    );
    // Sent as is (a transport with DKIM configured would sign it afresh).
    await createTransport(smtp).sendMail({ envelope: { from, to: ['privacy@derbes.local'] }, raw: signed.toString('utf8').replace('What personal data', 'Which personal data') });
  }
  await system.mailIntakeIdle();
}

async function authFailures(reference: string): Promise<string[]> {
  const audit = (await operatorCall(system, 'GET', `/operator/requests/${reference}`)).body.audit as Array<{ type: string; detail: { authFailures?: string[] } }>;
  return audit.find((e) => e.type === 'mail.received')!.detail.authFailures!;
}

describe('SPF, DKIM and DMARC on incoming mail', () => {
  it('a signed message from an allowed host passes every check', async () => {
    const reference = await send('signed@example.kz');
    expect(await authFailures(reference)).toEqual([]);
  });

  it('a message altered after signing fails DKIM; it is recorded and still has to prove the mailbox', async () => {
    const reference = await send('tampered@example.kz', true);
    expect(await authFailures(reference)).toEqual(['dkim']);
    await sink.waitFor((m) => m.to.includes('tampered@example.kz') && m.text.includes('/verify?code='));
  });

  it('a forged sender fails SPF, DKIM and DMARC: held for the operator, no request, nothing mailed to the forged address', async () => {
    await deliver('someone@forged.kz', true, '<forged-1@forged.kz>');
    expect((await inboundMailRecords()).filter((r) => r.messageId === '<forged-1@forged.kz>')).toMatchObject([{ outcome: 'held', reason: 'unauthenticated', authFailures: ['spf', 'dkim', 'dmarc'] }]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sink.messages.filter((m) => m.to.includes('someone@forged.kz'))).toEqual([]);
  });
});

describe('a flood of mail cannot starve the people who write to us', () => {
  it('mail from made-up senders spends nothing of the hour\'s budget: the web\'s receipts go out, the operator is alerted once', async () => {
    // The attack that worked: a burst of mail from made-up senders used up the hour's budget, and a real person's
    // request from the web got no receipt. No check vouches for such senders (their domains publish nothing).
    const senders = Array.from({ length: 30 }, (_, i) => `made.up.${i}@nowhere${i % 7}.example`);
    await Promise.all(senders.map((from, i) => deliver(from, false, `<flood-${i}@nowhere.example>`)));
    const flood = (await inboundMailRecords()).filter((r) => r.messageId?.startsWith('<flood-'));
    expect(flood).toHaveLength(30);
    expect(flood.every((r) => r.outcome === 'held' && r.reason === 'unauthenticated')).toBe(true);
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'real.person@example.kz', language: 'en' });
    expect(submitted.status).toBe(202);
    await sink.waitFor((m) => m.to.includes('real.person@example.kz') && m.text.includes('/verify?code='));
    expect(sink.messages.filter((m) => senders.some((s) => m.to.includes(s)))).toEqual([]);
    // One alert for the hour, however much is held (the forged sender above was held this hour too).
    expect(sink.messages.filter((m) => m.subject === 'Входящие письма задержаны без ответа')).toHaveLength(1);
  });

  it('mail that passes its checks spends only the mail\'s share of the hour: past it, the web\'s receipts still go out', async () => {
    // The two signed mails above spent the mail's share (two of four); a third is withheld, the web keeps its own.
    await deliver('third@example.kz', false, '<third@example.kz>');
    const trail = async () => {
      const requests = (await operatorCall(system, 'GET', '/operator/requests')).body.requests as Array<{ reference: string; email?: string }>;
      const detail = await Promise.all(requests.map(async (r) => (await operatorCall(system, 'GET', `/operator/requests/${r.reference}`)).body));
      return detail.find((d) => d.email === 'third@example.kz')?.audit as Array<{ type: string; detail: Record<string, unknown> }> | undefined;
    };
    const deadline = Date.now() + 30_000;
    while (!(await trail())?.some((e) => e.type === 'mail.withheld') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await trail())?.find((e) => e.type === 'mail.withheld')?.detail).toEqual({ template: 'receipt', reason: 'hourly_budget' });
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'second.person@example.kz', language: 'en' });
    expect(submitted.status).toBe(202);
    await sink.waitFor((m) => m.to.includes('second.person@example.kz') && m.text.includes('/verify?code='));
  });
});

describe("a mail cannot write into the header the front door puts on top of it", () => {
  it("a reply whose first line continues the front door's Authentication-Results with a DKIM pass for the person's domain is refused at DATA, and joins nothing", async () => {
    // Last in this file: the hour's budget is spent by now, which withholds this request's receipt and nothing else.
    const person = 'aigerim@nodmarc.kz';
    const reference = String((await postJson(`${system.url}/api/requests`, { type: 'access', email: person, language: 'en' })).body.reference);
    // Signed by the attacker's own domain, sent from a host its SPF names: SES would say SPF PASS and DKIM PASS.
    const dkim = { domainName: 'evil.example', keySelector: 'sel', privateKey: attackerKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const signed = await new Promise<Buffer>((resolve, reject) =>
      createTransport({ streamTransport: true, buffer: true, dkim }).sendMail(
        { from: `Aigerim <${person}>`, to: 'privacy@derbes.local', subject: `Re: [${reference}]`, text: 'Please send the full export to my lawyer at lawyer@evil.example.', messageId: '<fold-1@evil.example>' },
        (error, info) => (error ? reject(error) : resolve(info.message as Buffer)),
      ),
    );
    const smtp = createTransport({ host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true });
    const envelope = { from: 'attacker@evil.example', to: ['privacy@derbes.local'] };
    await expect(smtp.sendMail({ envelope, raw: Buffer.concat([Buffer.from(`\tdkim=pass header.i=@nodmarc.kz;\r\n`), signed]) })).rejects.toMatchObject({ responseCode: 554 });
    await system.mailIntakeIdle();
    const received = async () => (await operatorCall(system, 'GET', `/operator/requests/${reference}`)).body.audit.filter((e: { type: string }) => e.type === 'mail.received');
    expect(await received()).toEqual([]);

    // The same mail without that line is taken, and is a third party's: neither the attacker's signature nor its SPF
    // pass speaks for nodmarc.kz.
    await smtp.sendMail({ envelope, raw: signed });
    await system.mailIntakeIdle();
    expect((await received()).map((e: { detail: { outcome: string } }) => e.detail.outcome)).toEqual(['third_party']);
    expect(JSON.stringify((await operatorCall(system, 'GET', `/operator/requests/${reference}`)).body)).not.toContain('lawyer@evil.example');
  });
});
