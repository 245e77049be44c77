import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createTransport } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { Settings } from '../../functions/config/settings.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { postFrom } from '../support/client-address.ts';
import { inboundMailRecords } from '../support/inbound-mail.ts';
import { MailSink, verificationLink } from '../support/mail-sink.ts';
import { operatorCall, operatorDownload, operatorKeyOf, postJson, startTestSystem } from '../support/local-system.ts';

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
const statusOf = async (reference: string) => (await operatorCall(system, 'GET', `/operator/requests/${reference}`)).body.status as string;

/** Polls until `check` holds (the workflow runs on its own time), or fails naming what was awaited. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const hasJoined = (reference: string) => async () => (await trailOf(reference)).some((e) => e.type === 'verification.requested');

/** Every item of a table, to look for what must never be stored as it is. */
async function scanAll(table: string): Promise<string> {
  const items: unknown[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return JSON.stringify(items);
}

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
      expect(mail.detail.quarantined).toEqual([{ size: 15, key: expect.stringMatching(new RegExp(`^attachments/${reference}/quarantine/[0-9a-f]{32}$`)) }]);
    }
    const alerts = (await trailOf(reference)).filter((e) => e.type === 'operator.alerted');
    expect(alerts.map((e) => e.detail.alert)).toEqual(['thirdPartyMail']);
    await sink.waitFor((m) => m.to.includes('dpo@derbes.local') && m.subject.includes(reference) && m.subject.includes('Письмо от другого отправителя'));
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

describe("a forger cannot write as the person", () => {
  // The local front door answers SPF as if every domain allowed this machine (127.0.0.1) alone, and no domain
  // publishes DKIM keys or a DMARC policy: SPF is all there is to go by, as for a domain on the internet without DMARC.
  it("a reply from the person's address sent from a host their SPF does not name is a third party's: quarantined, nothing to the person", async () => {
    const person = 'saule@example.kz';
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: person, language: 'en' });
    const reference = String(submitted.body.reference);
    await sink.waitFor((m) => m.to.includes(person));
    const mailsToPerson = () => sink.messages.filter((m) => m.to.includes(person)).length;
    const before = mailsToPerson();
    const forged = {
      from: person,
      subject: `Re: [${reference}]`,
      text: 'The package you sent is incomplete. Please e-mail the full export to my lawyer at lawyer@evil.example.',
      attachments: [{ filename: 'passport.pdf', content: Buffer.from('%PDF-1.4 forged'), contentType: 'application/pdf' }],
    };
    await createTransport({ host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true, localAddress: '127.0.0.2' }).sendMail({ to: 'privacy@derbes.local', ...forged });
    await system.mailIntakeIdle();
    const [mail] = (await trailOf(reference)).filter((e) => e.type === 'mail.received');
    expect(mail!.detail).toMatchObject({ outcome: 'third_party', authFailures: ['spf'], quarantined: [{ size: 15, key: expect.stringMatching(new RegExp(`^attachments/${reference}/quarantine/`)) }] });
    expect(mail!.detail.attachments).toBeUndefined();
    const request = (await operatorCall(system, 'GET', `/operator/requests/${reference}`)).body;
    expect(JSON.stringify(request)).not.toContain('lawyer@evil.example');
    await sink.waitFor((m) => m.to.includes('dpo@derbes.local') && m.subject.includes(reference) && m.subject.includes('Письмо от другого отправителя'));
    expect(mailsToPerson()).toBe(before);

    // The person's own reply, from a host their SPF names: theirs (they are told replying does not confirm).
    await mailSupport({ from: person, subject: `Re: [${reference}]`, text: 'Is this the right address?' });
    expect((await trailOf(reference)).filter((e) => e.type === 'mail.received').map((e) => e.detail.outcome)).toEqual(['third_party', 'reply']);
    await until('the person to be answered', async () => mailsToPerson() > before);
  });

  it('a request whose envelope sender passes SPF for another domain than its From is held, and nothing goes to the From', async () => {
    const victim = 'victim@nodmarc.kz';
    await mailSupport({ from: victim, envelope: { from: 'attacker@evil.test', to: ['privacy@derbes.local'] }, subject: 'Delete my data', text: 'Please erase all my personal data.', messageId: '<envelope-1@evil.test>' });
    expect((await inboundMailRecords()).filter((r) => r.messageId === '<envelope-1@evil.test>')).toMatchObject([{ outcome: 'held', reason: 'unauthenticated' }]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sink.messages.filter((m) => m.to.includes(victim))).toEqual([]);
  });
});

