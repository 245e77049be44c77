import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamodb/audit-log.ts';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { DynamoRequestStore } from '../../functions/adapters/dynamodb/request-store.ts';
import { Settings } from '../../functions/config/settings.ts';
import { createDeadlineEngine } from '../../functions/domain/deadlines/index.ts';
import { newReference, type DataSubjectRequest, type RequestStatus } from '../../functions/domain/request.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, startTestSystem } from '../support/local-system.ts';
import { MailSink } from '../support/mail-sink.ts';
import { SHIPPED_RULES } from '../../functions/domain/deadlines/shipped.ts';

const PERSON = 'aigerim@example.kz';
const OPERATOR = 'dpo@derbes.local';
let sink: MailSink;
let system: RunningSystem;

const stores = () => ({
  requests: new DynamoRequestStore(documentClient(), process.env[Settings.requestsTable]!, process.env[Settings.auditTable]!),
  audit: new DynamoAuditLog(documentClient(), process.env[Settings.auditTable]!),
});

/**
 * A request as intake would have stored it ten minutes ago, written straight to the table: the state a crash or a
 * failure outside the workflow leaves behind, with no execution to move it.
 */
async function storedRequest(status: RequestStatus, extra: Partial<DataSubjectRequest> = {}): Promise<string> {
  const receivedAt = new Date(Date.now() - 10 * 60_000);
  const deadline = createDeadlineEngine({}, SHIPPED_RULES).compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt });
  const request: DataSubjectRequest = { id: newReference(), types: ['access'], status, channel: 'web', email: PERSON, language: 'en', receivedAt: receivedAt.toISOString(), deadline, ...extra };
  await stores().requests.create(request, { type: 'request.received', detail: { channel: 'web', types: ['access'], dueAt: deadline.dueAt, ruleId: deadline.rule.id } });
  return request.id;
}

beforeAll(async () => {
  sink = await new MailSink().start();
  // A safety margin longer than any term: every open request is at its interim moment, so the watch acts at once.
  const demo = JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, unknown>;
  const profile = join(mkdtempSync(join(tmpdir(), 'derbes-margin-')), 'margin.json');
  writeFileSync(profile, JSON.stringify({ ...demo, escalation: { reminderFractions: [], lastDayReminder: false, safetyMarginHours: 100_000 } }));
  writeFileSync(profile.replace(/\.json$/, '.data.json'), readFileSync('profiles/demo.data.json'));
  system = await startTestSystem({ profile, mailRelayUrl: sink.url, watchIntervalSeconds: 1 });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

describe('the deadline watch and requests that are stuck', () => {
  it('tells the person of a request stuck on a failure that the answer is delayed, once, before the due date', async () => {
    const reference = await storedRequest('IN_PROGRESS', { attention: { step: 'Answer', code: 'mail_deferred', since: new Date().toISOString() } });
    const notice = await sink.waitFor((m) => m.to.includes(PERSON) && m.subject.includes(reference), 20_000);
    expect(notice.subject).toBe(`[${reference}] Your request is delayed`);
    expect(notice.text).toContain('has been delayed by a technical problem on our side');
    expect(notice.text).toContain('Nothing you sent has been lost');
    await sink.waitFor((m) => m.to.includes(OPERATOR) && m.subject.includes(reference) && m.text.includes('Остановлен на шаге «Ответ человеку» (Answer, код ошибки mail_deferred)'));
    await new Promise((r) => setTimeout(r, 2500)); // more watch runs
    expect(sink.messages.filter((m) => m.to.includes(PERSON) && m.subject.includes(reference))).toHaveLength(1);
    const steps = (await stores().audit.list(reference)).filter((e) => e.type === 'deadline.step').map((e) => (e.detail as { kind: string }).kind);
    expect(steps).toContain('delay_notice');
  });

  it('starts the workflow of a request that was stored but never started', async () => {
    const reference = await storedRequest('RECEIVED');
    // The workflow runs: the receipt reaches the person.
    const receipt = await sink.waitFor((m) => m.to.includes(PERSON) && m.messageId?.startsWith(`<${reference}.receipt`) === true, 20_000);
    expect(receipt.subject).toContain(reference);
    expect((await stores().audit.list(reference)).map((e) => e.type)).toContain('workflow.started');
    expect(system.stepFunctions.describe(reference)?.status).toBeDefined();
  });

  it('finds an open request whose workflow is not running, marks it and tells the operator', async () => {
    const reference = await storedRequest('AWAITING_VERIFICATION');
    const alert = await sink.waitFor((m) => m.to.includes(OPERATOR) && m.subject.includes(reference) && m.subject.includes('остановлена'), 20_000);
    // The demo operator reads Russian: no execution was found, said in words.
    expect(alert.subject).toBe(`[${reference}] Обработка запроса остановлена (не найдено)`);
    expect(alert.text).toContain('(выполнение не найдено)');
    expect(alert.text).toContain('redrive');
    expect(alert.text).toContain(`Запрос в консоли: ${system.url}/console/request?ref=${reference}`);
    const shown = await operatorCall(system, 'GET', `/operator/requests/${reference}`);
    expect(shown.body.attention).toMatchObject({ step: 'workflow', code: 'workflow_missing' });
    expect((shown.body.audit as Array<{ type: string; detail: unknown }>).filter((e) => e.type === 'workflow.failed')).toEqual([
      expect.objectContaining({ detail: { step: 'workflow', code: 'workflow_missing' } }),
    ]);
    // Marked once: the next runs leave it to the operator (and the delay notice to the person).
    await new Promise((r) => setTimeout(r, 2500));
    expect(sink.messages.filter((m) => m.to.includes(OPERATOR) && m.subject.includes(reference) && m.subject.includes('остановлена'))).toHaveLength(1);
    await sink.waitFor((m) => m.to.includes(PERSON) && m.subject === `[${reference}] Your request is delayed`);
  });

  it('lists every open request a page at a time, with nothing dropped', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await operatorCall(system, 'GET', `/operator/requests${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      for (const row of page.body.requests as Array<{ reference: string }>) seen.add(row.reference);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    const open = [];
    for await (const request of stores().requests.eachOpen()) open.push(request.id);
    expect([...seen].sort()).toEqual(open.sort());
    expect(pages).toBeGreaterThanOrEqual(1);
    expect((await operatorCall(system, 'GET', '/operator/requests?cursor=not-a-cursor')).status).toBe(400);
  });
});
