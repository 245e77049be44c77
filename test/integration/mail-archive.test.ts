import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawMailStore } from '../../functions/adapters/aws/raw-mail-store.ts';
import { NotFoundError } from '../../functions/domain/errors.ts';
import { freePort } from '../../infra/local/free-port.ts';

const BUCKET = 'raw-mail';
let directory: string;
let server: S3rver;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'derbes-archive-'));
  const port = await freePort();
  server = new S3rver({ port, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: BUCKET }] });
  await server.run();
  // s3rver knows one access key, S3RVER.
  Object.assign(process.env, { AWS_REGION: 'local', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` });
});
afterAll(async () => {
  await server?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** What a browser saves from an attachment's download link: its bytes, the type it is served as, and the name it is saved under. */
async function download(archive: RawMailStore, requestId: string, key: string): Promise<{ content: string; contentType: string | null; filename: string }> {
  const response = await fetch((await archive.attachmentLink(requestId, key)).url);
  expect(response.status).toBe(200);
  const disposition = response.headers.get('content-disposition') ?? '';
  expect(disposition).toMatch(/^attachment; /);
  return { content: Buffer.from(await response.arrayBuffer()).toString(), contentType: response.headers.get('content-type'), filename: decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(disposition)![1]!) };
}

describe('the mail archive', () => {
  it('keeps an attachment whose media type is mangled, as application/octet-stream (found by the intake fuzzer)', async () => {
    const archive = new RawMailStore(BUCKET, 'inbound/');
    const key = await archive.keep('DRB-AAAAA-BBBBB', { filename: '../scan.pdf', contentType: 'text/\u0000pl\u00e4in', content: Buffer.from('bytes') });
    expect(key).toMatch(/^attachments\/DRB-AAAAA-BBBBB\/[0-9a-f]{32}$/);
    const head = await new S3Client({ forcePathStyle: true }).send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentType).toBe('application/octet-stream');
    const kept = await download(archive, 'DRB-AAAAA-BBBBB', key);
    expect(kept).toEqual({ content: 'bytes', contentType: 'application/octet-stream', filename: '../scan.pdf' });
    // The name comes back as it came in; neither the key nor the link carries it.
    expect((await archive.attachmentLink('DRB-AAAAA-BBBBB', key)).url).not.toContain('scan');
  });

  it('keeps an attachment whose name or media type is too long for S3, its name shortened around an ellipsis with its extension (found by the intake fuzzer)', async () => {
    const archive = new RawMailStore(BUCKET, 'inbound/');
    const key = await archive.keep('DRB-AAAAA-EEEEE', { filename: `${'паспорт '.repeat(40_000)}скан.pdf`, contentType: `application/${'x'.repeat(300_000)}`, content: Buffer.from('%PDF') });
    const head = await new S3Client({ forcePathStyle: true }).send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentType).toBe('application/octet-stream');
    const { filename } = await download(archive, 'DRB-AAAAA-EEEEE', key);
    expect(filename).toMatch(/^паспорт паспорт .*….pdf$/);
    expect(encodeURIComponent(filename).length).toBeLessThanOrEqual(1024);
    expect(encodeURIComponent(filename).length).toBeGreaterThan(1000);
    // A name with an unpaired surrogate (which cannot be percent-encoded) is kept with U+FFFD in its place.
    const odd = await archive.keep('DRB-AAAAA-EEEEE', { filename: 'scan\uD800.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF') });
    expect((await download(archive, 'DRB-AAAAA-EEEEE', odd)).filename).toBe('scan\uFFFD.pdf');
  });

  it('hands out an attachment only under its own request', async () => {
    const archive = new RawMailStore(BUCKET, 'inbound/');
    const key = await archive.keep('DRB-AAAAA-CCCCC', { filename: 'doc.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF') });
    await expect(archive.attachmentLink('DRB-AAAAA-DDDDD', key)).rejects.toBeInstanceOf(NotFoundError);
    await expect(archive.attachmentLink('DRB-AAAAA-CCCCC', `attachments/DRB-AAAAA-CCCCC/../DRB-AAAAA-DDDDD/x`)).rejects.toBeInstanceOf(NotFoundError);
    await expect(archive.attachmentLink('DRB-AAAAA-CCCCC', 'attachments/DRB-AAAAA-CCCCC/none/missing.pdf')).rejects.toBeInstanceOf(NotFoundError);
    const object = await new S3Client({ forcePathStyle: true }).send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(object.ContentType).toBe('application/pdf');
    // Downloaded, a PDF is bytes to save like any other file: nothing a person sent is rendered.
    expect((await download(archive, 'DRB-AAAAA-CCCCC', key)).contentType).toBe('application/octet-stream');
  });

  it('links a file kept before its name went on it as its Content-Disposition under its name, and a raw mail under the name given', async () => {
    const archive = new RawMailStore(BUCKET, 'inbound/');
    const s3 = new S3Client({ forcePathStyle: true });
    const key = 'attachments/DRB-AAAAA-FFFFF/0123456789abcdef0123456789abcdef';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'old', ContentType: 'image/svg+xml', Metadata: { filename: encodeURIComponent('фото.svg') } }));
    expect(await download(archive, 'DRB-AAAAA-FFFFF', key)).toEqual({ content: 'old', contentType: 'application/octet-stream', filename: 'фото.svg' });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbound/ses-1', Body: 'From: a@example.kz\r\n\r\nhi' }));
    const mail = await fetch((await archive.rawMailLink('ses-1', 'DRB-AAAAA-FFFFF-ses-1.eml')).url);
    expect(mail.headers.get('content-disposition')).toBe('attachment; filename="DRB-AAAAA-FFFFF-ses-1.eml"; filename*=UTF-8\'\'DRB-AAAAA-FFFFF-ses-1.eml');
    expect(await mail.text()).toBe('From: a@example.kz\r\n\r\nhi');
    await expect(archive.rawMailLink('ses-gone', 'x.eml')).rejects.toBeInstanceOf(NotFoundError);
  });
});
