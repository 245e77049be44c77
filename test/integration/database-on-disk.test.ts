import { mkdtempSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { freePort } from '../../infra/local/free-port.ts';

/** The first `length` bytes of a file. */
function head(file: string, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, bytes, 0, length, 0);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** Bytes 18 and 19 of an SQLite file: 1 for the rollback journal, 2 for the write-ahead log (sqlite.org/fileformat.html). */
function journalVersions(file: string): [number, number] {
  const header = head(file, 20);
  return [header[18]!, header[19]!];
}

const directory = mkdtempSync(join(tmpdir(), 'derbes-disk-ddb-'));
const file = join(directory, 'shared-local-instance.db');
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Starts the database on the folder again, reads one item back, and stops it. */
async function itemAfterStart(port: number, pk: string): Promise<Record<string, AttributeValue> | undefined> {
  const database = new DynamoDbLocal(port, directory);
  await database.start();
  try {
    return (await database.client().send(new GetItemCommand({ TableName: 'kept', Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
  } finally {
    await database.stop();
  }
}

describe("`npm start`'s database on disk", () => {
  it('keeps its file in write-ahead-log mode, also one a folder from before held, and what was written is there after a restart', async () => {
    const port = await freePort();
    const first = new DynamoDbLocal(port, directory);
    await first.start();
    const db = first.client();
    await db.send(
      new CreateTableCommand({ TableName: 'kept', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
    );
    await Promise.all(Array.from({ length: 20 }, (_, i) => db.send(new PutItemCommand({ TableName: 'kept', Item: { pk: { S: `item-${i}` }, n: { N: String(i) } } }))));
    await first.stop();
    expect(journalVersions(file)).toEqual([2, 2]);
    expect(await itemAfterStart(port, 'item-19')).toEqual({ pk: { S: 'item-19' }, n: { N: '19' } });

    // A data folder from before the log: its file back in rollback-journal mode (the log written into it first).
    const sqlite = new DatabaseSync(file);
    sqlite.exec('PRAGMA journal_mode=DELETE');
    sqlite.close();
    expect(journalVersions(file)).toEqual([1, 1]);
    expect(await itemAfterStart(port, 'item-7')).toEqual({ pk: { S: 'item-7' }, n: { N: '7' } });
    expect(journalVersions(file)).toEqual([2, 2]);
  }, 90_000);

  it('writes its log back into the file while it runs, so that bursts of plain puts with pauses between them reuse the log instead of growing it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'derbes-disk-log-'));
    const port = await freePort();
    const database = new DynamoDbLocal(port, folder);
    await database.start();
    try {
      // One attempt per call: a put the checkpoint made DynamoDB Local refuse ("database is locked") fails the test.
      const db = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
      await db.send(
        new CreateTableCommand({ TableName: 'bursts', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
      );
      const log = join(folder, 'shared-local-instance.db-wal');
      /** Whether a checkpoint took in the whole log: the WAL index's last frame (mxFrame) is its backfilled frame (nBackfill). */
      const logTakenIn = () => {
        const index = head(join(folder, 'shared-local-instance.db-shm'), 100);
        return index.readUInt32LE(96) === index.readUInt32LE(16);
      };
      const payload = 'x'.repeat(4000);
      for (let burst = 0; burst < 3; burst++) {
        let next = burst * 300;
        const end = next + 300;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < end) await db.send(new PutItemCommand({ TableName: 'bursts', Item: { pk: { S: `item-${next++}` }, payload: { S: payload } } }));
          }),
        );
        // The pause a person's use of the runtime leaves: a checkpoint (once a second) takes in the whole log.
        const waitUntil = Date.now() + 20_000;
        while (!logTakenIn() && Date.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(logTakenIn()).toBe(true);
      }
      // Each burst writes about 2.8 MB to the log: without the checkpoints the log holds all three (8.5 MB); with them
      // each burst after a pause starts it over, and its file stays the size of the largest burst.
      expect(statSync(log).size).toBeLessThan(4_500_000);
      expect(statSync(join(folder, 'shared-local-instance.db')).size).toBeGreaterThan(2_000_000);
      for (const pk of ['item-0', 'item-450', 'item-899']) {
        expect((await db.send(new GetItemCommand({ TableName: 'bursts', Key: { pk: { S: pk } }, ConsistentRead: true }))).Item?.payload).toEqual({ S: payload });
      }
    } finally {
      await database.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  }, 90_000);
});
