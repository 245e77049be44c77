import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { InvalidTokenError } from '../../domain/errors.ts';
import { seal, unseal } from '../../domain/sealing.ts';
import { MAX_WAITING_PER_LINK, type Verification, type VerificationStore } from '../../use-cases/ports.ts';
import { ifConditionHolds, written } from './conditional-write.ts';

/**
 * Verifications table layout (key `pk` only, TTL `expiresAtEpoch`):
 *   pk=<sha256 of the code>      kind=verification   one link: its state and the requests waiting on it (id → joinedAt)
 *   pk=RECIPIENT#<person key>    kind=recipient      which link is the address's current one
 *   pk=TASK#<request id>         kind=task           the callback task token the request's workflow waits with
 * (Download tokens share the table, see single-use-tokens.ts.) Task tokens are stored sealed with a key derived
 * from a secret, bound to their request id; codes are stored only as hashes.
 */
const KIND = 'verification';
const recipientPk = (recipientKey: string) => `RECIPIENT#${recipientKey}`;
const taskPk = (requestId: string) => `TASK#${requestId}`;
/** A confirmation that crashed mid-way can still be finished a day after the link expired. */
const KEEP_AFTER_EXPIRY_SECONDS = 24 * 3600;


export class DynamoVerificationStore implements VerificationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** The key task tokens are sealed with. */
    private readonly sealingKey: () => Promise<Buffer>,
  ) {}

  private toVerification(item: Record<string, unknown>): Verification {
    const { pk, kind: _kind, expiresAtEpoch: _ttl, waiting, ...rest } = item;
    return { ...(rest as Omit<Verification, 'codeHash' | 'waiting'>), codeHash: String(pk), waiting: Object.keys((waiting ?? {}) as Record<string, string>) };
  }

  async putTask(requestId: string, taskToken: string, expiresAt: string): Promise<void> {
    const sealed = seal(taskToken, await this.sealingKey(), requestId);
    const expiresAtEpoch = Math.ceil(Date.parse(expiresAt) / 1000) + KEEP_AFTER_EXPIRY_SECONDS;
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: taskPk(requestId), kind: 'task', taskToken: sealed, expiresAtEpoch } }));
  }

  async task(requestId: string): Promise<string | undefined> {
    const item = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: taskPk(requestId) }, ConsistentRead: true }));
    return item.Item ? unseal(String(item.Item.taskToken), await this.sealingKey(), requestId) : undefined;
  }

  async current(recipientKey: string): Promise<{ codeHash: string; verification?: Verification } | undefined> {
    const pointer = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: recipientPk(recipientKey) }, ConsistentRead: true }));
    if (!pointer.Item) return undefined;
    const codeHash = String(pointer.Item.codeHash);
    const item = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: codeHash }, ConsistentRead: true }));
    return { codeHash, ...(item.Item?.kind === KIND ? { verification: this.toVerification(item.Item) } : {}) };
  }

  async open(verification: Verification, replacing?: string): Promise<boolean> {
    const { codeHash, waiting, ...rest } = verification;
    const expiresAtEpoch = Math.ceil(Date.parse(verification.expiresAt) / 1000) + KEEP_AFTER_EXPIRY_SECONDS;
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { pk: codeHash, kind: KIND, ...rest, waiting: Object.fromEntries(waiting.map((requestId) => [requestId, rest.createdAt])), expiresAtEpoch },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { pk: recipientPk(verification.recipientKey), kind: 'recipient', codeHash, expiresAtEpoch },
                ConditionExpression: replacing ? 'codeHash = :replacing' : 'attribute_not_exists(pk)',
                ...(replacing ? { ExpressionAttributeValues: { ':replacing': replacing } } : {}),
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async join(codeHash: string, waiting: string[], now: Date): Promise<boolean> {
    return written(
      this.update({
        Key: { pk: codeHash },
        UpdateExpression: `SET ${waiting.map((_, i) => `waiting.#r${i} = :now`).join(', ')}`,
        ConditionExpression:
          'kind = :kind AND expiresAt > :now AND size(waiting) < :max AND attribute_not_exists(confirmedAt) AND attribute_not_exists(supersededAt) AND attribute_not_exists(withheldAt)',
        ExpressionAttributeNames: Object.fromEntries(waiting.map((requestId, i) => [`#r${i}`, requestId])),
        ExpressionAttributeValues: { ':kind': KIND, ':now': now.toISOString(), ':max': MAX_WAITING_PER_LINK },
      }),
    );
  }

  async supersede(codeHash: string, now: Date): Promise<Verification | undefined> {
    const closed = await ifConditionHolds(
      this.update({
      Key: { pk: codeHash },
      UpdateExpression: 'SET supersededAt = :now',
        ConditionExpression: 'kind = :kind AND attribute_not_exists(mailedAt) AND attribute_not_exists(confirmedAt) AND attribute_not_exists(supersededAt)',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':kind': KIND },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return closed ? this.toVerification(closed.Attributes!) : undefined;
  }

  private async mark(codeHash: string, attribute: 'mailedAt' | 'withheldAt' | 'completedAt', at: Date): Promise<void> {
    await this.update({
      Key: { pk: codeHash },
      UpdateExpression: 'SET #at = :at',
      ConditionExpression: 'kind = :kind',
      ExpressionAttributeNames: { '#at': attribute },
      ExpressionAttributeValues: { ':at': at.toISOString(), ':kind': KIND },
    });
  }

  markMailed(codeHash: string, at: Date): Promise<void> {
    return this.mark(codeHash, 'mailedAt', at);
  }

  markWithheld(codeHash: string, at: Date): Promise<void> {
    return this.mark(codeHash, 'withheldAt', at);
  }

  complete(codeHash: string, at: Date): Promise<void> {
    return this.mark(codeHash, 'completedAt', at);
  }

  async claim(codeHash: string, now: Date): Promise<Verification> {
    const claimed = await ifConditionHolds(
      this.update({
        Key: { pk: codeHash },
        UpdateExpression: 'SET confirmedAt = if_not_exists(confirmedAt, :now)',
        // The first confirmation must come in time; a repeat finishes what the first began, whenever it comes.
        ConditionExpression:
          'kind = :kind AND attribute_not_exists(completedAt) AND attribute_not_exists(supersededAt) AND (attribute_exists(confirmedAt) OR expiresAt > :now)',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':kind': KIND },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (!claimed) throw new InvalidTokenError('verification code is unknown, used or expired');
    return this.toVerification(claimed.Attributes!);
  }

  private update(input: Omit<UpdateCommandInput, 'TableName'>) {
    return this.db.send(new UpdateCommand({ TableName: this.table, ...input }));
  }

  async peek(codeHash: string, now: Date): Promise<Verification> {
    const item = (await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: codeHash }, ConsistentRead: true }))).Item;
    // The same test as claim's condition, read only.
    const claimable = item?.kind === KIND && !item.completedAt && !item.supersededAt && (item.confirmedAt || String(item.expiresAt) > now.toISOString());
    if (!claimable) throw new InvalidTokenError('verification code is unknown, used or expired');
    return this.toVerification(item);
  }
}
