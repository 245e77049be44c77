import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local/free-port.ts';
import type { DataSource } from '../../../functions/config/profile-schema.ts';
import { connectorFor } from '../../../functions/adapters/sources/connector-factory.ts';
import { DependencyError } from '../../../functions/domain/errors.ts';

const BUCKET = 'company-files';
const alice = { email: 'alice@example.kz' };
const bob = { email: 'bob@example.kz' };

let server: S3rver;
let directory: string;
let s3: S3Client;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'derbes-s3-'));
  const port = await freePort();
  server = new S3rver({ port, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: BUCKET }] });
  await server.run();
  // s3rver knows one access key, S3RVER, and refuses any other (InvalidAccessKeyId), 'local' included.
  Object.assign(process.env, {
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
  });
  s3 = new S3Client({ forcePathStyle: true });
});
afterAll(async () => {
  await server?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** Each test works under its own prefix, so the tests share one bucket without seeing each other's objects. */
let prefixes = 0;
function source(options: { erasure?: 'delete' | 'anonymise'; personalFields?: string[]; bucket?: string } = {}): Extract<DataSource, { kind: 's3' }> {
  return {
    id: 'documents',
    kind: 's3',
    bucket: options.bucket ?? BUCKET,
    prefix: `customers-${++prefixes}/`,
    marketingList: false,
    fields: {},
    consentAttributes: {},
    description: { en: 'Customer documents' },
    categories: { en: 'contact details, documents' },
    erasure: options.erasure ?? 'delete',
    personalFields: options.personalFields ?? [],
  };
}

async function put(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: contentType }));
}

async function keysUnder(prefix: string): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key!).sort();
}

async function readJson(key: string): Promise<Record<string, unknown>> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse(await object.Body!.transformToString());
}

/** Alice has a profile, an order (JSON without a JSON content type) and a scanned document; Bob has a profile. */
async function seed(prefix: string): Promise<void> {
  await put(`${prefix}alice@example.kz/profile.json`, JSON.stringify({ name: 'Alice', phone: '+77001234567', city: 'Almaty' }), 'application/json');
  await put(`${prefix}alice@example.kz/orders/2026-001.json`, JSON.stringify({ order: '2026-001', name: 'Alice', total: 4200 }), 'binary/octet-stream');
  await put(`${prefix}alice@example.kz/passport.pdf`, new Uint8Array(2048).fill(7), 'application/pdf');
  await put(`${prefix}bob@example.kz/profile.json`, JSON.stringify({ name: 'Bob', phone: '+77007654321', city: 'Astana' }), 'application/json');
}

