import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Settings } from '../../functions/config/settings.ts';
import { addDays, addYears, localDateOf } from '../../functions/domain/deadlines/local-time.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { evidenceCommand } from '../../infra/cli/commands/evidence.ts';
import { retentionCommand } from '../../infra/cli/commands/retention.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, operatorKeyOf, startTestSystem } from '../support/local-system.ts';
import { MailSink } from '../support/mail-sink.ts';

/**
 * Vnedrah's policy keeps data at most 5 years from the person's last interaction. With its profile, the scheduled
 * purge (run every second here) anonymises a message whose last interaction is 5 years and a day old, keeps one of 4
 * years, keeps what a legal hold keeps and names the hold — and does nothing before an operator approves the rule.
 */
const MESSAGES = 'derbes-seed-vnedrah-messages';
const ACCOUNTS = 'derbes-seed-vnedrah-accounts';
const PAYMENTS = 'derbes-seed-vnedrah-payments';
const today = localDateOf(new Date(), 'Asia/Almaty');
const FIVE_YEARS_AND_A_DAY = addDays(addYears(today, -5), -1);
const FOUR_YEARS = addYears(today, -4);
const SIX_YEARS = addYears(today, -6);
const CASE = 'Дело № 2-1234/2026, Сатпаевский городской суд';

let sink: MailSink;
let system: RunningSystem;

beforeAll(async () => {
  sink = await new MailSink().start();
  const dir = mkdtempSync(join(tmpdir(), 'derbes-retention-'));
  const profile = join(dir, 'vnedrah.json');
  writeFileSync(profile, readFileSync('profiles/seeds/vnedrah.json'));
  writeFileSync(
    join(dir, 'vnedrah.data.json'),
    JSON.stringify({
      [MESSAGES]: [
        { email: 'old@mail.example', recordId: 'review-1', authorName: 'Старый Отзыв', text: 'Отзыв пятилетней давности', lastInteraction: FIVE_YEARS_AND_A_DAY },
        { email: 'recent@mail.example', recordId: 'review-2', authorName: 'Свежий Отзыв', text: 'Отзыв четырёхлетней давности', lastInteraction: FOUR_YEARS },
      ],
      [ACCOUNTS]: [
        { email: 'gone@mail.example', recordId: 'account', lastName: 'Ушедший', lastInteraction: FIVE_YEARS_AND_A_DAY },
        { email: 'disputed@mail.example', recordId: 'account', lastName: 'Спорный', lastInteraction: SIX_YEARS, legalHold: CASE },
      ],
      [PAYMENTS]: [{ email: 'payer@mail.example', recordId: 'pay-1', payerName: 'Плательщик', amountKzt: 1000, lastInteraction: SIX_YEARS }],
      'derbes-seed-vnedrah-devices': [],
    }),
  );
  system = await startTestSystem({ profile, mailRelayUrl: sink.url, watchIntervalSeconds: 1 });
  process.env.DERBES_API_URL = system.url;
  process.env.DERBES_OPERATOR_KEY = operatorKeyOf(system);
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

const db = () => documentClient();
const item = async (table: string, email: string, recordId: string) => (await db().send(new GetCommand({ TableName: table, Key: { email, recordId } }))).Item;
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await retentionCommand(args, { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) });
  return { code, out: lines.join('\n') };
}

