import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { DynamoRequestStore } from '../../functions/adapters/dynamodb/request-store.ts';
import { Settings } from '../../functions/config/settings.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { MailSink } from '../support/mail-sink.ts';
import { postJson, startTestSystem } from '../support/local-system.ts';

const PERSON = 'aigerim@example.kz';
let sink: MailSink;
let system: RunningSystem;

beforeAll(async () => {
  sink = await new MailSink().start();
  // A profile whose confirmation links live ~4 s, so the verification wait runs out during the test.
  const demo = JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as Record<string, unknown>;
  const profile = join(mkdtempSync(join(tmpdir(), 'derbes-profile-')), 'short-links.json');
  writeFileSync(profile, JSON.stringify({ ...demo, verification: { codeTtlHours: 0.001 } }));
  writeFileSync(profile.replace(/\.json$/, '.data.json'), readFileSync('profiles/demo.data.json'));
  system = await startTestSystem({ profile, mailRelayUrl: sink.url });
});
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
