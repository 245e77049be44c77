import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writeAudited } from '../dynamodb/audited-write.ts';
import { cursorOf, keyOfCursor } from '../dynamodb/cursor.ts';
import type { DataSource, RetentionRule } from '../../config/profile-schema.ts';
import type { ExpiredPage, RecordPurge, RetentionSource } from '../../use-cases/ports.ts';
import type { DynamoDbSourceConnector } from './dynamodb-source.ts';

/** Set on a record the purge anonymised, so the next pass does not find it again. */
export const RETENTION_MARK = 'retentionAnonymisedAt';

type DynamoDbSource = Extract<DataSource, { kind: 'dynamodb' }>;

const CURSOR_PROBLEM = 'the retention cursor cannot be read; start the pass again without one';

/**
 * Expired records of a company table, one page per call: a query on the rule's index where it has one, else a page of
 * a scan whose position is handed back as the cursor — a large table is read over many runs, never in one.
 */
export class DynamoDbRetentionSource implements RetentionSource {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly source: DynamoDbSource,
    private readonly connector: DynamoDbSourceConnector,
    /** The audit table: each purge and its audit entry are written in one transaction. */
    private readonly auditTable: string,
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
          ExclusiveStartKey: keyOfCursor(options.cursor, CURSOR_PROBLEM),
          Limit: options.limit,
        })
      : new ScanCommand({
          TableName: this.source.tableName,
          FilterExpression: `#from < :before AND ${notYet}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: keyOfCursor(options.cursor, CURSOR_PROBLEM),
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
      cursor: cursorOf(page.LastEvaluatedKey),
    };
  }

  async purge({ rule, record, at, audit }: RecordPurge): Promise<boolean> {
    const { writes, original } = await this.connector.erasureWrites(record, { [RETENTION_MARK]: at.toISOString() });
    const key = await this.connector.keyOf(record);
    // Still as the page found it: there, its date and record-level hold unchanged, not purged by another run.
    const names: Record<string, string> = { '#from': rule.from, '#mark': RETENTION_MARK, ...Object.fromEntries(Object.keys(key).map((name, i) => [`#k${i}`, name])) };
    const values: Record<string, unknown> = { ':from': record[rule.from] };
    const conditions = [...Object.keys(key).map((_, i) => `attribute_exists(#k${i})`), '#from = :from', 'attribute_not_exists(#mark)'];
    if (rule.holdAttribute) {
      names['#hold'] = rule.holdAttribute;
      if (record[rule.holdAttribute] === undefined) conditions.push('attribute_not_exists(#hold)');
      else {
        conditions.push('#hold = :hold');
        values[':hold'] = record[rule.holdAttribute];
      }
    }
    const target = writes[original]!;
    const write = (target.Delete ?? target.Put)!;
    Object.assign(write, {
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: { ...write.ExpressionAttributeNames, ...names },
      ExpressionAttributeValues: { ...write.ExpressionAttributeValues, ...values },
    });
    try {
      await writeAudited(this.db, this.auditTable, writes, [{ trail: audit.trail, events: [audit.event] }], at);
      return true;
    } catch (error) {
      // Another run's purge of the same record won (or is under way), or the company's code changed it: not ours to record.
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((r) => r.Code) : [];
      if (reasons[original] === 'ConditionalCheckFailed' || reasons.includes('TransactionConflict')) return false;
      throw error;
    }
  }

  keyOf(record: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.connector.keyOf(record);
  }
}
