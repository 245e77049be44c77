import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OpenWorkItem, OpenWorkStore } from '../../use-cases/ports.ts';
import { queryAll } from './query-all.ts';

const PARTITION = 'OPEN_WORK';

/** Follow-ups left for the operator live in the requests table under one partition, listed by a query. */
export class DynamoOpenWorkStore implements OpenWorkStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(item: OpenWorkItem): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: PARTITION, sk: `${item.requestId}#${item.id}`, ...item } }));
  }

  async list(): Promise<OpenWorkItem[]> {
    const items = await queryAll(this.db, { TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': PARTITION } });
    return items.map(({ pk: _pk, sk: _sk, ...item }) => item as unknown as OpenWorkItem).sort((a, b) => a.since.localeCompare(b.since));
  }

  async remove(requestId: string, id: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: PARTITION, sk: `${requestId}#${id}` } }));
  }
}
