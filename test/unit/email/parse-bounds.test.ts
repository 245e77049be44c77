import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { boundedForParsing, MalformedMime, MAX_MIME_DEPTH, MAX_TEXT_BYTES } from '../../../functions/domain/email/bounded-mime.ts';
import type { IntakeContext } from '../../../functions/domain/email/index.ts';

/**
 * Intake's time and memory are bounded for any mail SES accepts: the MIME parser's work grew faster than the lines of
 * a part (600,000 lines of "a:" in 2.4 MB took 15 s and 1.4 GB; a 35 MB HTML mail 132 s and 5 GB). Each message is
 * decided here in a worker whose heap is held to 256 MB, a quarter of intake's MemorySize: a decision that needs more
 * ends the worker, and the test with it. Time is measured in `npm run bench:intake-bounds`, not asserted.
 */
const context: IntakeContext = { defaultLanguage: 'en', ownMessageIdDomain: 'derbes.local', supportAddresses: ['privacy@derbes.local'], fixedSubjects: [], maxMessageBytes: 40 * 1024 * 1024, maxAttachmentBytes: 40 * 1024 * 1024 };
const HEAP_MB = 256;
const QUESTION = 'What data do you hold about me?';
const HEAD = `From: lines@example.kz\r\nTo: privacy@derbes.local\r\nSubject: Access request\r\nMessage-ID: <l-1@example.kz>\r\nMIME-Version: 1.0\r\n`;

let decider: string;
beforeAll(async () => {
  decider = join(mkdtempSync(join(tmpdir(), 'derbes-decide-')), 'decide.mjs');
  await build({ entryPoints: ['test/support/decide-in-worker.ts'], bundle: true, platform: 'node', format: 'esm', outfile: decider, logLevel: 'error' });
});

interface Decided {
  kind: string;
  types?: string[];
  text?: string;
  attachments?: number[];
}

function decideWithBoundedHeap(raw: Uint8Array): Promise<Decided> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(decider, { workerData: { raw, context }, resourceLimits: { maxOldGenerationSizeMb: HEAP_MB } });
    worker.once('message', (decided: Decided) => void worker.terminate().then(() => resolve(decided)));
    worker.once('error', reject);
  });
}

const repeated = (line: string, times: number) => Buffer.from(line.repeat(times));

