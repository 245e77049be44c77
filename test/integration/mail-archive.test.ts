import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
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

describe('the mail archive', () => {
  it('keeps an attachment whose media type is mangled, as application/octet-stream (found by the intake fuzzer)', async () => {
    const archive = new RawMailStore(BUCKET, 'inbound/');
    const key = await archive.keep('DRB-AAAAA-BBBBB', { filename: '../scan.pdf', contentType: 'text/\u0000pl\u00e4in', content: Buffer.from('bytes') });
    expect(key).toMatch(/^attachments\/DRB-AAAAA-BBBBB\/[0-9a-f]{32}$/);
    const head = await new S3Client({ forcePathStyle: true }).send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentType).toBe('application/octet-stream');
    const kept = await archive.fetch('DRB-AAAAA-BBBBB', key);
    expect(Buffer.from(kept.content).toString()).toBe('bytes');
    // The name comes back as it came in; the key never carries it.
    expect(kept.filename).toBe('../scan.pdf');
  });

  it('keeps an attachment whose name or media type is too long for S3, its name shortened around an ellipsis with its extension (found by the intake fuzzer)', async () => {
    const archive = new RawMailStore(BUCKET, 'inbound/');
    const key = await archive.keep('DRB-AAAAA-EEEEE', { filename: `${'паспорт '.repeat(40_000)}скан.pdf`, contentType: `application/${'x'.repeat(300_000)}`, content: Buffer.from('%PDF') });
    const head = await new S3Client({ forcePathStyle: true }).send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentType).toBe('application/octet-stream');
    const { filename } = await archive.fetch('DRB-AAAAA-EEEEE', key);
    expect(filename).toMatch(/^паспорт паспорт .*….pdf$/);
    expect(encodeURIComponent(filename).length).toBeLessThanOrEqual(1024);
    expect(encodeURIComponent(filename).length).toBeGreaterThan(1000);
    // A name with an unpaired surrogate (which cannot be percent-encoded) is kept with U+FFFD in its place.
    const odd = await archive.keep('DRB-AAAAA-EEEEE', { filename: 'scan\uD800.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF') });
    expect((await archive.fetch('DRB-AAAAA-EEEEE', odd)).filename).toBe('scan\uFFFD.pdf');
  });

  it('hands out an attachment only under its own request', async () => {
    const archive = new RawMailStore(BUCKET, 'inbound/');
    const key = await archive.keep('DRB-AAAAA-CCCCC', { filename: 'doc.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF') });
    await expect(archive.fetch('DRB-AAAAA-DDDDD', key)).rejects.toBeInstanceOf(NotFoundError);
    await expect(archive.fetch('DRB-AAAAA-CCCCC', `attachments/DRB-AAAAA-CCCCC/../DRB-AAAAA-DDDDD/x`)).rejects.toBeInstanceOf(NotFoundError);
    await expect(archive.fetch('DRB-AAAAA-CCCCC', 'attachments/DRB-AAAAA-CCCCC/none/missing.pdf')).rejects.toBeInstanceOf(NotFoundError);
    const object = await new S3Client({ forcePathStyle: true }).send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(object.ContentType).toBe('application/pdf');
  });
});
