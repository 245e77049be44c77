import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { freePort } from '../../infra/local/free-port.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test run's DynamoDB Local (one database per access key), if the run started one. */
    sharedDynamoDbEndpoint?: string;
  }
}

/**
 * Vitest's global setup: one DynamoDB Local for the whole run instead of a JVM per test file. It keeps one database
 * per access key (no -sharedDb), so each file's tables live in a namespace of their own and no file sees another's
 * data; in memory, as nothing of it outlives the run.
 */
export default async function startSharedDatabase(project: TestProject): Promise<() => Promise<void>> {
  const directory = mkdtempSync(join(tmpdir(), 'derbes-test-ddb-'));
  const database = new DynamoDbLocal(await freePort(), directory, { databasePerAccessKey: true, inMemory: true });
  await database.start();
  project.provide('sharedDynamoDbEndpoint', database.endpoint);
  return async () => {
    await database.stop();
    rmSync(directory, { recursive: true, force: true });
  };
}
