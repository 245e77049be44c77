import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { emptyState, type RetentionState } from '../../domain/retention.ts';
import type { RetentionLease, RetentionProgress, RetentionStates } from '../../use-cases/ports.ts';

const LEASE_FIELDS = ['leaseUntil', 'leaseToken'];

/**
 * In the requests table: pk=RETENTION, sk=<source id> — one item per rule. Every write is an UpdateItem of its own
 * fields: an approval never erases a running pass's lease, and a run writes only under its own lease.
 */
export class DynamoRetentionStates implements RetentionStates {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(source: string): Promise<RetentionState> {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: this.key(source), ConsistentRead: true }));
    if (!result.Item) return emptyState(source);
    const state = Object.fromEntries(Object.entries(result.Item).filter(([name]) => !['pk', 'sk', ...LEASE_FIELDS].includes(name)));
    // A first claim creates the item with its lease only.
    return { ...emptyState(source), ...(state as Partial<RetentionState>) };
  }

  async claim(source: string, now: Date, until: Date): Promise<RetentionLease | undefined> {
    const token = randomBytes(16).toString('hex');
    const claimed = await this.conditional({
      UpdateExpression: 'SET leaseUntil = :until, leaseToken = :token, #source = :source',
      ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
      ExpressionAttributeNames: { '#source': 'source' },
      ExpressionAttributeValues: { ':until': until.toISOString(), ':token': token, ':now': now.toISOString(), ':source': source },
      source,
    });
    return claimed ? { source, token } : undefined;
  }

  saveProgress(lease: RetentionLease, approvedAt: string | undefined, progress: RetentionProgress): Promise<boolean> {
    const fields = Object.entries(progress);
    const set = fields.filter(([, value]) => value !== undefined);
    const remove = fields.filter(([, value]) => value === undefined);
    const names = Object.fromEntries(fields.map(([name], i) => [`#f${i}`, name]));
    const placeholder = (name: string) => `#f${fields.findIndex(([field]) => field === name)}`;
    return this.conditional({
      UpdateExpression: [
        set.length ? `SET ${set.map(([name], i) => `${placeholder(name)} = :v${i}`).join(', ')}` : '',
        remove.length ? `REMOVE ${remove.map(([name]) => placeholder(name)).join(', ')}` : '',
      ].join(' '),
      ConditionExpression: `leaseToken = :token AND ${approvedAt ? 'approvedAt = :approvedAt' : 'attribute_not_exists(approvedAt)'}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':token': lease.token, ...(approvedAt && { ':approvedAt': approvedAt }), ...Object.fromEntries(set.map(([, value], i) => [`:v${i}`, value])) },
      source: lease.source,
    });
  }

  async approve(source: string, fingerprint: string, at: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(source),
        UpdateExpression: 'SET #source = :source, approvedFingerprint = :fingerprint, approvedAt = :at, purged = :zero, held = :none REMOVE #cursor, passStartedAt',
        ExpressionAttributeNames: { '#source': 'source', '#cursor': 'cursor' },
        ExpressionAttributeValues: { ':source': source, ':fingerprint': fingerprint, ':at': at, ':zero': 0, ':none': {} },
      }),
    );
  }

  async release(lease: RetentionLease): Promise<void> {
    // Only its own lease: a run that outlived it must not free the rule another run now holds.
    await this.conditional({ UpdateExpression: 'REMOVE leaseUntil, leaseToken', ConditionExpression: 'leaseToken = :token', ExpressionAttributeValues: { ':token': lease.token }, source: lease.source });
  }

  private key(source: string) {
    return { pk: 'RETENTION', sk: source };
  }

  private async conditional({ source, ...input }: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'> & { source: string }): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({ TableName: this.table, Key: this.key(source), ...input }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
