import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, postJson, startTestSystem } from '../support/local-system.ts';
import { MailSink } from '../support/mail-sink.ts';

// An operator under GDPR: one calendar month, extendable by two with a reasoned notice inside the first month.
let sink: MailSink;
let system: RunningSystem;
const operator = (method: 'GET' | 'POST', path: string, body?: unknown) => operatorCall(system, method, path, body);

beforeAll(async () => {
  sink = await new MailSink().start();
  const demo = JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, unknown>;
  const profile = join(mkdtempSync(join(tmpdir(), 'derbes-eu-')), 'eu.json');
  // Reminders after a millionth of the time (about 3 s of a month), so the scheduled watch acts during the test.
  writeFileSync(profile, JSON.stringify({ ...demo, jurisdiction: 'EU', escalation: { reminderFractions: [0.000001], lastDayReminder: false, safetyMarginHours: 4 } }));
  writeFileSync(profile.replace(/\.json$/, '.data.json'), readFileSync('profiles/demo.data.json'));
  system = await startTestSystem({ profile, mailRelayUrl: sink.url, watchIntervalSeconds: 1 });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

describe('due dates an operator can see and extend', () => {
  it('every request shows its due date and rule; open requests are listed by due date with risk flags', async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'aigerim@example.kz', language: 'en' });
    expect(submitted.body.rule).toMatchObject({ id: expect.stringMatching(/^EU-/) });
    const list = await operator('GET', '/operator/requests');
    const row = (list.body.requests as Array<Record<string, unknown>>).find((r) => r.reference === submitted.body.reference);
    expect(row).toMatchObject({ dueAt: submitted.body.dueAt, atRisk: false, overdue: false });
  });

  it('an extension sends the person a reasoned notice with the new date, and is an audit event', async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'erasure', email: 'daniyar@example.kz', language: 'en' });
    const reference = String(submitted.body.reference);
    expect((await operator('POST', `/operator/requests/${reference}/extension`, {})).status).toBe(400);
    const extended = await operator('POST', `/operator/requests/${reference}/extension`, { reason: 'Your records span three archived systems.' });
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.dueAt) - Date.parse(String(submitted.body.dueAt))).toBeGreaterThan(55 * 86_400_000);
    const notice = await sink.waitFor((m) => m.subject.includes(reference) && m.subject.includes('more time'));
    expect(notice.text).toContain('Reason: Your records span three archived systems.');
    const trail = (await operator('GET', `/operator/requests/${reference}`)).body.audit as Array<{ type: string }>;
    expect(trail.map((e) => e.type)).toContain('deadline.extended');
    // Only once.
    expect((await operator('POST', `/operator/requests/${reference}/extension`, { reason: 'again' })).status).toBe(409);
  });

  it('the scheduled watch reminds the operator of a request that waits on them, once', async () => {
    // Another address than the first test's: a request for an address whose link is still unconfirmed waits on that link.
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'claim', email: 'claimant@example.kz', language: 'en', message: 'You charged my card twice for order 1001.' });
    const reference = String(submitted.body.reference);
    const verification = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('/verify?code='));
    await postJson(`${system.url}/api/verifications`, { code: new URL(/https?:\/\/\S+/.exec(verification.text)![0]).searchParams.get('code') });
    const reminder = await sink.waitFor((m) => m.subject.includes(reference) && m.subject.includes('Напоминание: запрос ждёт вас'), 20_000);
    expect(reminder.to).toEqual(['dpo@derbes.local']);
    await new Promise((r) => setTimeout(r, 2500)); // two more watch runs
    expect(sink.messages.filter((m) => m.subject.includes(reference) && m.subject.includes('Напоминание'))).toHaveLength(1);
    const trail = (await operator('GET', `/operator/requests/${reference}`)).body.audit as Array<{ type: string; detail: { kind?: string } }>;
    expect(trail.filter((e) => e.type === 'deadline.step').map((e) => e.detail.kind)).toEqual(['operator_reminder']);
  });
});
