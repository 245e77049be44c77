import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import type { AttentionStore, PendingAttention } from '../../use-cases/ports.ts';

const PARTITION = 'ATTENTION';

/** Workflows waiting for the operator after a failure, in the requests table under one partition (few at a time). */
export class DynamoAttentionStore implements AttentionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(pending: PendingAttention): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: PARTITION, sk: pending.requestId, ...pending } }));
  }

  async take(requestId: string): Promise<PendingAttention> {
    try {
      const result = await this.db.send(
        new DeleteCommand({ TableName: this.table, Key: { pk: PARTITION, sk: requestId }, ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' }),
      );
      const { pk: _pk, sk: _sk, ...pending } = result.Attributes!;
      return pending as PendingAttention;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new NotFoundError(`no failed step of request ${requestId} waits to be resumed`);
      throw error;
    }
  }
}