describe('S3 source', () => {
  it('finds every object of the person and nothing of anyone else', async () => {
    const config = source();
    await seed(config.prefix);
    const records = await connectorFor(config).find(alice);
    expect(records).toHaveLength(3);
    expect(records).toEqual(
      expect.arrayContaining([
        { name: 'Alice', phone: '+77001234567', city: 'Almaty' },
        { order: '2026-001', name: 'Alice', total: 4200 },
        { key: `${config.prefix}alice@example.kz/passport.pdf`, contentType: 'application/pdf', size: 2048 },
      ]),
    );
    expect(JSON.stringify(records)).not.toContain('Bob');
    expect(await connectorFor(config).find({ email: 'nobody@example.kz' })).toEqual([]);
  });

  it('rectifies only the permitted fields of the JSON objects', async () => {
    const config = source({ personalFields: ['name', 'phone'] });
    await seed(config.prefix);
    const outcome = await connectorFor(config).rectify(alice, { name: 'Alisa', city: 'Astana' });
    expect(outcome).toEqual({ status: 'done', affected: 2 });
    expect(await readJson(`${config.prefix}alice@example.kz/profile.json`)).toEqual({ name: 'Alisa', phone: '+77001234567', city: 'Almaty' });
    expect(await readJson(`${config.prefix}alice@example.kz/orders/2026-001.json`)).toEqual({ order: '2026-001', name: 'Alisa', total: 4200 });
    expect(await readJson(`${config.prefix}bob@example.kz/profile.json`)).toMatchObject({ name: 'Bob' });
    expect(await connectorFor(config).rectify(alice, { city: 'Astana' })).toEqual({ status: 'done', affected: 0 });
  });

  it('rectifies any field when the source lists no personal fields', async () => {
    const config = source();
    await seed(config.prefix);
    await connectorFor(config).rectify(alice, { city: 'Astana' });
    expect(await readJson(`${config.prefix}alice@example.kz/profile.json`)).toMatchObject({ name: 'Alice', city: 'Astana' });
  });

  it('marks a withdrawn consent on the JSON objects that hold its attribute, and on nothing else', async () => {
    const config = source();
    await put(`${config.prefix}alice@example.kz/profile.json`, JSON.stringify({ name: 'Alice', newsletter: true }), 'application/json');
    await put(`${config.prefix}alice@example.kz/orders/2026-001.json`, JSON.stringify({ order: '2026-001' }), 'application/json');
    await put(`${config.prefix}bob@example.kz/profile.json`, JSON.stringify({ name: 'Bob', newsletter: true }), 'application/json');
    expect(await connectorFor(config).withdrawConsent(alice, ['newsletter'])).toEqual({ status: 'done', affected: 1 });
    expect(await readJson(`${config.prefix}alice@example.kz/profile.json`)).toEqual({ name: 'Alice', newsletter: false });
    expect(await readJson(`${config.prefix}alice@example.kz/orders/2026-001.json`)).toEqual({ order: '2026-001' });
    expect(await readJson(`${config.prefix}bob@example.kz/profile.json`)).toEqual({ name: 'Bob', newsletter: true });
    // Already withdrawn: nothing changes a second time.
    expect(await connectorFor(config).withdrawConsent(alice, ['newsletter'])).toEqual({ status: 'done', affected: 0 });
  });

  it('blocks with a marker that find reports on every record, and unblocks by removing it', async () => {
    const config = source();
    await seed(config.prefix);
    const connector = connectorFor(config);
    expect(await connector.block(alice)).toEqual({ status: 'done', affected: 3 });
    const marker = `${config.prefix}alice@example.kz/.derbes-blocked`;
    const { blockedAt } = await readJson(marker);
    expect(typeof blockedAt).toBe('string');

    const blocked = await connector.find(alice);
    expect(blocked).toHaveLength(3);
    expect(blocked.every((record) => record.processingBlocked === true)).toBe(true);
    expect((await connector.find(bob)).some((record) => 'processingBlocked' in record)).toBe(false);

    await connector.block(alice);
    expect((await readJson(marker)).blockedAt).toBe(blockedAt);

    expect(await connector.unblock(alice)).toEqual({ status: 'done', affected: 3 });
    expect(await keysUnder(marker)).toEqual([]);
    expect((await connector.find(alice)).some((record) => 'processingBlocked' in record)).toBe(false);
    expect(await connector.unblock(alice)).toEqual({ status: 'done', affected: 0 });
  });

  it('writes no marker for a person it holds nothing about', async () => {
    const config = source();
    expect(await connectorFor(config).block({ email: 'nobody@example.kz' })).toEqual({ status: 'done', affected: 0 });
    expect(await keysUnder(config.prefix)).toEqual([]);
  });

  it('erases by deleting every object of the person, the block marker too', async () => {
    const config = source({ erasure: 'delete' });
    await seed(config.prefix);
    const connector = connectorFor(config);
    await connector.block(alice);
    expect(await connector.erase(alice)).toEqual({ status: 'done', affected: 3 });
    expect(await keysUnder(`${config.prefix}alice@example.kz/`)).toEqual([]);
    expect(await connector.find(alice)).toEqual([]);
    expect(await keysUnder(`${config.prefix}bob@example.kz/`)).toEqual([`${config.prefix}bob@example.kz/profile.json`]);
  });

  it('erases by anonymising: personal fields overwritten, nothing left under the address', async () => {
    const config = source({ erasure: 'anonymise', personalFields: ['name', 'phone'] });
    await seed(config.prefix);
    expect(await connectorFor(config).erase(alice)).toEqual({ status: 'done', affected: 3 });
    expect(await keysUnder(`${config.prefix}alice@example.kz/`)).toEqual([]);

    const left = (await keysUnder(config.prefix)).filter((key) => !key.startsWith(`${config.prefix}bob@example.kz/`));
    expect(left).toHaveLength(2);
    const folder = left[0]!.slice(0, left[0]!.indexOf('/', config.prefix.length) + 1);
    expect(folder).toMatch(new RegExp(`^${config.prefix}erased-[0-9a-f-]{36}/$`));
    expect(left).toEqual([`${folder}orders/2026-001.json`, `${folder}profile.json`]);
    expect(await readJson(`${folder}profile.json`)).toEqual({ name: '[erased]', phone: '[erased]', city: 'Almaty' });
    expect(await readJson(`${folder}orders/2026-001.json`)).toEqual({ order: '2026-001', name: '[erased]', total: 4200 });
    expect(await readJson(`${config.prefix}bob@example.kz/profile.json`)).toMatchObject({ name: 'Bob', phone: '+77007654321' });
  });

  it('pages through more objects than one listing returns', async () => {
    const config = source({ erasure: 'delete' });
    const count = 1_005;
    const keys = Array.from({ length: count }, (_, i) => `${config.prefix}alice@example.kz/events/${String(i).padStart(4, '0')}.json`);
    for (let start = 0; start < count; start += 50) {
      await Promise.all(keys.slice(start, start + 50).map((key, i) => put(key, JSON.stringify({ event: start + i }), 'application/json')));
    }
    const connector = connectorFor(config);
    const records = await connector.find(alice);
    expect(records).toHaveLength(count);
    expect(new Set(records.map((record) => record.event)).size).toBe(count);
    expect(await connector.erase(alice)).toEqual({ status: 'done', affected: count });
    expect(await keysUnder(config.prefix)).toEqual([]);
  });

  it('reports a failing bucket as DependencyError without naming the person', async () => {
    const failure = connectorFor(source({ bucket: 'no-such-bucket' })).find(alice);
    await expect(failure).rejects.toBeInstanceOf(DependencyError);
    await expect(failure).rejects.not.toThrow(/alice/);
  });
});
