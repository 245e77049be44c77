import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { Settings } from '../../functions/config/settings.ts';
import { DatabaseNamespace, startDatabase, type StartingDatabase } from '../../infra/local/dynamodb-local.ts';
import { synthesize } from '../../infra/local/synthesis.ts';
import { LocalTemplate } from '../../infra/local/template.ts';
import { DEFAULT_PROFILE, REPO_ROOT } from '../../infra/names.ts';

export interface TestDynamoDb {
  endpoint: string;
  db: DynamoDBDocumentClient;
  /** Local table names of the stack's tables, as the local runtime creates them. */
  tables: { requests: string; audit: string; verifications: string; consent: string; limits: string };
  stop(): Promise<void>;
}

/**
 * The namespace `name` names in the test run's DynamoDB Local (test/support/shared-database.ts): the same name, the
 * same tables; another name, other tables. Undefined when this file runs without the suite's global setup.
 */
export function sharedDatabase(name: string): StartingDatabase | undefined {
  const endpoint = inject('sharedDynamoDbEndpoint');
  if (!endpoint) return undefined;
  const key = `test${createHash('sha256').update(name).digest('hex').slice(0, 24)}`;
  return { dynamo: new DatabaseNamespace(endpoint, key), started: Promise.resolve() };
}

/**
 * The stack's own tables, for integration tests, in a namespace of their own of the run's DynamoDB Local (or, in a
 * file run without the suite's global setup, in a DynamoDB Local of their own). It also sets
 * AWS_ENDPOINT_URL_DYNAMODB and credentials, so adapters built with default clients reach them. The tables are the
 * synthesized template's, as `npm start` has them (the template synthesized once per change of the app, for every
 * test and start).
 */
export async function startTestDynamoDb(): Promise<TestDynamoDb> {
  const directory = mkdtempSync(join(tmpdir(), 'derbes-ddb-'));
  // An own JVM starts while the template is read (or synthesized); neither needs the other.
  const { dynamo, started } = sharedDatabase(randomBytes(16).toString('hex')) ?? (await startDatabase(directory, 0));
  let tables: TestDynamoDb['tables'];
  try {
    const profilePath = resolve(REPO_ROOT, process.env.DERBES_PROFILE ?? DEFAULT_PROFILE);
    const template = new LocalTemplate((await synthesize(profilePath, join(directory, 'cdk.out'))).template, 'http://localhost');
    // The names the functions are given, as the stack wires them.
    const environment: Record<string, string> = Object.assign({}, ...[...template.functions().values()].map((fn) => fn.environment));
    const tableOf = (setting: string) => {
      const name = environment[setting];
      if (!name) throw new Error(`no function of the template is given ${setting}`);
      return name;
    };
    await started;
    await dynamo.ensureTables(template.tables());
    tables = {
      requests: tableOf(Settings.requestsTable),
      audit: tableOf(Settings.auditTable),
      verifications: tableOf(Settings.verificationsTable),
      consent: tableOf(Settings.consentTable),
      limits: tableOf(Settings.limitsTable),
    };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  Object.assign(process.env, {
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: dynamo.accessKeyId ?? 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  });
  return {
    endpoint: dynamo.endpoint,
    db: DynamoDBDocumentClient.from(dynamo.client(), { marshallOptions: { removeUndefinedValues: true } }),
    tables,
    async stop() {
      await dynamo.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A company table keyed as the demo's source tables are: the person's address, then a record id. */
export async function createRecordTable(db: DynamoDBDocumentClient, name: string): Promise<void> {
  await db.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'email', AttributeType: 'S' },
        { AttributeName: 'recordId', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'email', KeyType: 'HASH' },
        { AttributeName: 'recordId', KeyType: 'RANGE' },
      ],
    }),
  );
}
