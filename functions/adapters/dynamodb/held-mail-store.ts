import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import type { HeldMail, HeldMailResolution } from '../../domain/held-mail.ts';
import type { HeldMailEvent, HeldMailStore } from '../../use-cases/ports.ts';
import { inboundMailTrail } from './audit-log.ts';
import { recordConditionFailed, writeAudited } from './audited-write.ts';
import { readByKeys } from './batch-get.ts';
import { written } from './conditional-write.ts';
import { cursorOf, keyOfCursor } from './cursor.ts';

/**
 * Held mail in the requests table, beside the requests that keep the same kind of personal data (an address, a name,
 * a subject):
 *   pk=HELD#<SES id>  sk=HELD  the mail as the list shows it, its `resolution` once an operator acts on it;
 *                              `heldList`+`heldAt` feed HELD_INDEX while it is on the list; `expiresAtEpoch` (the
 *                              table's TTL) removes it HELD_MAIL_KEEP_DAYS after it arrived, listed or settled
 */
export const HELD_INDEX = 'byHeldAt';
/** The table's TTL attribute: only held mail carries it (requests, their trails' marks and the rest never do). */
export const EXPIRES_ATTRIBUTE = 'expiresAtEpoch';
const HELD_SK = 'HELD';
const LISTED = 'HELD';
const keyOf = (sesMessageId: string) => ({ pk: `HELD#${sesMessageId}`, sk: HELD_SK });
/** What leaves the item with the list: who wrote, under what name and subject, and the domains vouched for. */
const PERSONAL = ['sender', 'senderName', 'subject', 'passedFor'] as const;
const CURSOR_PROBLEM = 'the cursor over held mail cannot be read; start again from the first page';

type Stored = HeldMail & { resolution?: HeldMailResolution };

function toHeldMail({ pk: _pk, sk: _sk, heldList: _listed, heldAt: _at, [EXPIRES_ATTRIBUTE]: _expires, ...mail }: Record<string, unknown>): Stored {
  return mail as unknown as Stored;
}

/** The list's part of the held-mail index: what is still held, arrived since `since` (older is past its term). */
const listedSince = (since: Date) => ({
  IndexName: HELD_INDEX,
  KeyConditionExpression: 'heldList = :listed AND heldAt >= :since',
  ExpressionAttributeValues: { ':listed': LISTED, ':since': since.toISOString() },
});

export class DynamoHeldMailStore implements HeldMailStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly auditTable: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async hold(mail: HeldMail, expiresAt: Date): Promise<void> {
    // Sorted by arrival, the SES id making each place its own: two mails in one millisecond both stay listed.
    const item = { ...keyOf(mail.sesMessageId), ...mail, heldList: LISTED, heldAt: `${mail.arrivedAt}#${mail.sesMessageId}`, [EXPIRES_ATTRIBUTE]: Math.ceil(expiresAt.getTime() / 1000) };
    // A delivery of the same SES message again finds it listed, or settled: neither is undone.
    await written(this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })));
  }

  async get(sesMessageId: string): Promise<Stored> {
    const item = (await this.db.send(new GetCommand({ TableName: this.table, Key: keyOf(sesMessageId), ConsistentRead: true }))).Item;
    if (!item) throw new NotFoundError(`no held mail ${sesMessageId}`);
    return toHeldMail(item);
  }

  async list({ limit, cursor, since }: { limit: number; cursor?: string; since: Date }): Promise<{ mails: Stored[]; cursor?: string }> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        ...listedSince(since),
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: keyOfCursor(cursor, CURSOR_PROBLEM),
      }),
    );
    // The index holds keys only (a whole copy would double every held mail's write): the page is read by its keys.
    // One settled since the index was read is no longer listed.
    const keys = (page.Items ?? []).map(({ pk, sk }) => ({ pk, sk }));
    const read = await readByKeys(this.db, this.table, keys, 'held mails');
    const mails = keys.flatMap(({ pk }): Stored[] => {
      const item = read.get(String(pk));
      return item?.heldList === LISTED ? [toHeldMail(item)] : [];
    });
    return { mails, ...(page.LastEvaluatedKey ? { cursor: cursorOf(page.LastEvaluatedKey) } : {}) };
  }

  async count(since: Date): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          ...listedSince(since),
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  async startAdmission(sesMessageId: string, resolution: Extract<HeldMailResolution, { kind: 'admitting' }>): Promise<boolean> {
    return this.update(sesMessageId, 'SET #resolution = :resolution', 'attribute_exists(heldList) AND (attribute_not_exists(#resolution) OR #resolution.#kind = :admitting)', { ':resolution': resolution, ':admitting': 'admitting' });
  }

  async abandonAdmission(sesMessageId: string): Promise<void> {
    await this.update(sesMessageId, 'REMOVE #resolution', '#resolution.#kind = :admitting', { ':admitting': 'admitting' });
  }

  async settle(sesMessageId: string, resolution: Exclude<HeldMailResolution, { kind: 'admitting' }>, event: HeldMailEvent): Promise<boolean> {
    const from = resolution.kind === 'admitted' ? '#resolution.#kind = :admitting' : 'attribute_exists(heldList) AND attribute_not_exists(#resolution)';
    const update = this.updateOf(sesMessageId, `SET #resolution = :resolution REMOVE heldList, ${PERSONAL.join(', ')}`, from, {
      ':resolution': resolution,
      ...(resolution.kind === 'admitted' && { ':admitting': 'admitting' }),
    });
    // The mail's new standing and its record on its own trail exist together or not at all.
    try {
      await writeAudited(this.db, this.auditTable, [{ Update: update }], [{ trail: inboundMailTrail(sesMessageId), events: [event] }], this.now());
      return true;
    } catch (error) {
      if (recordConditionFailed(error, 0)) return false;
      throw error;
    }
  }

  private update(sesMessageId: string, expression: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    return written(this.db.send(new UpdateCommand(this.updateOf(sesMessageId, expression, condition, values))));
  }

  private updateOf(sesMessageId: string, expression: string, condition: string, values: Record<string, unknown>) {
    return {
      TableName: this.table,
      Key: keyOf(sesMessageId),
      UpdateExpression: expression,
      ConditionExpression: condition,
      ExpressionAttributeNames: { '#resolution': 'resolution', ...(condition.includes('#kind') && { '#kind': 'kind' }) },
      ExpressionAttributeValues: values,
    };
  }
}
