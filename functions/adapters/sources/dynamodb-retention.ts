import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DataSource, RetentionRule } from '../../config/profile-schema.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { ExpiredPage, RetentionSource } from '../../use-cases/ports.ts';
import type { DynamoDbSourceConnector } from './dynamodb-source.ts';

/** Set on a record the purge anonymised, so the next pass does not find it again. */
export const RETENTION_MARK = 'retentionAnonymisedAt';

type DynamoDbSource = Extract<DataSource, { kind: 'dynamodb' }>;

function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ConflictError('the retention cursor cannot be read; start the pass again without one');
  }
}

/**
 * Expired records of a company table, one page per call: a query on the rule's index where it has one, else a page of
 * a scan whose position is handed back as the cursor — a large table is read over many runs, never in one.
 */
export class DynamoDbRetentionSource implements RetentionSource {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly source: DynamoDbSource,
    private readonly connector: DynamoDbSourceConnector,
  ) {}

  async expired(rule: RetentionRule, before: string, options: { cursor?: string; limit: number }): Promise<ExpiredPage> {
    const names = { '#from': rule.from, '#mark': RETENTION_MARK };
    const values = { ':before': before };
    const notYet = 'attribute_not_exists(#mark)';
    const input = rule.index
      ? new QueryCommand({
          TableName: this.source.tableName,
          IndexName: rule.index.name,
          KeyConditionExpression: '#part = :part AND #from < :before',
          FilterExpression: notYet,
          ExpressionAttributeNames: { ...names, '#part': rule.index.partitionAttribute },
          ExpressionAttributeValues: { ...values, ':part': rule.index.partitionValue },
          ExclusiveStartKey: decodeCursor(options.cursor),
          Limit: options.limit,
        })
      : new ScanCommand({
          TableName: this.source.tableName,
          FilterExpression: `#from < :before AND ${notYet}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: decodeCursor(options.cursor),
          Limit: options.limit,
          ConsistentRead: true,
        });
    const page = await this.db.send(input as QueryCommand);
    const hold = (record: Record<string, unknown>) => {
      const value = rule.holdAttribute ? record[rule.holdAttribute] : undefined;
      return value === undefined || value === null || value === '' || value === false ? undefined : String(value);
    };
    return {
      records: (page.Items ?? []).map((record) => ({ record, hold: hold(record) })),
      cursor: page.LastEvaluatedKey ? Buffer.from(JSON.stringify(page.LastEvaluatedKey)).toString('base64url') : undefined,
    };
  }

  async purge(record: Record<string, unknown>, at: Date): Promise<void> {
    await this.connector.eraseRecord(record, { [RETENTION_MARK]: at.toISOString() });
  }

  keyOf(record: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.connector.keyOf(record);
  }
}
