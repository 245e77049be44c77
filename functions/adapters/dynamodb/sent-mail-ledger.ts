import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../domain/audit.ts';
import type { MailKey, SentMailLedger } from '../../use-cases/ports.ts';
import { putIf, recordConditionFailed, writeAudited } from './audited-write.ts';

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

  async claim(key: MailKey, messageId: string): Promise<{ messageId: string; sent: boolean; first: boolean }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.requestsTable,
          Item: { ...this.key(key), messageId, claimedAt: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { messageId, sent: false, first: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const earlier = await this.db.send(new GetCommand({ TableName: this.requestsTable, Key: this.key(key), ConsistentRead: true }));
      return { messageId: String(earlier.Item?.messageId), sent: Boolean(earlier.Item?.sentAt), first: false };
    }
  }

  /** Records the mail as sent, with its event; a repeat (a step run twice) finds it sent and records nothing more. */
  async confirm(key: MailKey, messageId: string, event: AuditEvent): Promise<void> {
    const at = this.now();
    try {
      await writeAudited(
        this.db,
        this.auditTable,
        [putIf(this.requestsTable, { ...this.key(key), messageId, sentAt: at.toISOString() }, 'attribute_not_exists(sentAt)')],
        [{ trail: key.requestId, events: [event] }],
        at,
      );
    } catch (error) {
      if (!recordConditionFailed(error, 0)) throw error;
    }
  }
}
