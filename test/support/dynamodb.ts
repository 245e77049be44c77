import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Settings } from '../../functions/config/settings.ts';
import { DynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { freePort } from '../../infra/local/free-port.ts';
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
 * DynamoDB Local with the stack's own tables, for integration tests. It also sets AWS_ENDPOINT_URL_DYNAMODB
 * and credentials, so adapters built with default clients reach it. The tables are the synthesized template's, as
 * `npm start` has them (the template synthesized once per change of the app, for every test and start).
 */
export async function startTestDynamoDb(): Promise<TestDynamoDb> {
  const directory = mkdtempSync(join(tmpdir(), 'derbes-ddb-'));
  // The JVM starts while the template is read (or synthesized); neither needs the other.
  const dynamo = new DynamoDbLocal(await freePort(), join(directory, 'data'));
  const started = dynamo.start();
  started.catch(() => undefined);
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
    AWS_ACCESS_KEY_ID: 'local',
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
