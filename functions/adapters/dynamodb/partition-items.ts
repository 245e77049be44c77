import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ifConditionHolds, written } from './conditional-write.ts';
import { queryAll } from './query-all.ts';

/**
 * Items of one kind kept in the requests table under one partition — few at a time (pending decisions, failed steps
 * waiting to be resumed, open work): put, listed by a query, taken once, removed.
 */
export class PartitionItems<T extends object> {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly partition: string,
  ) {}

  async put(sk: string, item: T): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: this.partition, sk, ...item } }));
  }

  /** Puts the item where `condition` holds of the one there (or there is none); whether it was put. */
  async putIf(sk: string, item: T, condition: string, values: Record<string, unknown>): Promise<boolean> {
    return written(this.db.send(new PutCommand({ TableName: this.table, Item: { pk: this.partition, sk, ...item }, ConditionExpression: `attribute_not_exists(pk) OR (${condition})`, ExpressionAttributeValues: values })));
  }

  async list(): Promise<T[]> {
    const items = await queryAll(this.db, { TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': this.partition } });
    return items.map((item) => this.strip(item));
  }

  /** Removes the item and returns it, once: undefined when there is none (never put, or taken by another caller). */
  async take(sk: string): Promise<T | undefined> {
    const result = await ifConditionHolds(
      this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: this.partition, sk }, ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' })),
    );
    return result?.Attributes && this.strip(result.Attributes);
  }

  async remove(sk: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: this.partition, sk } }));
  }

  private strip({ pk: _pk, sk: _sk, ...item }: Record<string, unknown>): T {
    return item as T;
  }
}
