import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidTokenError } from '../../domain/errors.ts';

/**
 * Single-use, expiring tokens (verification codes, download links), keyed by the token's SHA-256 so the table
 * never holds a usable token. `expiresAtEpoch` is the table's TTL attribute.
 */
export class SingleUseTokens<T extends Record<string, unknown>> {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly kind: string,
  ) {}

  async put(tokenHash: string, attributes: T, expiresAt: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...attributes, pk: tokenHash, kind: this.kind, expiresAt, expiresAtEpoch: Math.ceil(Date.parse(expiresAt) / 1000) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** Reads a token without using it: what it is for, if it is of this kind, unused and unexpired. */
  async peek(tokenHash: string, now: Date): Promise<T & { expiresAt: string }> {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: tokenHash }, ConsistentRead: true }));
    const item = result.Item;
    if (!item || item.usedAt || String(item.expiresAt) <= now.toISOString() || (item.kind !== undefined && item.kind !== this.kind)) {
      throw new InvalidTokenError(`${this.kind} token is unknown, used or expired`);
    }
    const { pk: _pk, kind: _kind, expiresAtEpoch: _ttl, ...attributes } = item;
    return attributes as T & { expiresAt: string };
  }

  /** Marks the token used if it is of this kind, unused and unexpired — in the write itself, so two uses cannot both win. */
  async consume(tokenHash: string, now: Date): Promise<T & { expiresAt: string }> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: tokenHash },
          UpdateExpression: 'SET usedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt) AND expiresAt > :now AND (attribute_not_exists(kind) OR kind = :kind)',
          ExpressionAttributeValues: { ':now': now.toISOString(), ':kind': this.kind },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const { pk: _pk, kind: _kind, usedAt: _used, expiresAtEpoch: _ttl, ...attributes } = result.Attributes!;
      return attributes as T & { expiresAt: string };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new InvalidTokenError(`${this.kind} token is unknown, used or expired`);
      throw error;
    }
  }
}
