import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidTokenError } from '../../domain/errors.ts';
import type { VerificationRecord, VerificationStore } from '../../use-cases/ports.ts';

/** Verifications table: pk=<sha256 of the code>; `expiresAtEpoch` is the table's TTL attribute. */
export class DynamoVerificationStore implements VerificationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(record: VerificationRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: record.codeHash, ...record, expiresAtEpoch: Math.ceil(Date.parse(record.expiresAt) / 1000) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async consume(codeHash: string, now: Date): Promise<VerificationRecord> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: codeHash },
          UpdateExpression: 'SET usedAt = :now',
          // Single use and expiry are enforced by the write itself, so two clicks cannot both succeed.
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': now.toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = result.Attributes!;
      return { codeHash, requestId: String(item.requestId), taskToken: String(item.taskToken), expiresAt: String(item.expiresAt) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new InvalidTokenError('verification code is unknown, used or expired');
      throw error;
    }
  }
}
