import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import { seal, unseal } from '../../domain/sealing.ts';
import type { DecisionStore, PendingDecision } from '../../use-cases/ports.ts';
import { queryAll } from './query-all.ts';

const PARTITION = 'DECISION';

/**
 * Pending operator decisions live in the requests table under one partition: few at a time, listed by a query. The
 * task token that releases the workflow is stored sealed (see sealing.ts), bound to its request.
 */
export class DynamoDecisionStore implements DecisionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly sealingKey: () => Promise<Buffer>,
  ) {}

  async put(pending: PendingDecision): Promise<void> {
    const taskToken = seal(pending.taskToken, await this.sealingKey(), pending.requestId);
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: PARTITION, sk: pending.requestId, ...pending, taskToken } }));
  }

  async list(): Promise<Array<Omit<PendingDecision, 'taskToken'>>> {
    const items = await queryAll(this.db, { TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': PARTITION } });
    return items
      .map(({ pk: _pk, sk: _sk, taskToken: _token, ...pending }) => pending as unknown as Omit<PendingDecision, 'taskToken'>)
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }

  async take(requestId: string): Promise<PendingDecision> {
    try {
      const result = await this.db.send(
        new DeleteCommand({ TableName: this.table, Key: { pk: PARTITION, sk: requestId }, ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' }),
      );
      const { pk: _pk, sk: _sk, ...pending } = result.Attributes!;
      return { ...(pending as PendingDecision), taskToken: unseal(String(pending.taskToken), await this.sealingKey(), requestId) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new NotFoundError(`no decision is pending for request ${requestId}`);
      throw error;
    }
  }
}
