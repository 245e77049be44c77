import { randomBytes } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent, RecordedAuditEvent } from '../../domain/audit.ts';
import type { AuditLog } from '../../use-cases/ports.ts';
import { queryAll } from './query-all.ts';

/**
 * Audit table: pk=<request id>, sk=<ISO time>#<order>#<random>. Items are only ever put with
 * attribute_not_exists, and in AWS the functions' role has no UpdateItem/DeleteItem on this table.
 */
export function auditItem(requestId: string, event: AuditEvent, at: Date, order = 0) {
  const iso = at.toISOString();
  return { pk: requestId, sk: `${iso}#${order}#${randomBytes(4).toString('hex')}`, at: iso, type: event.type, detail: event.detail };
}

export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async append(requestId: string, event: AuditEvent): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: auditItem(requestId, event, this.now()), ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async list(requestId: string): Promise<RecordedAuditEvent[]> {
    const items = await queryAll(this.db, { TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': requestId }, ConsistentRead: true });
    // Written only through append (typed), so each item's detail is the one its type carries.
    return items.map((item) => ({ requestId, at: String(item.at), type: item.type, detail: item.detail }) as RecordedAuditEvent);
  }
}