describe("a stranger's stream of mail under a reference is bounded", () => {
  it("twelve mails of five files each from one stranger: ten recorded, 40 files quarantined and the rest counted, two held", async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'aliya@example.kz', language: 'en' });
    const reference = String(submitted.body.reference);
    const attachments = Array.from({ length: 5 }, (_, i) => ({ filename: `doc${i}.pdf`, content: Buffer.from(`%PDF-1.4 ${i}`), contentType: 'application/pdf' }));
    for (let n = 0; n < 12; n++) await mailSupport({ from: 'flooder@evil.example', subject: `Re: [${reference}]`, text: `more documents ${n}`, attachments, messageId: `<replyflood-${n}@evil.example>` });
    const mails = (await trailOf(reference)).filter((e) => e.type === 'mail.received');
    expect(mails.map((e) => e.detail.outcome)).toEqual(Array(10).fill('third_party'));
    expect(mails.reduce((n, e) => n + e.detail.quarantined.length, 0)).toBe(40);
    expect(mails.reduce((n, e) => n + (e.detail.moreAttachments ?? 0), 0)).toBe(10);
    const held = (await inboundMailRecords()).filter((r) => r.messageId?.startsWith('<replyflood-'));
    expect(held).toMatchObject([{ outcome: 'held', reason: 'rate_limited' }, { outcome: 'held', reason: 'rate_limited' }]);
  });
});

describe("the person's own replies past the reply limits are held for the operator, not lost", () => {
  it("eleven scans one a mail: ten join the request, the eleventh is listed as a reply to it; admitted, its scan is among the request's files", async () => {
    const person = 'many.scans@example.kz';
    const reference = String((await postJson(`${system.url}/api/requests`, { type: 'access', email: person, language: 'en' })).body.reference);
    const scan = (n: number) => ({ filename: `scan-${n}.pdf`, content: Buffer.from(`%PDF-1.4 page ${n}`), contentType: 'application/pdf' });
    // From a host their SPF names: each mail is the person's, past limits.mailRepliesPerSender (10) from the eleventh.
    for (let n = 1; n <= 11; n++) await mailSupport({ from: person, subject: `Re: [${reference}]`, text: `Page ${n} of my passport.`, attachments: [scan(n)], messageId: `<scan-${n}@example.kz>` });
    expect((await trailOf(reference)).filter((e) => e.type === 'mail.received').map((e) => e.detail.outcome)).toEqual(Array(10).fill('reply'));
    expect((await inboundMailRecords()).filter((r) => r.messageId === '<scan-11@example.kz>')).toMatchObject([{ outcome: 'held', reason: 'rate_limited' }]);

    // On the operator's list, as a reply to the request, the person's by the checks.
    const listed = async () => ((await operatorCall(system, 'GET', '/operator/held-mail')).body.mails as Array<Record<string, any>>).filter((m) => m.reply?.reference === reference);
    const [held, ...more] = await listed();
    expect(more).toEqual([]);
    expect(held).toMatchObject({ reason: 'rate_limited', sender: person, subject: `Re: [${reference}]`, reply: { reference, fromThePerson: true } });

    // Admitted: it joins the request as the person's reply, once however often pressed, and leaves the list.
    const admission = `/operator/held-mail/${encodeURIComponent(held!.sesMessageId)}/admission`;
    expect((await operatorCall(system, 'POST', admission)).body).toEqual({ reference, joinedAs: 'reply' });
    expect((await operatorCall(system, 'POST', admission)).body).toEqual({ reference, joinedAs: 'reply' });
    expect(await listed()).toEqual([]);
    const thread = (await operatorCall(system, 'GET', `/operator/requests/${reference}`)).body.thread as Array<Record<string, any>>;
    const joined = thread.filter((m) => m.sesMessageId === held!.sesMessageId);
    expect(joined).toMatchObject([{ direction: 'in', outcome: 'reply', text: 'Page 11 of my passport.', attachments: [{ size: 16, key: expect.stringMatching(new RegExp(`^attachments/${reference}/[0-9a-f]{32}$`)) }] }]);
    const file = await operatorDownload(system, `/operator/requests/${reference}/attachment?key=${encodeURIComponent(joined[0]!.attachments[0].key)}`);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).toString()).toBe('%PDF-1.4 page 11');
    expect(thread.filter((m) => m.direction === 'in' && m.outcome === 'reply')).toHaveLength(11);
  }, 120_000);
});

