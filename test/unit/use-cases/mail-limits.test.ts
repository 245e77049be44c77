import { describe, expect, it } from 'vitest';
import { eventsOfType } from '../../../functions/domain/audit.ts';
import type { SesVerdicts } from '../../../functions/domain/email/index.ts';
import { budgetDomainOf } from '../../../functions/domain/email/mail-domains.ts';
import { RateLimitedError } from '../../../functions/domain/errors.ts';
import { newSecretCode } from '../../../functions/domain/secret-code.ts';
import { admit, admitMail, clientNetwork } from '../../../functions/use-cases/admission.ts';
import { receiveEmail } from '../../../functions/use-cases/receive-email.ts';
import { requestVerification } from '../../../functions/use-cases/verification.ts';
import { watchDeadlines } from '../../../functions/use-cases/watch-deadlines.ts';
import { mailsTo, NOW, operatorMails, placeRequest, systemFor } from '../../support/flow.ts';
import type { MemorySystem } from '../../support/memory-deps.ts';

const HOUR = 3_600_000;
const PASS: SesVerdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };
const limited = (limits: Record<string, unknown>) => systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, limits }) });

/** A web request for `email` whose verification step runs: its receipt mailed or withheld. */
async function requested(s: MemorySystem, email: string) {
  const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION', email });
  await requestVerification(s.deps, request.id, `token-${request.id}`, new Date(s.deps.clock.now().getTime() + 72 * HOUR), newSecretCode);
  return request;
}

const withheld = async (s: MemorySystem, id: string) => eventsOfType(await s.deps.audit.list(id), 'mail.withheld').map((e) => e.detail.reason);

