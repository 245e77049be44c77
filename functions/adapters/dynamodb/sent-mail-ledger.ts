import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../domain/audit.ts';
import type { MailKey, SentMailLedger } from '../../use-cases/ports.ts';
import { writeAudited } from './audited-write.ts';

/**
 * In the requests table, beside the request: pk=<request id>, sk=MAIL#<kind>#<round>, holding the mail's Message-ID,
 * when it was claimed and, once it went out, when it was sent. No personal data: kinds are template and alert names.
 */
export class DynamoSentMailLedger implements SentMailLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly requestsTable: string,
    private readonly auditTable: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private key({ requestId, kind, round }: MailKey) {
    return { pk: requestId, sk: `MAIL#${kind}#${round}` };
  }

  async claim(key: MailKey, messageId: string): Promise<{ messageId: string; sent: boolean }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.requestsTable,
          Item: { ...this.key(key), messageId, claimedAt: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { messageId, sent: false };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const earlier = await this.db.send(new GetCommand({ TableName: this.requestsTable, Key: this.key(key), ConsistentRead: true }));
      return { messageId: String(earlier.Item?.messageId), sent: Boolean(earlier.Item?.sentAt) };
    }
  }

  async confirm(key: MailKey, messageId: string, event: AuditEvent): Promise<void> {
    const at = this.now();
    await writeAudited(
      this.db,
      this.auditTable,
      [{ Put: { TableName: this.requestsTable, Item: { ...this.key(key), messageId, sentAt: at.toISOString() } } }],
      [{ trail: key.requestId, events: [event] }],
      at,
    );
  }
}
