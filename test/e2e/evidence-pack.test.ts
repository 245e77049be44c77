import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../functions/domain/request-types.ts';
import { evidenceCommand } from '../../infra/cli/commands/evidence.ts';
import { reportCommand } from '../../infra/cli/commands/report.ts';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorKeyOf, postJson, startTestSystem } from '../support/local-system.ts';
import { MailSink, verificationLink } from '../support/mail-sink.ts';

/**
 * The evidence pack of a completed I-License access request, through the local runtime and `derbes evidence pack`:
 * the PDF read back with pdftotext has every section in each language, the Kazakh letters come out as letters, and
 * nothing of the person but the reference is in it.
 */
const PROFILE = 'profiles/seeds/i-license.json';
const ASEL = 'asel.nurpeisova@mail.example';
let sink: MailSink;
let system: RunningSystem;
const out = mkdtempSync(join(tmpdir(), 'derbes-evidence-'));

beforeAll(async () => {
  sink = await new MailSink().start();
  system = await startTestSystem({ profile: PROFILE, mailRelayUrl: sink.url });
  process.env.DERBES_API_URL = system.url;
  process.env.DERBES_OPERATOR_KEY = operatorKeyOf(system);
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

async function cli(args: string[], command = evidenceCommand): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await command(args, { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) });
  return { code, out: lines.join('\n') };
}

const evidenceTexts = (lang: string) => (JSON.parse(readFileSync(`rules/messages/${lang}.json`, 'utf8')) as { evidence: { sections: Record<string, string>; labels: Record<string, string> } }).evidence;

describe('the evidence pack of a completed I-License access request', () => {
  it('has every section in ru, kk and en, read back from the PDF', async () => {
    const submitted = await postJson(`${system.url}/api/requests`, { email: ASEL, type: 'access', name: 'Асель', language: 'ru' });
    expect(submitted.status).toBe(202);
    const reference = String(submitted.body.reference);
    const link = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('/verify?code='));
    expect((await postJson(`${system.url}/api/verifications`, { code: verificationLink(link).searchParams.get('code') })).status).toBe(200);
    await sink.waitFor((m) => m.to.includes(ASEL) && m.subject.includes(reference) && m.subject.includes('Ответ на ваш запрос'), 40_000);

    for (const lang of LANGUAGES) {
      const file = join(out, `${reference}-${lang}.pdf`);
      const written = await cli(['pack', reference, '--out', file, '--lang', lang]);
      expect(written).toMatchObject({ code: 0, out: expect.stringMatching(/^written .+ \(sha256 [0-9a-f]{64}\)$/) });
      const bytes = readFileSync(file);
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-']).toString('utf8').replace(/\s+/g, ' ');
      const { sections, labels } = evidenceTexts(lang);
      Object.values(sections).forEach((heading, index) => expect(text, `${lang}: ${heading}`).toContain(`${index + 1}. ${heading}`));
      for (const fact of [reference, '180640028978', 'KZ-94V-art25-access', 'info@license.kz']) expect(text).toContain(fact);
      // With the labels, the rule's digest: the request keeps its rule by id (the row is there only for such a request).
      for (const label of ['receivedAt', 'confirmedAt', 'dueAt', 'calendar', 'outcomes', 'mailSha256', 'answeredAt', 'margin', 'chainResult', 'digest', 'ruleDigest']) {
        expect(text, `${lang}: ${label}`).toContain(labels[label]);
      }
      // The receipt and the answer, each with the SHA-256 of the message as sent.
      expect(text.match(/[0-9a-f]{64}/g)?.length).toBeGreaterThanOrEqual(2);
      expect(text).not.toContain(ASEL);
      expect(text).not.toContain('Асель');
      if (lang === 'kk') for (const letter of ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'і']) expect(text).toContain(letter);
      // A page renders (the pages were looked at by hand; see the README).
      execFileSync('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', file, join(out, `${reference}-${lang}`)]);
      expect(statSync(join(out, `${reference}-${lang}-1.png`)).size).toBeGreaterThan(10_000);
    }
    // As text for the terminal, and refusals of what is not a request's reference.
    expect((await cli(['pack', reference, '--out', '-', '--lang', 'en'])).out).toContain(`Evidence pack: request ${reference}`);
    expect(await cli(['pack', 'BRC-00000-00000', '--out', '-'])).toMatchObject({ code: 1, out: expect.stringContaining('must be a request reference') });
    expect(await cli(['pack', reference, '--out', '-', '--lang', 'de'])).toMatchObject({ code: 1, out: expect.stringContaining('lang: must be one of ru, kk, en') });

    // The same request in the report of the day it came (the operator's day, Astana), through the operator API.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Almaty' }).format(new Date());
    const report = await cli(['--from', today, '--to', today], reportCommand);
    expect(report.code).toBe(0);
    expect(report.out).toMatch(/^requests received .+: [1-9]\d* /);
    expect(report.out).toMatch(/answered on time: [1-9]\d*; late: 0/);
    const csv = await cli(['--from', today, '--to', today, '--csv'], reportCommand);
    expect(csv.out).toMatch(/^figure,key,count\n/);
    const chart = join(out, 'report.svg');
    expect((await cli(['--from', today, '--to', today, '--svg', chart, '--lang', 'kk'], reportCommand)).code).toBe(0);
    expect(readFileSync(chart, 'utf8')).toContain('<title id="report-title">');
    expect(await cli(['--from', today, '--to', '2020-01-01'], reportCommand)).toMatchObject({ code: 1, out: expect.stringContaining('to: must not be before from') });
  });
});
