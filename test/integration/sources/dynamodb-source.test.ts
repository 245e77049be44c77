import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbSourceConnector } from '../../../functions/adapters/sources/dynamodb-source.ts';
import { ANONYMISED } from '../../../functions/adapters/sources/source-rules.ts';
import type { DataSource } from '../../../functions/config/profile-schema.ts';
import { applyToSource } from '../../../functions/use-cases/fulfilment.ts';
import { applyDecision, decide } from '../../../functions/use-cases/operator.ts';
import { planFulfilment, requestDecision } from '../../../functions/use-cases/workflow-steps.ts';
import { createRecordTable, startTestDynamoDb, type TestDynamoDb } from '../../support/dynamodb.ts';
import { OPERATOR, placeRequest, systemFor } from '../../support/flow.ts';

/** A company table on DynamoDB Local as the DynamoDB source reaches it: an erasure of particular fields. */
const TABLE = 'source-it-accounts';
const NURLAN = { email: 'nurlan.abenov@mail.example', recordId: 'account', lastName: 'Абенов', firstName: 'Нурлан', phone: '+7 700 555 61 62', address: 'г. Сатпаев, ул. Кенесары, 5', loyaltyPoints: 1240, registeredAt: '2023-03-09' };
const NURLAN_SHOP = { email: 'nurlan.abenov@mail.example', recordId: 'shop', companyName: 'ИП Абенов', phone: '+7 700 555 61 63' };
const GULNARA = { email: 'gulnara.tokhtarova@mail.example', recordId: 'account', lastName: 'Тохтарова', phone: '+7 707 555 18 19', address: 'г. Караганда' };

let ddb: TestDynamoDb;
let table = 0;

beforeAll(async () => {
  ddb = await startTestDynamoDb();
}, 180_000);
afterAll(async () => ddb?.stop());

/** A fresh table with the three records, keyed by address and record id as the demo tables are. */
async function accountsTable(): Promise<string> {
  const name = `${TABLE}-${++table}`;
  await createRecordTable(ddb.db, name);
  for (const item of [NURLAN, NURLAN_SHOP, GULNARA]) await ddb.db.send(new PutCommand({ TableName: name, Item: item }));
  return name;
}

const source = (tableName: string): Extract<DataSource, { kind: 'dynamodb' }> => ({
  id: 'accounts',
  kind: 'dynamodb',
  description: { en: 'Accounts' },
  categories: { en: 'name, phone, address' },
  // Records are deleted on a whole erasure: a limited one overwrites all the same.
  erasure: 'delete',
  personalFields: ['lastName', 'firstName', 'phone', 'address', 'companyName'],
  marketingList: false,
  fields: {},
  consentAttributes: {},
  tableName,
  keyAttribute: 'email',
});

const connector = (tableName: string) => new DynamoDbSourceConnector(ddb.db, source(tableName), async () => ['email', 'recordId']);
const all = async (tableName: string) => ((await ddb.db.send(new ScanCommand({ TableName: tableName }))).Items ?? []).sort((a, b) => `${a.email}${a.recordId}`.localeCompare(`${b.email}${b.recordId}`));

describe('the DynamoDB source, erasing particular fields', () => {
  it('overwrites the named fields of each of the person\'s records that holds them, and keeps every other field and record', async () => {
    const name = await accountsTable();
    expect(await connector(name).eraseFields({ email: NURLAN.email }, ['phone', 'address'])).toEqual({ status: 'done', affected: 2 });
    expect(await all(name)).toEqual([
      GULNARA,
      { ...NURLAN, phone: ANONYMISED, address: ANONYMISED },
      // A record without an address gets none.
      { ...NURLAN_SHOP, phone: ANONYMISED },
    ]);
    // Run again (a retried step): the same records, the same result.
    expect(await connector(name).eraseFields({ email: NURLAN.email }, ['phone', 'address'])).toEqual({ status: 'done', affected: 2 });
    expect(await all(name)).toHaveLength(3);
  });

  it('does as the operator decided: the phone only, for a mail that asked to delete the phone number', async () => {
    const name = await accountsTable();
    const s = systemFor('profiles/seeds/vnedrah.json', {
      adjust: (json) => ({ ...json, sources: (json.sources as Array<{ id: string }>).map((declared) => (declared.id === 'accounts' ? { ...declared, tableName: name } : declared)) }),
    });
    const request = await placeRequest(s, [], { email: NURLAN.email, channel: 'email', message: 'Please delete my phone number.' });
    await planFulfilment(s.deps, request.id);
    await requestDecision(s.deps, request.id, 'task-token');
    await decide(s.deps, request.id, { decision: 'approve', types: ['erasure'], fields: ['phone'] }, OPERATOR);
    await applyDecision(s.deps, request.id);
    const accounts = s.deps.profile.sources.find((declared) => declared.id === 'accounts')!;
    const real = new DynamoDbSourceConnector(ddb.db, accounts as Extract<DataSource, { kind: 'dynamodb' }>, async () => ['email', 'recordId']);
    expect(await applyToSource({ ...s.deps, connectorFor: () => real }, request.id, 'accounts')).toEqual({ sourceId: 'accounts', outcomes: { field_erasure: 'done: 2' } });
    expect(await all(name)).toEqual([GULNARA, { ...NURLAN, phone: ANONYMISED }, { ...NURLAN_SHOP, phone: ANONYMISED }]);
  });
});