describe('a mail built to make the parser slow is decided within bounds', () => {
  it('600,000 short lines of text (2.4 MB): an access request, from the words at its top', async () => {
    const raw = Buffer.concat([Buffer.from(`${HEAD}Content-Type: text/plain; charset=utf-8\r\n\r\n${QUESTION}\r\n`), repeated('a:\r\n', 600_000)]);
    const decided = await decideWithBoundedHeap(raw);
    expect(decided).toMatchObject({ kind: 'request', types: ['access'] });
    expect(decided.text!.startsWith(QUESTION)).toBe(true);
    expect(boundedForParsing(raw).byteLength).toBeLessThanOrEqual(HEAD.length + 60 + MAX_TEXT_BYTES);
  });

  it('a 37 MB HTML mail of 2.8 million lines: an access request', async () => {
    const raw = Buffer.concat([Buffer.from(`${HEAD}Content-Type: text/html; charset=utf-8\r\n\r\n<p>${QUESTION}</p>`), repeated('<b>&amp;</b>\r\n', 2_800_000)]);
    expect(raw.byteLength).toBeGreaterThan(36 * 1024 * 1024);
    expect(await decideWithBoundedHeap(raw)).toMatchObject({ kind: 'request', types: ['access'] });
  });

  it('a text attachment of 600,000 lines is kept whole, byte for byte', async () => {
    const lines = repeated('a:\r\n', 600_000);
    const raw = Buffer.concat([
      Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary=ZZ\r\n\r\n--ZZ\r\nContent-Type: text/plain\r\n\r\n${QUESTION}\r\n--ZZ\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\n`),
      lines,
      Buffer.from('--ZZ--\r\n'),
    ]);
    const decided = await decideWithBoundedHeap(raw);
    expect(decided).toMatchObject({ kind: 'request', types: ['access'] });
    // The line break before the closing delimiter belongs to the delimiter, not to the attachment.
    expect(decided.attachments).toEqual([lines.byteLength - 2]);
  });

  it('a mail of 300,000 MIME parts is refused as malformed, unparsed', async () => {
    const raw = Buffer.concat([Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary=ZZ\r\n\r\n--ZZ\r\nContent-Type: text/plain\r\n\r\n${QUESTION}\r\n`), repeated('--ZZ\r\nContent-Disposition: attachment\r\n\r\nx\r\n', 300_000), Buffer.from('--ZZ--\r\n')]);
    expect(await decideWithBoundedHeap(raw)).toMatchObject({ kind: 'reject' });
  });

  describe('each part is read as the parser reads it', () => {
    const lines = repeated('a:\r\n', 600_000);
    const multipart = (contentType: string, delimiter: string, inside = '') =>
      Buffer.concat([Buffer.from(`${HEAD}Content-Type: ${contentType}\r\n\r\n${delimiter}\r\nContent-Type: text/plain\r\n\r\n${QUESTION}\r\n${inside}`), lines, Buffer.from(`${delimiter}--\r\n`)]);

    it('a boundary followed by a comment: the parts are split on the boundary, the text cut', async () => {
      const raw = multipart('multipart/mixed; boundary=ZZ (x)', '--ZZ');
      expect(boundedForParsing(raw).byteLength).toBeLessThanOrEqual(HEAD.length + 200 + MAX_TEXT_BYTES);
      expect(await decideWithBoundedHeap(raw)).toMatchObject({ kind: 'request', types: ['access'] });
    });

    it('a quoted boundary with a space, folded with a tab: the folding tab is part of it', async () => {
      const raw = multipart('multipart/mixed;\r\n\tboundary="Z\r\n\tZ"', '--Z\tZ');
      expect(await decideWithBoundedHeap(raw)).toMatchObject({ kind: 'request', types: ['access'] });
    });

    it('a line that starts with the delimiter and goes on is content, not a delimiter', async () => {
      const raw = multipart('multipart/mixed; boundary=ZZ', '--ZZ', '--ZZtop\r\n');
      expect(await decideWithBoundedHeap(raw)).toMatchObject({ kind: 'request', types: ['access'] });
    });

    it('a text type followed by a comment (2.4 MB): the text is cut', async () => {
      const raw = Buffer.concat([Buffer.from(`${HEAD}Content-Type: text/plain (x); charset=utf-8\r\n\r\n${QUESTION}\r\n`), lines]);
      expect(boundedForParsing(raw).byteLength).toBeLessThanOrEqual(HEAD.length + 200 + MAX_TEXT_BYTES);
      const decided = await decideWithBoundedHeap(raw);
      expect(decided).toMatchObject({ kind: 'request', types: ['access'] });
      expect(decided.text!.startsWith(QUESTION)).toBe(true);
    });

    it('a base64 attachment whose transfer encoding has a comment is kept as it decodes', async () => {
      const content = Buffer.alloc(1_000_000, 'derbes ');
      const base64 = content.toString('base64').replace(/.{76}/g, '$&\r\n');
      const raw = Buffer.from(
        `${HEAD}Content-Type: multipart/mixed; boundary=ZZ\r\n\r\n--ZZ\r\nContent-Type: text/plain\r\n\r\n${QUESTION}\r\n--ZZ\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: BASE64 (sent as is)\r\nContent-Disposition: attachment; filename=data.bin\r\n\r\n${base64}\r\n--ZZ--\r\n`,
      );
      expect(await decideWithBoundedHeap(raw)).toMatchObject({ kind: 'request', attachments: [content.byteLength] });
    });

    it('an inline forwarded message, as lines or as base64: its text is cut with the rest', async () => {
      const forwarded = Buffer.concat([Buffer.from('From: friend@example.kz\r\nSubject: notes\r\nContent-Type: text/plain\r\n\r\n'), lines]);
      for (const [encoding, body] of [['7bit', forwarded], ['base64', Buffer.from(forwarded.toString('base64').replace(/.{76}/g, '$&\r\n'))]] as const) {
        const raw = Buffer.concat([
          Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary=ZZ\r\n\r\n--ZZ\r\nContent-Type: text/plain\r\n\r\n${QUESTION}\r\n--ZZ\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`),
          body,
          Buffer.from('\r\n--ZZ--\r\n'),
        ]);
        expect(boundedForParsing(raw).byteLength).toBeLessThanOrEqual(HEAD.length + 2 * MAX_TEXT_BYTES);
        expect(await decideWithBoundedHeap(raw)).toMatchObject({ kind: 'request', types: ['access'] });
      }
    });

    it(`multiparts nested deeper than ${MAX_MIME_DEPTH} levels are refused before they are parsed`, async () => {
      const levels = Array.from({ length: 60 }, (_, level) => `B${level}`);
      const raw = Buffer.concat([
        Buffer.from(`${HEAD}${levels.map((b) => `Content-Type: multipart/mixed; boundary=${b}\r\n\r\n--${b}\r\n`).join('')}Content-Type: text/plain\r\n\r\n${QUESTION}\r\n`),
        lines,
        Buffer.from(levels.map((b) => `--${b}--\r\n`).reverse().join('')),
      ]);
      expect(() => boundedForParsing(raw)).toThrow(MalformedMime);
      expect(await decideWithBoundedHeap(raw)).toMatchObject({ kind: 'reject' });
    });

    it('a multipart message whose boundary never occurs is refused before it is parsed', async () => {
      const raw = multipart('multipart/mixed; boundary=QQ', '--ZZ');
      expect(() => boundedForParsing(raw)).toThrow(MalformedMime);
      expect(await decideWithBoundedHeap(raw)).toMatchObject({ kind: 'reject' });
    });
  });

  it('leaves an ordinary mail as it came', () => {
    const raw = Buffer.from(`${HEAD}Content-Type: text/plain; charset=utf-8\r\n\r\n${QUESTION}\r\n`);
    expect(boundedForParsing(raw)).toBe(raw);
  });
});
