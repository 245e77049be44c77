import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CfnElement } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { createApp } from '../../infra/app.ts';
import { DynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { LocalTemplate, type CfnTemplate } from '../../infra/local/template.ts';
import { freePort } from '../../infra/local/free-port.ts';

export interface TestDynamoDb {
  endpoint: string;
  db: DynamoDBDocumentClient;
  /** Local table names of the stack's tables, as the local runtime creates them. */
  tables: { requests: string; audit: string; verifications: string; consent: string; limits: string };
  stop(): Promise<void>;
}

/**
 * DynamoDB Local with the stack's own tables, for integration tests. It also sets AWS_ENDPOINT_URL_DYNAMODB
 * and credentials, so adapters built with default clients reach it.
 */
export async function startTestDynamoDb(): Promise<TestDynamoDb> {
  const directory = mkdtempSync(join(tmpdir(), 'derbes-ddb-'));
  const { app, stack } = createApp({ outdir: join(directory, 'cdk.out'), skipBundling: true });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  const dynamo = new DynamoDbLocal(await freePort(), join(directory, 'data'));
  await dynamo.start();
  await dynamo.ensureTables(new LocalTemplate(template, 'http://localhost').tables());
  Object.assign(process.env, {
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  });
  const name = (table: Table) => stack.getLogicalId(table.node.defaultChild as CfnElement);
  const { storage } = stack;
  return {
    endpoint: dynamo.endpoint,
    db: DynamoDBDocumentClient.from(dynamo.client(), { marshallOptions: { removeUndefinedValues: true } }),
    tables: {
      requests: name(storage.requests),
      audit: name(storage.audit),
      verifications: name(storage.verifications),
      consent: name(storage.consent),
      limits: name(storage.limits),
    },
    async stop() {
      await dynamo.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