describe('a large mail is read up to what SES accepts, and refused above it as SES refuses it', () => {
  it('a 12 MB mail with a scan makes its request and gets its receipt; one over 40 MB is refused at DATA (552) and makes nothing', async () => {
    const person = 'large.scan@example.kz';
    const scan = Buffer.alloc(9 * 1024 * 1024, 0x25);
    await mailSupport({ from: person, subject: 'Удалите мои данные', text: 'Прошу удалить мои персональные данные. Скан удостоверения во вложении.', attachments: [{ filename: 'скан.pdf', content: scan, contentType: 'application/pdf' }] });
    const receipt = await sink.waitFor((m) => m.to.includes(person));
    expect(receipt.subject).toMatch(/^Re: \[DRB-[0-9A-Z]{5}-[0-9A-Z]{5}\] Ваш запрос получен — подтвердите его$/);

    const huge = { from: 'huge.scan@example.kz', subject: 'Удалите мои данные', text: 'Скан во вложении.', attachments: [{ filename: 'scan.pdf', content: Buffer.alloc(31 * 1024 * 1024, 0x25), contentType: 'application/pdf' }] };
    await expect(mailSupport(huge)).rejects.toMatchObject({ responseCode: 552 });
    const { body } = await operatorCall(system, 'GET', '/operator/inbox?q=huge.scan@example.kz');
    expect(body.requests).toEqual([]);
  }, 120_000);
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
    expect(response.body.fields).toEqual([{ field: 'changes', message: 'at most 20 fields at once', kind: 'tooMany', limit: 20 }]);
  });

  it('a value of the wrong type is refused', async () => {
    const response = await postJson(`${system.url}/api/requests`, { type: 'rectification', email: 'aigerim@example.kz', language: 'en', changes: { phone: 'call me maybe' } });
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual([{ field: 'changes.phone', message: 'must be a phone number, e.g. +7 701 000 00 00', kind: 'phone' }]);
    // zod's own words, in English as the function's bundle sets them, and the kind a console words for the operator.
    const mistyped = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'aigerim@example.kz', language: 'en', name: 5 });
    expect(mistyped.status).toBe(400);
    expect(mistyped.body.fields).toEqual([{ field: 'name', message: 'Invalid input: expected string, received number', kind: 'format' }]);
  });
});

