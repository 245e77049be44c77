import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { DynamoRequestStore } from '../../functions/adapters/dynamodb/request-store.ts';
import { Settings } from '../../functions/config/settings.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { MailSink } from '../support/mail-sink.ts';
import { postJson, startTestSystem } from '../support/local-system.ts';

const PERSON = 'aigerim@example.kz';
let sink: MailSink;
let system: RunningSystem;

/** Mails to unconfirmed addresses this test file sends before the hour's budget runs out (see the last test). */
const HOURLY = 9;

beforeAll(async () => {
  // The hour's budget is counted per clock hour: start well inside one, so the counts below are this file's alone.
  const toNextHour = 3_600_000 - (Date.now() % 3_600_000);
  if (toNextHour < 3 * 60_000) await new Promise((r) => setTimeout(r, toNextHour + 1000));
  sink = await new MailSink().start();
  // A profile whose confirmation links live ~4 s, so the verification wait runs out during the test.
  const demo = JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, unknown>;
  const profile = join(mkdtempSync(join(tmpdir(), 'derbes-profile-')), 'short-links.json');
  // The hour's budget of mail to unconfirmed addresses is small enough to reach: see the budget tests below.
  // Requests from the web draw on the hour's share not kept for mail (half of it here): HOURLY of them, none kept back
  // for receipts mailed again.
  writeFileSync(profile, JSON.stringify({ ...demo, verification: { codeTtlHours: 0.001 }, limits: { ...(demo.limits as object), unverifiedMailsPerHour: 2 * HOURLY, mailShareOfHour: 0.5, reservedShareOfHour: 0 } }));
  writeFileSync(profile.replace(/\.json$/, '.data.json'), readFileSync('profiles/demo.data.json'));
  system = await startTestSystem({ profile, mailRelayUrl: sink.url });
  // The wait for the next clock hour (up to 3 minutes) comes on top of the system's start.
}, 3 * 60_000 + 120_000);
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

describe('an access request that is never verified', () => {
  it('gets a reasoned answer before its due date, and is closed', async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { type: 'access', email: PERSON, language: 'en' });
    const reference = String(submitted.body.reference);
    const closing = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('confirmation link was not used in time'), 30_000);
    expect(closing.text).toContain(String(submitted.body.reference));
    expect(Date.now()).toBeLessThan(Date.parse(String(submitted.body.dueAt)));
    const requests = new DynamoRequestStore(documentClient(), process.env[Settings.requestsTable]!, process.env[Settings.auditTable]!);
    let status = '';
    for (let i = 0; i < 50 && status !== 'CLOSED_UNVERIFIED'; i++, await new Promise((r) => setTimeout(r, 100))) status = (await requests.get(reference)).status;
    expect(status).toBe('CLOSED_UNVERIFIED');
    expect(closing.text).not.toContain('crm-1001');
  });
});

describe('mail to an address that never confirms is bounded', () => {
  const statusOf = async (reference: string) => (await new DynamoRequestStore(documentClient(), process.env[Settings.requestsTable]!, process.env[Settings.auditTable]!).get(reference)).status;
  const auditOf = async (reference: string) => new DynamoAuditLog(documentClient(), process.env[Settings.auditTable]!).list(reference);

  it('ten requests for one address in a row, each with a link of its own: at most six mails reach it, closing notices included', async () => {
    const target = 'target@example.kz';
    const references: string[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await postJson(`${system.url}/api/requests`, { type: 'access', email: target, language: 'en' });
      references.push(String(response.body.reference));
      // One after another, once the previous link is mailed or withheld: no request simply joins another's.
      await until(async () => (await auditOf(references.at(-1)!)).some((e) => e.type === 'mail.sent' || e.type === 'mail.withheld' || (e.detail as { joined?: boolean }).joined));
    }
    // Every link runs out (seconds here) and every request closes.
    for (const reference of references) await until(async () => (await statusOf(reference)) === 'CLOSED_UNVERIFIED', 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages.filter((m) => m.to.includes(target))).toHaveLength(6);
    const withheld = (await Promise.all(references.map(auditOf))).flat().filter((e) => e.type === 'mail.withheld').map((e) => (e.detail as { reason: string }).reason);
    // Held for the address's budget; and a request whose receipt was held gets no closing notice either.
    expect(withheld).toContain('recipient_budget');
    expect(withheld.every((reason) => reason === 'recipient_budget' || reason === 'not_mailed_before')).toBe(true);
  });

  it('when the hour\'s budget for all addresses is spent, such mail is held and the operator is told once', async () => {
    // Sent so far this hour: Aigerim's receipt and closing notice, and six mails to the target.
    const fresh = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'fresh.one@example.kz', language: 'en' });
    await sink.waitFor((m) => m.to.includes('fresh.one@example.kz'));
    const held = await postJson(`${system.url}/api/requests`, { type: 'access', email: 'fresh.two@example.kz', language: 'en' });
    const reference = String(held.body.reference);
    const alert = await sink.waitFor((m) => m.to.includes('dpo@derbes.local') && m.subject.includes('Исчерпан часовой лимит писем'));
    expect(alert.text).toContain(`отправлено ${HOURLY} писем`);
    await until(async () => (await auditOf(reference)).some((e) => e.type === 'mail.withheld'));
    expect((await auditOf(reference)).find((e) => e.type === 'mail.withheld')?.detail).toEqual({ template: 'receipt', reason: 'hourly_budget' });
    expect(sink.messages.filter((m) => m.to.includes('fresh.two@example.kz'))).toEqual([]);
    void fresh;
    await new Promise((r) => setTimeout(r, 5000));
    expect(sink.messages.filter((m) => m.subject.includes('Исчерпан часовой лимит писем'))).toHaveLength(1);
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
