import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../../domain/errors.ts';
import { written } from './conditional-write.ts';
import type { BucketLimit, HourlyCounter, MailBudgets, RateLimiter } from '../../use-cases/ports.ts';

/**
 * Limits table layout (key `pk` only, TTL `expiresAtEpoch`), shared by every instance of every function:
 *   pk=BUCKET#<name>           tat            a token bucket, as its "theoretical arrival time" (GCRA)
 *   pk=RECIPIENT#<person key>  sent, version  the times mail went to an address that has not confirmed a link
 *   pk=HOUR#<yyyy-mm-ddThh>#<counter>  n, alertedAt  what was counted in that clock hour (HourlyCounter: a pool, a domain)
 *   pk=ONCE#<yyyy-mm-ddThh>#<name>           that the hour's first call under the name was made
 * Every change is one conditional write: two instances never both spend the last token.
 */
const ATTEMPTS = 5;
/** A rolling window is read, then written back on condition: under contention, losers wait a little and read again. */
const WINDOW_ATTEMPTS = 12;
const backOff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (attempt + 1)));
const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

export class DynamoLimits implements RateLimiter, MailBudgets {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * A token bucket in its GCRA form: one number, the time at which the bucket would be full again ("tat"). A request
   * is allowed if that time is no further ahead than the burst allows, and moves it on by one interval — a single
   * conditional update, no read first.
   */
  async take(bucket: string, limit: BucketLimit, now: Date): Promise<number> {
    const interval = 60_000 / limit.perMinute;
    const tolerance = interval * (limit.burst - 1);
    const nowMs = now.getTime();
    const Key = { pk: `BUCKET#${bucket}` };
    const expiresAtEpoch = epochSeconds(nowMs + tolerance + interval) + 60;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      // An idle (or new) bucket: full again, then one token taken.
      const idle = this.update({
        Key,
        UpdateExpression: 'SET tat = :next, expiresAtEpoch = :ttl',
        ConditionExpression: 'attribute_not_exists(tat) OR tat < :now',
        ExpressionAttributeValues: { ':next': nowMs + interval, ':now': nowMs, ':ttl': expiresAtEpoch },
      });
      if (await written(idle)) return 0;
      // A bucket in use: one more interval, if that stays within the burst.
      try {
        await this.update({
          Key,
          UpdateExpression: 'SET tat = tat + :interval, expiresAtEpoch = :ttl',
          ConditionExpression: 'tat >= :now AND tat <= :latest',
          ExpressionAttributeValues: { ':interval': interval, ':now': nowMs, ':latest': nowMs + tolerance, ':ttl': expiresAtEpoch },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
        return 0;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const tat = Number(error.Item?.tat?.N);
        // Over the burst: the bucket has a token again once tat is back within the tolerance.
        if (tat > nowMs + tolerance) return Math.max(1, Math.ceil((tat - tolerance - nowMs) / 1000));
        // Otherwise the bucket went idle between the two writes: try again.
      }
    }
    throw new DependencyError(`rate limit bucket ${bucket} kept changing under contention`);
  }

  async spendRecipient(recipientKey: string, budget: { max: number; windowHours: number }, now: Date): Promise<boolean> {
    const windowMs = budget.windowHours * 3_600_000;
    const Key = { pk: `RECIPIENT#${recipientKey}` };
    const expiresAtEpoch = epochSeconds(now.getTime() + windowMs);
    // Fewer times kept than the budget, in the window or not: one more fits, added without reading them first. The
    // new version makes a writer that read them before lose its put, and read again.
    const added = this.update({
      Key,
      UpdateExpression: 'SET sent = list_append(if_not_exists(sent, :none), :now), version = :version, expiresAtEpoch = :ttl',
      ConditionExpression: 'attribute_not_exists(sent) OR size(sent) < :max',
      ExpressionAttributeValues: { ':none': [], ':now': [now.getTime()], ':version': randomUUID(), ':ttl': expiresAtEpoch, ':max': budget.max },
    });
    if (await written(added)) return true;
    for (let attempt = 0; attempt < WINDOW_ATTEMPTS; attempt++) {
      if (attempt) await backOff(attempt);
      const current = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
      // A rolling window: the times of the mails of the last windowHours, exactly.
      const recent = ((current.Item?.sent ?? []) as number[]).filter((sentAt) => sentAt > now.getTime() - windowMs);
      if (recent.length >= budget.max) return false;
      const put = this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...Key, sent: [...recent, now.getTime()], version: randomUUID(), expiresAtEpoch },
          ConditionExpression: current.Item ? 'version = :version' : 'attribute_not_exists(pk)',
          ...(current.Item ? { ExpressionAttributeValues: { ':version': current.Item.version } } : {}),
        }),
      );
      if (await written(put)) return true;
    }
    throw new DependencyError('a recipient mail budget kept changing under contention');
  }

  async refundRecipient(recipientKey: string): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `RECIPIENT#${recipientKey}`, sent: [], version: randomUUID(), expiresAtEpoch: epochSeconds(Date.now()) + 60 } }));
  }

  async returnRecipient(recipientKey: string, spentAt: Date): Promise<void> {
    const Key = { pk: `RECIPIENT#${recipientKey}` };
    for (let attempt = 0; attempt < WINDOW_ATTEMPTS; attempt++) {
      if (attempt) await backOff(attempt);
      const current = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
      const sent = (current.Item?.sent ?? []) as number[];
      const spent = sent.indexOf(spentAt.getTime());
      // Given back already, or with everything else (a confirmed link refunds the whole budget).
      if (spent < 0) return;
      const put = this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...current.Item, sent: sent.toSpliced(spent, 1), version: randomUUID() },
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': current.Item!.version },
        }),
      );
      if (await written(put)) return;
    }
    throw new DependencyError('a recipient mail budget kept changing under contention');
  }

  async spendHourly(counter: HourlyCounter, max: number, now: Date): Promise<{ allowed: boolean; firstRefusal: boolean }> {
    const Key = { pk: `HOUR#${now.toISOString().slice(0, 13)}#${counter}` };
    const counted = this.update({
      Key,
      UpdateExpression: 'SET n = if_not_exists(n, :zero) + :one, expiresAtEpoch = :ttl',
      ConditionExpression: 'attribute_not_exists(n) OR n < :max',
      ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':max': max, ':ttl': epochSeconds(now.getTime()) + 2 * 3600 },
    });
    if (await written(counted)) return { allowed: true, firstRefusal: false };
    // The first refusal of the hour marks it, so the operator is alerted once.
    const marked = this.update({ Key, UpdateExpression: 'SET alertedAt = :now', ConditionExpression: 'attribute_not_exists(alertedAt)', ExpressionAttributeValues: { ':now': now.toISOString() } });
    return { allowed: false, firstRefusal: await written(marked) };
  }

  async firstThisHour(name: string, now: Date): Promise<boolean> {
    const put = this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `ONCE#${now.toISOString().slice(0, 13)}#${name}`, expiresAtEpoch: epochSeconds(now.getTime()) + 2 * 3600 },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return written(put);
  }

  private update(input: Omit<UpdateCommandInput, 'TableName'>) {
    return this.db.send(new UpdateCommand({ TableName: this.table, ...input }));
  }
}