describe('mail to unconfirmed addresses, per recipient domain', () => {
  it('lets one catch-all domain, its subdomains too, take only its domain\'s budget of the hour; a person elsewhere still gets a receipt', async () => {
    const s = limited({ recipientDomainMailsPerHour: 3 });
    const flood = [];
    for (let i = 0; i < 5; i++) flood.push(await requested(s, `p${i}@box${i}.catchall.example`));
    expect(flood.map((r) => mailsTo(s, r.email).length)).toEqual([1, 1, 1, 0, 0]);
    expect(await withheld(s, flood[4]!.id)).toEqual(['domain_budget']);
    const person = await requested(s, 'aigerim@example.kz');
    expect(mailsTo(s, person.email)).toHaveLength(1);
  });

  it('counts a shared provider\'s many people under a wider budget, its other domains as one', async () => {
    expect(budgetDomainOf('a.b@googlemail.com')).toEqual({ domain: 'gmail.com', shared: true });
    expect(budgetDomainOf('x@ya.ru')).toEqual({ domain: 'yandex.ru', shared: true });
    expect(budgetDomainOf('x@mail.corp.example.com.kz')).toEqual({ domain: 'example.com.kz', shared: false });
    expect(budgetDomainOf('x@deep.sub.attacker.example')).toEqual({ domain: 'attacker.example', shared: false });
    const s = limited({ recipientDomainMailsPerHour: 1, sharedProviderMailsPerHour: 3 });
    const people = [];
    for (const email of ['one@gmail.com', 'two@googlemail.com', 'three@gmail.com', 'four@gmail.com']) people.push(await requested(s, email));
    expect(people.map((r) => mailsTo(s, r.email).length)).toEqual([1, 1, 1, 0]);
  });

  it('mails a withheld receipt in the next hour ahead of a flood that took the open part of that hour first', async () => {
    // The web's share is 10, 2 of them kept back for receipts mailed again.
    const s = limited({ unverifiedMailsPerHour: 20, mailShareOfHour: 0.5 });
    for (let i = 0; i < 8; i++) await requested(s, `a${i}@flood${i}.example`);
    const person = await requested(s, 'aigerim@example.kz');
    expect(await withheld(s, person.id)).toEqual(['hourly_budget']);
    // Next hour the flood comes back before the watch runs: the open part is gone.
    s.setNow(new Date(NOW.getTime() + HOUR));
    for (let i = 0; i < 10; i++) await requested(s, `b${i}@flood${i % 2}.example`);
    expect((await watchDeadlines(s.deps)).receiptsMailedAgain).toBe(1);
    expect(mailsTo(s, person.email)).toHaveLength(1);
  });

  it('keeps the reserved part of the hour for receipts mailed again: a flood from fresh domains cannot take it', async () => {
    const s = limited({ unverifiedMailsPerHour: 20, mailShareOfHour: 0.5, recipientDomainMailsPerHour: 1 });
    await requested(s, 'colleague@example.kz');
    const person = await requested(s, 'aigerim@example.kz');
    expect(await withheld(s, person.id)).toEqual(['domain_budget']);
    // Next hour the flood comes back before the watch runs, every mail to a domain not yet mailed that hour.
    s.setNow(new Date(NOW.getTime() + HOUR));
    const flood = [];
    for (let i = 0; i < 10; i++) flood.push(await requested(s, `b${i}@fresh${i}.example`));
    expect(flood.map((r) => mailsTo(s, r.email).length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect((await watchDeadlines(s.deps)).receiptsMailedAgain).toBe(1);
    expect(mailsTo(s, person.email)).toHaveLength(1);
  });

  it('mails a receipt its domain\'s budget withheld within hours, though a flood to random addresses at that provider comes every hour', async () => {
    // mail.ru is a shared provider: 40 an hour, 8 of them kept for receipts mailed again.
    const s = limited({});
    let n = 0;
    const flood = async () => {
      for (let i = 0; i < 40; i++) await requested(s, `victim${n++}@mail.ru`);
    };
    await flood();
    const person = await requested(s, 'aigerim@mail.ru');
    expect(await withheld(s, person.id)).toEqual(['domain_budget']);
    for (let h = 1; h <= 10; h++) {
      // The flood comes at the top of the hour, before the watch runs.
      s.setNow(new Date(NOW.getTime() + h * HOUR));
      if (h <= 6) await flood();
      await watchDeadlines(s.deps);
    }
    expect(mailsTo(s, person.email)).toHaveLength(1);
  });

  it('spends none of the address\'s own budget on a receipt the hour\'s budget refused', async () => {
    const s = limited({ unverifiedMailsPerHour: 2, mailShareOfHour: 0.5, reservedShareOfHour: 0, recipientMails: { max: 2, windowHours: 24 } });
    await requested(s, 'first@one.example');
    const person = await requested(s, 'aigerim@example.kz');
    const again = await requested(s, 'aigerim@example.kz');
    expect(mailsTo(s, person.email)).toHaveLength(0);
    expect([...(await withheld(s, person.id)), ...(await withheld(s, again.id))]).toEqual(['hourly_budget', 'hourly_budget']);
    // Refused by the hour, not by the address: the next hour's retry finds the address's budget whole.
    s.setNow(new Date(NOW.getTime() + HOUR));
    await watchDeadlines(s.deps);
    expect(mailsTo(s, person.email)).toHaveLength(1);
  });
});

describe('per-client buckets', () => {
  it('key an IPv6 client by its /64, an IPv4-mapped one by its IPv4 address', async () => {
    expect(clientNetwork('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(clientNetwork('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    const s = limited({ requestsPerClient: { burst: 3, perMinute: 0.5 } });
    for (let i = 1; i <= 3; i++) await admit(s.deps, 'request', `2001:db8:0:1::${i}`);
    await expect(admit(s.deps, 'request', '2001:db8:0:1:ffff::4')).rejects.toBeInstanceOf(RateLimitedError);
    await admit(s.deps, 'request', '2001:db8:0:2::1');
  });
});

describe('requests by mail from a shared provider', () => {
  it('are not held for the provider\'s domain: a few accounts there cannot hold everyone there', async () => {
    const s = limited({ mailRequestsPerSender: { burst: 3, perMinute: 0.1 }, mailRequestsPerSenderDomain: { burst: 5, perMinute: 0.1 } });
    const admitted = [];
    for (let i = 0; i < 9; i++) admitted.push(await admitMail(s.deps, `attacker${i % 3}@gmail.com`));
    expect(admitted.every(Boolean)).toBe(true);
    expect(await admitMail(s.deps, 'genuine.person@gmail.com')).toBe(true);
    // A company's own domain keeps its bucket.
    const company = [];
    for (let i = 0; i < 6; i++) company.push(await admitMail(s.deps, `staff${i}@company.example`));
    expect(company).toEqual([true, true, true, true, true, false]);
  });
});

describe('alerts about mail from other senders', () => {
  it('come one per request up to the hour\'s number, then one digest for the rest of the hour', async () => {
    const s = limited({ thirdPartyAlertsPerHour: 2 });
    for (let i = 0; i < 5; i++) {
      const request = await placeRequest(s, ['access'], { email: `victim${i}@junk.example` });
      const raw = new TextEncoder().encode([`From: x@nobody.example`, 'To: privacy@derbes.local', `Subject: Re: ${request.id} hello`, `Message-ID: <fa-${i}@evil.example>`, '', 'hi', ''].join('\r\n'));
      expect(await receiveEmail(s.deps, `ses-${i}`, raw, PASS)).toMatchObject({ reason: 'third_party' });
    }
    const alerts = operatorMails(s);
    expect(alerts).toHaveLength(3);
    expect(alerts[2]!.subject).toBe('В этот час много писем о запросах от других отправителей');
    expect(alerts[2]!.text).toContain('более чем по 2 запросам');
    // The next hour, alerts per request again.
    s.setNow(new Date(NOW.getTime() + HOUR));
    const request = await placeRequest(s, ['access'], { email: 'victim@junk.example' });
    const raw = new TextEncoder().encode([`From: x@nobody.example`, 'To: privacy@derbes.local', `Subject: Re: ${request.id} hello`, '', 'hi', ''].join('\r\n'));
    await receiveEmail(s.deps, 'ses-next', raw, PASS);
    expect(operatorMails(s)).toHaveLength(4);
  });
});

