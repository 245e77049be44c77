/**
 * Bench: intake's decision on mail built to make the MIME parser slow (the shapes an attack used: many short lines of
 * text, a large HTML body, a line-by-line text attachment, many parts), each decided in its own process so the peak
 * memory is its own. SES accepts 40 MB; intake has 1,024 MB and a minute.
 * Run: npm run bench:intake-bounds — one line per mail: its size, the decision, the time and the peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideIntake } from '../functions/domain/email/index.ts';

const QUESTION = 'What data do you hold about me?';
const HEAD = 'From: lines@example.kz\r\nTo: privacy@derbes.local\r\nSubject: Access request\r\nMessage-ID: <l-1@example.kz>\r\nMIME-Version: 1.0\r\n';
const multipart = (last: string) => `${HEAD}Content-Type: multipart/mixed; boundary=ZZ\r\n\r\n--ZZ\r\nContent-Type: text/plain\r\n\r\n${QUESTION}\r\n${last}`;
const mails: Record<string, () => Buffer> = {
  'text, 600,000 lines of "a:" (2.4 MB)': () => Buffer.from(`${HEAD}Content-Type: text/plain; charset=utf-8\r\n\r\n${QUESTION}\r\n${'a:\r\n'.repeat(600_000)}`),
  'text, 9,500,000 lines of "a:" (38 MB)': () => Buffer.from(`${HEAD}Content-Type: text/plain; charset=utf-8\r\n\r\n${QUESTION}\r\n${'a:\r\n'.repeat(9_500_000)}`),
  'HTML, 2,500,000 lines (35 MB)': () => Buffer.from(`${HEAD}Content-Type: text/html; charset=utf-8\r\n\r\n<p>${QUESTION}</p>${'<b>&amp;</b>\r\n'.repeat(2_500_000)}`),
  'text attachment, 600,000 lines (2.4 MB)': () => Buffer.from(multipart(`--ZZ\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\n${'a:\r\n'.repeat(600_000)}--ZZ--\r\n`)),
  '300,000 parts (13 MB)': () => Buffer.from(multipart(`${'--ZZ\r\nContent-Disposition: attachment\r\n\r\nx\r\n'.repeat(300_000)}--ZZ--\r\n`)),
};

const [file] = process.argv.slice(2);
if (file) {
  // One mail, in a process of its own.
  const raw = readFileSync(file);
  const started = performance.now();
  const decision = await decideIntake(raw, { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY' }, { defaultLanguage: 'en', ownMessageIdDomain: 'derbes.local', supportAddresses: ['privacy@derbes.local'], fixedSubjects: [], maxMessageBytes: 40 * 1024 * 1024, maxAttachmentBytes: 5 * 1024 * 1024 });
  const kind = decision.kind === 'request' ? `request ${decision.types.join(',')}` : `${decision.kind} ${'reason' in decision ? decision.reason : ''}`;
  console.log(`${kind}; ${Math.round(performance.now() - started)} ms`);
} else {
  const folder = mkdtempSync(join(tmpdir(), 'derbes-intake-bounds-'));
  for (const [name, build] of Object.entries(mails)) {
    const path = join(folder, 'mail.eml');
    const raw = build();
    writeFileSync(path, raw);
    const run = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', import.meta.filename, path], { encoding: 'utf8' });
    const peakMb = Math.round(Number(run.stderr.trim().split('\n').pop()) / 1024);
    console.log(`${name}, ${(raw.byteLength / 1024 / 1024).toFixed(1)} MB: ${run.stdout.trim() || run.stderr.trim().split('\n')[0]}, peak RSS ${peakMb} MB`);
  }
}
