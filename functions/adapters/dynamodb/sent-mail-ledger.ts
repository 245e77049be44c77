import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../domain/audit.ts';
import { MAIL_CLAIM_LEASE_MS, type MailClaim, type MailKey, type SentMailLedger } from '../../use-cases/ports.ts';
import { putIf, recordConditionFailed, writeAudited } from './audited-write.ts';
import { ifConditionHolds, written } from './conditional-write.ts';

/**
 * In the requests table, beside the request: pk=<request id>, sk=MAIL#<kind>#<round>, holding the mail's Message-ID,
 * while an attempt holds it when and under which token it claimed it, and, once it went out, when it was sent. No
 * personal data: kinds are template and alert names.
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

  async claim(key: MailKey, messageId: string): Promise<MailClaim> {
    const now = this.now();
    const token = randomUUID();
    const claimedNew = await written(
      this.db.send(
        new PutCommand({
          TableName: this.requestsTable,
          Item: { ...this.key(key), messageId, claimedAt: now.toISOString(), claimToken: token },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (claimedNew) return { state: 'ours', messageId, token, first: true };
    const earlier = await this.db.send(new GetCommand({ TableName: this.requestsTable, Key: this.key(key), ConsistentRead: true }));
    const earlierId = String(earlier.Item?.messageId);
    if (earlier.Item?.sentAt) return { state: 'sent', messageId: earlierId };
    // Taken over in one conditional write (a put: the functions that mail may not update items): of several attempts
    // that find it released or lapsed, one takes it.
    const taken = await written(
      this.db.send(
        new PutCommand({
          TableName: this.requestsTable,
          Item: { ...this.key(key), messageId: earlierId, claimedAt: now.toISOString(), claimToken: token },
          ConditionExpression: 'attribute_not_exists(sentAt) AND (attribute_not_exists(claimedAt) OR claimedAt < :lapsed)',
          ExpressionAttributeValues: { ':lapsed': new Date(now.getTime() - MAIL_CLAIM_LEASE_MS).toISOString() },
        }),
      ),
    );
    return taken ? { state: 'ours', messageId: earlierId, token, first: false } : { state: 'held', messageId: earlierId };
  }

  async release(key: MailKey, messageId: string, token: string): Promise<void> {
    // Only this attempt's claim, and never a mail since sent: another attempt may have taken it over meanwhile.
    await ifConditionHolds(
      this.db.send(
        new PutCommand({
          TableName: this.requestsTable,
          Item: { ...this.key(key), messageId },
          ConditionExpression: 'claimToken = :token AND attribute_not_exists(sentAt)',
          ExpressionAttributeValues: { ':token': token },
        }),
      ),
    );
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
