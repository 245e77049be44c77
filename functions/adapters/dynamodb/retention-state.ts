import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { emptyState, type RetentionState } from '../../domain/retention.ts';
import type { RetentionStates } from '../../use-cases/ports.ts';

/** In the requests table: pk=RETENTION, sk=<source id> — one item per rule. */
export class DynamoRetentionStates implements RetentionStates {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(source: string): Promise<RetentionState> {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: 'RETENTION', sk: source }, ConsistentRead: true }));
    if (!result.Item) return emptyState(source);
    const { pk: _pk, sk: _sk, leaseUntil: _lease, ...state } = result.Item;
    // A first claim creates the item with its lease only.
    return { ...emptyState(source), ...(state as Partial<RetentionState>) };
  }

  /** Writes the state, keeping the lease of the run that holds it. */
  async put(state: RetentionState): Promise<void> {
    const { leaseUntil: _lease, ...rest } = state as RetentionState & { leaseUntil?: string };
    const current = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: 'RETENTION', sk: state.source }, ConsistentRead: true }));
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: 'RETENTION', sk: state.source, ...rest, leaseUntil: current.Item?.leaseUntil } }));
  }

  async claim(source: string, now: Date, until: Date): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: 'RETENTION', sk: source },
          UpdateExpression: 'SET leaseUntil = :until, #source = :source',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
          ExpressionAttributeNames: { '#source': 'source' },
          ExpressionAttributeValues: { ':until': until.toISOString(), ':now': now.toISOString(), ':source': source },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(source: string): Promise<void> {
    await this.db.send(new UpdateCommand({ TableName: this.table, Key: { pk: 'RETENTION', sk: source }, UpdateExpression: 'REMOVE leaseUntil' }));
  }
}
