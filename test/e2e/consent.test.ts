import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createTransport } from 'nodemailer';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, postJson, startTestSystem } from '../support/local-system.ts';
import { MailSink, verificationLink } from '../support/mail-sink.ts';

// I-License's policy: withdrawal and opt-out by mail to info@license.kz with fixed subject lines.
const PROFILE = 'profiles/seeds/i-license.json';
let sink: MailSink;
let system: RunningSystem;

const api = (method: 'GET' | 'POST', path: string, body?: unknown) => operatorCall(system, method, path, body);
const consents = async (email: string) =>
  Object.fromEntries(((await api('GET', `/operator/consents?email=${encodeURIComponent(email)}`)).body.consents as Array<{ purposeId: string; status: string }>).map((c) => [c.purposeId, c.status]));

async function mailAndConfirm(from: string, subject: string): Promise<string> {
  const transport = createTransport({ host: '127.0.0.1', port: system.smtpPort, secure: false, ignoreTLS: true });
  await transport.sendMail({ from, to: 'info@license.kz', subject, text: 'Прошу исполнить.\n\nС уважением' });
  const verification = await sink.waitFor((m) => m.to.includes(from) && m.text.includes('/verify?code='));
  const reference = /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(verification.subject)![0];
  const confirm = await postJson(`${system.url}/api/verifications`, { code: verificationLink(verification).searchParams.get('code') });
  expect(confirm.status).toBe(200);
  return reference;
}

beforeAll(async () => {
  sink = await new MailSink().start();
  system = await startTestSystem({ profile: PROFILE, mailRelayUrl: sink.url });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

describe('the consent ledger', () => {
  it('records consents from the company\'s applications with hashed evidence, and refuses unknown purposes', async () => {
    const granted = await api('POST', '/operator/consents', {
      email: 'Asel.Nurpeisova@mail.example',
      purposeId: 'advertising',
      action: 'grant',
      channel: 'web',
      evidence: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
    });
    expect(granted.status).toBe(200);
    expect(granted.body.recorded).toEqual(['granted']);
    // I-License: consent for 3 years, prolonged automatically.
    expect(Date.parse(granted.body.state.termEndsAt) - Date.now()).toBeGreaterThan(3 * 365 * 86_400_000 - 2 * 86_400_000);
    const history = (await api('GET', '/operator/consents?email=asel.nurpeisova%40mail.example&history=1')).body.history as Array<{ evidence: Record<string, string> }>;
    expect(history[0]!.evidence.ipHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(history)).not.toContain('203.0.113.7');
    expect((await api('POST', '/operator/consents', { email: 'a@b.kz', purposeId: 'nope', action: 'grant' })).status).toBe(400);
    expect((await fetch(`${system.url}/operator/consents?email=a@b.kz`)).status).toBe(401);
  });

  it.each([
    ['Отзыв согласия на обработку персональных данных', 'asel.nurpeisova@mail.example', ['advertising', 'product_news', 'services']],
    ['Отказ от уведомлений о новых продуктах и услугах и специальных предложениях', 'erlan.mukhamedov@mail.example', ['advertising', 'product_news']],
  ])('«%s» by mail ends with the ledger showing it withdrawn and a confirmation to the person', async (subject, person, purposes) => {
    for (const purposeId of purposes) await api('POST', '/operator/consents', { email: person, purposeId, action: 'grant', channel: 'web' });
    for (const purposeId of purposes) expect((await consents(person))[purposeId]).toBe('granted');

    const reference = await mailAndConfirm(person, subject);
    const answer = await sink.waitFor((m) => m.subject.includes(reference) && m.to.includes(person) && m.text.includes('Направляем ответ'), 30_000);
    expect(answer.text).toMatch(/согласие отозвано|не будете получать от нас рекламных/);
    const after = await consents(person);
    for (const purposeId of purposes) expect(after[purposeId]).toBe('withdrawn');
    const trail = (await api('GET', `/operator/requests/${reference}`)).body.audit as Array<{ type: string }>;
    expect(trail.map((e) => e.type)).toContain('consent.withdrawn');
    const optOut = subject.startsWith('Отказ от уведомлений');
    const suppressed = (await api('GET', `/operator/suppressions?email=${encodeURIComponent(person)}`)).body.suppressed;
    expect(suppressed).toBe(optOut);
    // The opt-out also empties the profile's mailing list of this person (I-License: the `mailing` source).
    const mailing = await documentClient().send(new QueryCommand({ TableName: 'derbes-seed-ilicense-mailing', KeyConditionExpression: 'email = :e', ExpressionAttributeValues: { ':e': person } }));
    expect(mailing.Count).toBe(optOut ? 0 : 1);
    if (optOut) expect(answer.text).toContain('Вы исключены из списков рассылки: «Подписка на уведомления о новых продуктах, услугах и специальных предложениях».');
    // The ledger shows each withdrawal with its evidence: the channel it came by, the request, the time.
    const history = (await api('GET', `/operator/consents?email=${encodeURIComponent(person)}&history=1`)).body.history as Array<{ type: string; channel: string; purposeId: string; at: string; evidence: { requestId?: string } }>;
    const withdrawals = history.filter((e) => e.type === 'withdrawn');
    for (const purposeId of purposes) expect(withdrawals.find((e) => e.purposeId === purposeId)).toMatchObject({ channel: 'email', evidence: { requestId: reference } });
  });

  it('a form sent with Global Privacy Control opts out of marketing once the address is confirmed, recorded as such', async () => {
    const person = 'gpc.person@mail.example';
    await api('POST', '/operator/consents', { email: person, purposeId: 'product_news', action: 'grant', channel: 'web' });
    const response = await fetch(`${system.url}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-gpc': '1' },
      body: JSON.stringify({ type: 'access', email: person, language: 'ru' }),
    });
    expect(response.status).toBe(202);
    const { reference } = (await response.json()) as { reference: string };
    // Whoever typed the address has not shown it is theirs: nothing changes yet.
    expect((await consents(person)).product_news).toBe('granted');
    const receipt = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('/verify?code='));
    expect((await postJson(`${system.url}/api/verifications`, { code: verificationLink(receipt).searchParams.get('code') })).status).toBe(200);
    for (let i = 0; i < 100 && (await consents(person)).product_news !== 'withdrawn'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await consents(person)).product_news).toBe('withdrawn');
    const history = (await api('GET', `/operator/consents?email=${person}&history=1`)).body.history as Array<{ type: string; evidence: { gpc?: boolean } }>;
    expect(history.find((e) => e.type === 'withdrawn')?.evidence.gpc).toBe(true);
  });
});
