import { generateKeyPairSync } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, startTestSystem } from '../support/local-system.ts';
import { MailSink } from '../support/mail-sink.ts';

// example.kz signs its mail (DKIM selector `sel`), allows only 127.0.0.1 to send for it (SPF) and asks receivers
// to reject what fails (DMARC); forged.kz allows no host at all. The runtime's mailauth checks read these
// answers, as SES would read real DNS.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyBase64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const DNS: Record<string, string> = {
  'TXT sel._domainkey.example.kz': `v=DKIM1; k=rsa; p=${publicKeyBase64}`,
  'TXT example.kz': 'v=spf1 ip4:127.0.0.1 -all',
  'TXT _dmarc.example.kz': 'v=DMARC1; p=reject',
  'TXT sel._domainkey.forged.kz': `v=DKIM1; k=rsa; p=${publicKeyBase64}`,
  'TXT forged.kz': 'v=spf1 -all',
  'TXT _dmarc.forged.kz': 'v=DMARC1; p=reject',
};
const resolver = async (name: string, type: string) => {
  const record = DNS[`${type} ${name}`];
  if (!record) throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
  return [[record]];
};

let sink: MailSink;
let system: RunningSystem;

beforeAll(async () => {
  sink = await new MailSink().start();
  system = await startTestSystem({ mailRelayUrl: sink.url, dnsResolver: resolver });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

async function send(from: string, tamper = false): Promise<string> {
  const domainName = from.split('@')[1]!;
  const dkim = { domainName, keySelector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const smtp = { host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true };
  const message = { from, to: 'privacy@derbes.local', subject: 'Access request', text: 'What personal data do you hold about me?' };
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
  const receipt = await sink.waitFor((m) => m.to.includes(from) && m.text.includes('Reference number'));
  return /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(receipt.subject)![0];
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

  it('a forged sender fails SPF, DKIM and DMARC; recorded, and verification is still the only way on', async () => {
    const reference = await send('someone@forged.kz', true);
    expect((await authFailures(reference)).sort()).toEqual(['dkim', 'dmarc', 'spf']);
    await sink.waitFor((m) => m.to.includes('someone@forged.kz') && m.text.includes('/verify?code='));
  });
});