describe('derbes cannot be made to mail anyone what a stranger wrote, or to mail them again and again', () => {
  it('phishing text typed as a name never reaches the address; 20 requests for one address make one mail, whose link confirms only the request it was mailed for', async () => {
    const victim = 'victim@third-party.example';
    const phishing = { name: 'Hi! Your account is suspended. Restore it at http://evil.example/login', language: 'en' as const };
    const first = await postJson(`${system.url}/api/requests`, { type: 'access', email: victim, ...phishing });
    expect(first.status).toBe(202);
    const receipt = await sink.waitFor((m) => m.to.includes(victim));
    await until('the link to be recorded as mailed', async () => (await trailOf(String(first.body.reference))).some((e) => e.type === 'mail.sent'));

    const more = await Promise.all(Array.from({ length: 19 }, (_, i) => postJson(`${system.url}/api/requests`, { type: i % 2 ? 'erasure' : 'access', email: victim, ...phishing, ...(i === 0 ? { language: 'kk' } : {}) })));
    // Whether the address has a link waiting, and since when, is nobody's to learn from the answer: it is the first's.
    const messageOf = (response: { body: Record<string, unknown> }) => (response.body.confirmation as { message: string }).message;
    for (const response of more) {
      expect(response.status).toBe(202);
      expect(Object.keys(response.body.confirmation as object)).toEqual(['message']);
    }
    expect(messageOf(more[2]!).replace(String(more[2]!.body.reference), 'REF')).toBe(messageOf(first).replace(String(first.body.reference), 'REF'));
    // What an API caller can show the person, in the request's language.
    expect(messageOf(first)).toMatch(new RegExp(`^Your request ${first.body.reference} has been received\\. We will answer by .+ Astana time\\. Check your mailbox: a confirmation link is on its way to this address — or, if an earlier link from us is still unused there, this request is added to it\\. Open the latest link from us and confirm this request there\\.$`));
    expect(messageOf(more[0]!)).toContain(`${more[0]!.body.reference} сұрауыңыз алынды.`);
    expect(messageOf(more[0]!)).toContain('Поштаңызды қараңыз: осы мекенжайға растау сілтемесі жіберіледі');
    const references = [first, ...more].map((r) => String(r.body.reference));
    for (const reference of references.slice(1)) await until(`${reference} to wait on the link`, hasJoined(reference));
    for (const reference of references.slice(1)) expect((await trailOf(reference)).find((e) => e.type === 'verification.requested')?.detail.joined).toBe(true);

    expect(sink.messages.filter((m) => m.to.includes(victim))).toHaveLength(1);
    for (const mail of sink.messages) expect(`${mail.subject}\n${mail.text}`).not.toMatch(/evil\.example|suspended/);
    expect(receipt.text).toContain(String(first.body.reference));

    // The page says the same.
    const page = await fetch(`${system.url}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ types: 'access', email: victim, language: 'ru' }),
    });
    const pageText = await page.text();
    expect(pageText).toContain('Проверьте почту: на этот адрес придёт ссылка для подтверждения — либо, если наша прежняя ссылка там ещё не использована, этот запрос добавлен к ней.');
    const fromPage = /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(pageText)![0];
    references.push(fromPage);
    await until(`${fromPage} to wait on the link`, hasJoined(fromPage));

    // The mailbox's owner confirms the request the link was mailed for: the 20 a stranger made in their name joined the
    // link but are not confirmed with it (unticked), and nothing is done under them — the erasures above included:
    // they close unconfirmed as the press completes, and the address hears nothing of them.
    const code = verificationLink(receipt).searchParams.get('code')!;
    const confirmed = await postJson(`${system.url}/api/verifications`, { code });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.references).toEqual([String(first.body.reference)]);
    expect([...(confirmed.body.notConfirmed as string[])].sort()).toEqual(references.slice(1).sort());
    await until('the confirmed request to move on', async () => (await statusOf(String(first.body.reference))) !== 'AWAITING_VERIFICATION');
    for (const reference of references.slice(1)) await until(`${reference} to close unconfirmed`, async () => (await statusOf(reference)) === 'CLOSED_UNVERIFIED');
    // The link is spent: a second press, ticking them now, confirms none of them.
    expect((await postJson(`${system.url}/api/verifications`, { code, references: references.slice(1) })).status).toBe(400);
    for (const reference of references.slice(1)) expect((await trailOf(reference)).map((e) => e.type)).not.toContain('verification.confirmed');
    expect(sink.messages.filter((m) => m.to.includes(victim) && references.slice(1).some((reference) => m.subject.includes(reference)))).toEqual([]);
  });

  it('a person who writes 20 times gets one mail', async () => {
    const writer = 'writer@example.kz';
    for (let i = 0; i < 20; i++) {
      await mailSupport({ from: writer, subject: 'Удалите мои данные', text: `Прошу удалить мои персональные данные. (${i})`, messageId: `<writes-${i}@example.kz>` });
    }
    await sink.waitFor((m) => m.to.includes(writer));
    await new Promise((r) => setTimeout(r, 2000));
    expect(sink.messages.filter((m) => m.to.includes(writer))).toHaveLength(1);
  });
});

describe('rate limits, shared by every instance', () => {
  it('200 requests from one client: 429 with Retry-After once its bucket is empty; another client and the operator still get in', async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 200; i++) {
      const response = await postFrom('127.0.0.77', `${system.url}/api/requests`, JSON.stringify({ type: 'nonsense' }));
      statuses.push(response.status);
      if (response.status === 429) retryAfter ??= String(response.headers['retry-after']);
    }
    const firstRefused = statuses.indexOf(429);
    // The demo's bucket: 60 at once, one more every 2 s while the loop runs.
    expect(firstRefused).toBeGreaterThanOrEqual(60);
    expect(firstRefused).toBeLessThan(80);
    expect(statuses.slice(0, firstRefused).every((status) => status === 400)).toBe(true);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(100);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await postFrom('127.0.0.78', `${system.url}/api/requests`, JSON.stringify({ type: 'nonsense' }))).status).toBe(400);
    // The operator's calls draw on buckets of their own: from the very client that is refused, they still get in.
    const operatorCallFromFlood = await postFrom(
      '127.0.0.77',
      `${system.url}/operator/consents`,
      JSON.stringify({ email: 'flood@example.kz', purposeId: 'marketing', action: 'grant', channel: 'web' }),
      { 'content-type': 'application/json', authorization: `Bearer ${operatorKeyOf(system)}` },
    );
    expect(operatorCallFromFlood.status).toBe(200);
  });
});

describe('the operator key', () => {
  it('a decision records which key made it, by id; the pending decision keeps its token sealed', async () => {
    const claimant = 'claimant@example.kz';
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'claim', email: claimant, language: 'en', message: 'You charged my card twice for order 1001.' });
    const reference = String(submitted.body.reference);
    const receipt = await sink.waitFor((m) => m.to.includes(claimant) && m.subject.includes(reference));
    expect((await postJson(`${system.url}/api/verifications`, { code: verificationLink(receipt).searchParams.get('code') })).status).toBe(200);
    await until('the decision to be pending', async () => ((await operatorCall(system, 'GET', '/operator/decisions')).body.decisions as Array<{ requestId: string }>).some((d) => d.requestId === reference));

    const token = system.stepFunctions.liveTaskToken(reference);
    expect(token).toBeTruthy();
    const pending = await documentClient().send(
      new QueryCommand({ TableName: process.env[Settings.requestsTable]!, KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': 'DECISION', ':sk': reference } }),
    );
    expect(pending.Items).toHaveLength(1);
    expect(JSON.stringify(pending.Items)).not.toContain(token!);

    const decided = await operatorCall(system, 'POST', `/operator/decisions/${reference}`, { decision: 'approve', answer: 'We looked into it and fixed the charge.' });
    expect(decided.status).toBe(200);
    const made = (await trailOf(reference)).find((e) => e.type === 'decision.made');
    const key = operatorKeyOf(system);
    // A single key goes by "key-" and the first 12 hex digits of its SHA-256: it names the key, and reveals nothing of it.
    expect(made?.detail.operator).toEqual({ kind: 'key', keyId: `key-${createHash('sha256').update(key).digest('hex').slice(0, 12)}` });
    expect(JSON.stringify(await operatorCall(system, 'GET', `/operator/requests/${reference}`))).not.toContain(key);
  });
});

describe('a leaked callback token cannot skip verification', () => {
  it('releasing the wait with the token alone changes nothing and answers nothing; the token was never stored as it is', async () => {
    const person = 'aigerim@example.kz';
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'erasure', email: person, language: 'en' });
    const reference = String(submitted.body.reference);
    await until('the request to wait for verification', hasJoined(reference));
    const token = system.stepFunctions.liveTaskToken(reference);
    expect(token).toBeTruthy();
    expect(await scanAll(process.env[Settings.verificationsTable]!)).not.toContain(token!);
    // Nor in the execution checkpoints of the local runtime, which keep its hash.
    const checkpoints = join(system.dataDir, 'stepfunctions', 'running');
    expect(readdirSync(checkpoints).map((file) => readFileSync(join(checkpoints, file), 'utf8')).join('\n')).not.toContain(token!);

    // Someone who has the token (a log, a history) answers the wait without the code.
    await new SFNClient({}).send(new SendTaskSuccessCommand({ taskToken: token!, output: JSON.stringify({ verifiedAt: new Date().toISOString() }) }));
    // The step after the wait refuses to move an unconfirmed request: the request stops there for a person to look at.
    const failed = async () => (await trailOf(reference)).find((e) => e.type === 'workflow.failed');
    await until('the request to need attention', async () => Boolean(await failed()));
    expect((await failed())?.detail).toEqual({ step: 'PlanFulfilment', code: 'not_permitted' });
    expect(['IN_PROGRESS', 'COMPLETED']).not.toContain(await statusOf(reference));
    expect((await trailOf(reference)).some((e) => e.type === 'verification.confirmed')).toBe(false);
    const records = await documentClient().send(
      new QueryCommand({ TableName: 'derbes-demo-customers', KeyConditionExpression: 'email = :e', ExpressionAttributeValues: { ':e': person } }),
    );
    expect(records.Count).toBe(2);
    expect(sink.messages.filter((m) => m.subject.includes(reference) && /Answer to your request/.test(m.subject))).toEqual([]);
  });
});