describe('Vnedrah retention', () => {
  it('shows what would go, by source and count, with the holds named — and no personal data', async () => {
    const { code, out } = await cli(['plan']);
    expect(code).toBe(0);
    expect(out).toContain(`messages: kept 5 years from lastInteraction — records before ${addYears(today, -5)}  [AWAITS APPROVAL`);
    expect(out).toMatch(/messages:[^\n]*\n[^\n]*basis: not more than 5 \(five\) years[^\n]*\n  would be anonymised: 1\n/);
    expect(out).toMatch(/accounts:[^\n]*\n[^\n]*\n  would be deleted: 1\n  kept by legal hold: 1 — Дело № 2-1234\/2026/);
    expect(out).toMatch(/payments:[^\n]*\n[^\n]*\n  would be anonymised: 0\n  kept by legal hold: 1 — payment and settlement records are accounting documents/);
    // derbes' own records: 3 years from the close (rules/retention/own-records.json), no closed request yet.
    expect(out).toMatch(/derbes-requests: kept 3 years from closedAt — records before \d{4}-\d{2}-\d{2}T[^ ]+Z  \[AWAITS APPROVAL: derbes retention approve derbes-requests\]\n  basis: Civil Code of the Republic of Kazakhstan \(General Part\), Art\. 178[^\n]*\n  would be anonymised: 0/);
    for (const personal of ['old@mail.example', 'Старый Отзыв', 'Ушедший', 'Плательщик', 'disputed@']) expect(out).not.toContain(personal);
  });

  it('purges nothing before approval, and tells the operator once per rule', async () => {
    await sink.waitFor((m) => m.to.includes('privacy@vnedrah.example') && m.subject.includes("retention rule for 'messages' awaits approval"));
    await new Promise((resolve) => setTimeout(resolve, 2500)); // a few more scheduled runs
    expect(sink.messages.filter((m) => m.subject.includes("retention rule for 'messages'"))).toHaveLength(1);
    expect(await item(MESSAGES, 'old@mail.example', 'review-1')).toMatchObject({ authorName: 'Старый Отзыв' });
  });

  it('once approved, the scheduled purge anonymises the 5-years-and-a-day record, keeps the 4-year one and the holds', async () => {
    for (const source of ['messages', 'accounts', 'payments']) expect((await cli(['approve', source])).code).toBe(0);
    const deadline = Date.now() + 30_000;
    let anonymised: Record<string, unknown> | undefined;
    while (Date.now() < deadline) {
      const all = (await db().send(new ScanCommand({ TableName: MESSAGES }))).Items ?? [];
      anonymised = all.find((r) => r.recordId === 'review-1');
      if (anonymised?.retentionAnonymisedAt) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(anonymised).toMatchObject({ authorName: '[erased]', text: '[erased]', lastInteraction: FIVE_YEARS_AND_A_DAY, retentionAnonymisedAt: expect.any(String) });
    expect(String(anonymised!.email)).toMatch(/^\[erased\]/);
    expect(await item(MESSAGES, 'old@mail.example', 'review-1')).toBeUndefined();
    expect(await item(MESSAGES, 'recent@mail.example', 'review-2')).toMatchObject({ authorName: 'Свежий Отзыв' });
    await expect.poll(() => item(ACCOUNTS, 'gone@mail.example', 'account'), { timeout: 15_000 }).toBeUndefined();
    expect(await item(ACCOUNTS, 'disputed@mail.example', 'account')).toMatchObject({ lastName: 'Спорный', legalHold: CASE });
    expect(await item(PAYMENTS, 'payer@mail.example', 'pay-1')).toMatchObject({ payerName: 'Плательщик' });

    const trail = (await operatorCall(system, 'GET', '/operator/retention')).body.rules as Array<{ source: string; approved: boolean }>;
    expect(trail.filter((r) => r.approved).map((r) => r.source).sort()).toEqual(['accounts', 'messages', 'payments']);
    const after = await cli(['plan', 'messages']);
    expect(after.out).toContain('would be anonymised: 0');

    // Each purge is in the audit trail, the record named by a keyed hash of its key only; none is purged twice.
    const events = async (source: string) =>
      ((await db().send(new QueryCommand({ TableName: process.env[Settings.auditTable], KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)', ExpressionAttributeValues: { ':pk': `RETENTION#${source}`, ':event': 'EVENT#' } }))).Items ?? []) as Array<{ type: string; detail: Record<string, any> }>;
    for (const source of ['messages', 'accounts']) {
      const purged = (await events(source)).filter((e) => e.type === 'retention.purged').map((e) => e.detail.record as string);
      expect(purged).toHaveLength(1);
      expect(purged[0]).toMatch(/^[0-9a-f]{64}$/);
    }
    const accounts = await events('accounts');
    expect(accounts.map((e) => e.type)).toEqual(expect.arrayContaining(['retention.awaiting_approval', 'retention.approved', 'retention.purged', 'retention.pass_finished']));
    expect(accounts.find((e) => e.type === 'retention.pass_finished')!.detail.held).toEqual({ [CASE]: 1 });
    expect(JSON.stringify(accounts)).not.toContain('gone@mail.example');
  });

  it('keeps a request past derbes\' own term on the operator\'s word, through the CLI and the operator API', async () => {
    expect((await cli(['hold', 'DRB-00000-00000'])).code).toBe(2); // a hold needs its basis
    const missing = await cli(['hold', 'DRB-00000-00000', '--basis', 'Дело № 2-5/2026']);
    expect(missing.code).not.toBe(0);
    expect(missing.out).toContain('request DRB-00000-00000 does not exist');
  });

  it('derbes evidence verify --all: every trail the purge wrote verifies; an audit item edited in the table does not', async () => {
    const verify = async (args: string[]) => {
      const lines: string[] = [];
      const code = await evidenceCommand(['verify', ...args], { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) });
      return { code, out: lines.join('\n') };
    };
    const clean = await verify(['--all']);
    expect(clean.out).toMatch(/^verified: [1-9]\d* trails, [1-9]\d* events; /);
    // --all walks the chain of daily digests too (the watch wrote today's on its first run).
    expect(clean.out).toMatch(/\ndaily digests: [1-9]\d* chained, each naming the one before by its SHA-256; the latest \d{4}-\d{2}-\d{2}$/);
    expect(clean.code).toBe(0);
    // The watch's first run today wrote the day's digest to the locked bucket (the local S3 here), as the watch's role allows.
    const s3 = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL_S3, region: process.env.AWS_REGION, forcePathStyle: true });
    const digests = (await s3.send(new ListObjectsV2Command({ Bucket: process.env[Settings.auditDigestsBucket], Prefix: 'digests/' }))).Contents ?? [];
    expect(digests.map((d) => d.Key)).toEqual([expect.stringMatching(new RegExp(`^digests/${new Date().toISOString().slice(0, 10)}T`))]);

    const trail = 'RETENTION#accounts';
    const events = (await db().send(new QueryCommand({ TableName: process.env[Settings.auditTable], KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)', ExpressionAttributeValues: { ':pk': trail, ':event': 'EVENT#' } }))).Items!;
    const purged = events.find((e) => e.type === 'retention.purged')!;
    await db().send(new PutCommand({ TableName: process.env[Settings.auditTable], Item: { ...purged, detail: { ...purged.detail, cutoff: '2000-01-01' } } }));
    const tampered = await verify(['--all']);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain(`${trail}: BROKEN at event ${purged.seq} (retention.purged, ${purged.at}): changed`);
    expect(tampered.out).toMatch(/1 of \d+ trails BROKEN/);
  });
});
