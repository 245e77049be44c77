import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent, RecordedAuditEvent } from '../../domain/audit.ts';
import type { ChainedAuditEvent, ChainHead } from '../../domain/audit-chain.ts';
import type { DigestHead, DigestPointer } from '../../domain/audit-digest.ts';
import { readByKeys } from './batch-get.ts';
import { written } from './conditional-write.ts';
import type { AuditChains, AuditLog, InboundMailEvent } from '../../use-cases/ports.ts';
import { EVENT_PREFIX, HEAD_SK, HEADS_INDEX, HEADS_PARTITION, putIf, recordConditionFailed, toHead, writeAudited } from './audited-write.ts';
import { cursorOf, keyOfCursor } from './cursor.ts';
import { queryAll } from './query-all.ts';

/** Inbound mail that made or joined no request has a trail of its own, in a key space no reference can name. */
export const inboundMailTrail = (sesMessageId: string) => `INBOUND#${sesMessageId}`;
/** The appendOnce mark of the one event an inbound mail's own trail holds. */
const INBOUND_MAIL = 'mail';

/** The audit table (layout in audited-write.ts): each append links its event into the trail's hash chain. */
export class DynamoAuditLog implements AuditLog, AuditChains {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async append(requestId: string, event: AuditEvent): Promise<void> {
    await writeAudited(this.db, this.table, [], [{ trail: requestId, events: [event] }], this.now());
  }

  async appendInboundMail(sesMessageId: string, event: InboundMailEvent): Promise<void> {
    await this.appendOnce(inboundMailTrail(sesMessageId), INBOUND_MAIL, event);
  }

  async appendOnce(trail: string, once: string, event: AuditEvent): Promise<boolean> {
    try {
      await writeAudited(this.db, this.table, [putIf(this.table, onceKey(trail, once), 'attribute_not_exists(pk)')], [{ trail, events: [event] }], this.now());
      return true;
    } catch (error) {
      if (recordConditionFailed(error, 0)) return false;
      throw error;
    }
  }

  async appendedOnce(trail: string, once: string): Promise<boolean> {
    return Boolean((await this.db.send(new GetCommand({ TableName: this.table, Key: onceKey(trail, once), ConsistentRead: true }))).Item);
  }

  async list(requestId: string): Promise<RecordedAuditEvent[]> {
    // Written only through writeAudited (typed), so each item's detail is the one its type carries; events written
    // before the chain come first (they are older), so whoever reads a trail (the retention, the operator) sees them.
    const [unchained, events] = await Promise.all([this.unchained(requestId), this.events(requestId)]);
    return [...unchained, ...events.map(({ requestId: trail, at, type, detail }) => ({ requestId: trail, at, type, detail }) as RecordedAuditEvent)];
  }

  /** Events written before trails were chained: their sort key is `<ISO time>#…`, which sorts before every other key. */
  private async unchained(trail: string): Promise<RecordedAuditEvent[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk < :keys',
      ExpressionAttributeValues: { ':pk': trail, ':keys': FIRST_CHAINED_KEY },
      ConsistentRead: true,
    });
    return items.map((item) => ({ requestId: trail, at: item.at, type: item.type, detail: item.detail }) as RecordedAuditEvent);
  }

  private async events(trail: string): Promise<ChainedAuditEvent[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
      ExpressionAttributeValues: { ':pk': trail, ':events': EVENT_PREFIX },
      ConsistentRead: true,
    });
    return items.map((item) => ({ requestId: trail, at: item.at, type: item.type, detail: item.detail, seq: item.seq, prev: item.prev, hash: item.hash }) as ChainedAuditEvent);
  }

  async chain(trail: string): Promise<{ events: ChainedAuditEvent[]; head?: ChainHead; unchained: RecordedAuditEvent[] }> {
    const [{ events, head }, unchained] = await Promise.all([this.closedChain(trail), this.unchained(trail)]);
    return { events, ...(head ? { head } : {}), unchained };
  }

  /**
   * A trail may move while it is read (a purge pass appends for minutes, the workflow now and then): each append writes
   * its events and the head in one transaction, so the events read after a first reading of the head hold the whole
   * chain that head closes, and those a second reading covers were appended meanwhile. The chain is proved as it stood
   * at the first reading; events past the second reading's head were put around the chain, and stay for the check to
   * find. Read side by side, an append in between looked like events removed, or added around the chain.
   */
  private async closedChain(trail: string): Promise<{ events: ChainedAuditEvent[]; head?: ChainHead }> {
    const first = await this.head(trail);
    const events = await this.events(trail);
    const second = await this.head(trail);
    // Unmoved, gone, or moved back (none of which an append does): checked as it stands now.
    if (!first || !second || second.seq <= first.seq) return { events, ...(second ? { head: second } : {}) };
    return { events: events.filter((event) => event.seq <= first.seq || event.seq > second.seq), head: first };
  }

  private async head(trail: string): Promise<ChainHead | undefined> {
    const item = (await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: trail, sk: HEAD_SK }, ConsistentRead: true }))).Item;
    return item ? toHead(item) : undefined;
  }

  async trails(options: { cursor?: string; limit: number }): Promise<{ trails: string[]; cursor?: string }> {
    const page = await this.headsIndexPage(options);
    return { trails: (page.Items ?? []).map((key) => String(key.pk)), cursor: cursorOf(page.LastEvaluatedKey) };
  }

  async heads(options: { movedSince?: string; cursor?: string; limit: number }): Promise<{ heads: ChainHead[]; cursor?: string }> {
    const since = options.movedSince;
    // The index knows the day each head moved on, and holds keys only: the heads of that day and after are read by
    // their keys, and those that last moved before the instant left out.
    const page = await this.headsIndexPage(options);
    const heads = await this.readHeads((page.Items ?? []).map((key) => String(key.pk)));
    return {
      heads: heads.filter((head) => since === undefined || head.movedAt >= since),
      cursor: cursorOf(page.LastEvaluatedKey),
    };
  }

  private headsIndexPage(options: { movedSince?: string; cursor?: string; limit: number }) {
    const since = options.movedSince;
    return this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: HEADS_INDEX,
        KeyConditionExpression: since ? 'heads = :heads AND movedAt >= :day' : 'heads = :heads',
        ExpressionAttributeValues: { ':heads': HEADS_PARTITION, ...(since ? { ':day': since.slice(0, 10) } : {}) },
        ExclusiveStartKey: keyOfCursor(options.cursor, 'the cursor over audit trails cannot be read; start again without one'),
        Limit: options.limit,
      }),
    );
  }

  /** The heads of these trails as they stand, in the order given, a gone one left out. */
  private async readHeads(trails: string[]): Promise<ChainHead[]> {
    const read = await readByKeys(this.db, this.table, trails.map((trail) => ({ pk: trail, sk: HEAD_SK })), 'chain heads');
    return trails.flatMap((trail) => {
      const item = read.get(trail);
      return item ? [toHead(item)] : [];
    });
  }

  async latestDigest(): Promise<DigestPointer | undefined> {
    const item = (await this.db.send(new GetCommand({ TableName: this.table, Key: LATEST_DIGEST, ConsistentRead: true }))).Item;
    return item ? toPointer(item) : undefined;
  }

  async recordDigest(digest: DigestPointer, previous: DigestPointer | undefined, heads: DigestHead[]): Promise<boolean> {
    // Anchors first: a run that crashes before the pointer moves leaves anchors to a digest that exists (written
    // before this), and the next run anchors the same heads again.
    for (let i = 0; i < heads.length; i += ANCHOR_WRITES_AT_ONCE) {
      await Promise.all(
        heads.slice(i, i + ANCHOR_WRITES_AT_ONCE).map((head) =>
          this.db.send(new PutCommand({ TableName: this.table, Item: { pk: head.trail, sk: `${ANCHOR_PREFIX}${digest.writtenAt}`, seq: head.seq, ...digest } })),
        ),
      );
    }
    return written(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...LATEST_DIGEST, ...digest },
          ...(previous ? { ConditionExpression: '#key = :previous', ExpressionAttributeNames: { '#key': 'key' }, ExpressionAttributeValues: { ':previous': previous.key } } : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      ),
    );
  }

  async anchorOf(trail: string): Promise<(DigestPointer & { seq: number }) | undefined> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :anchor)',
        ExpressionAttributeValues: { ':pk': trail, ':anchor': ANCHOR_PREFIX },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = page.Items?.[0];
    return item ? { ...toPointer(item), seq: Number(item.seq) } : undefined;
  }
}

/**
 * The sort keys of a trail's chained items (ANCHOR#, EVENT#, HEAD, ONCE#) all begin with a capital letter; events written
 * before the chain have `<ISO time>#…`, digits, which sort before them.
 */
const FIRST_CHAINED_KEY = 'A';

/** Which digest is the latest: the next one names it, so the digests form a chain. */
const LATEST_DIGEST = { pk: 'DIGESTS', sk: 'LATEST' };
/** pk=<trail> sk=ANCHOR#<digest's writtenAt>: the digest that anchored the trail's head, and at what number. */
const ANCHOR_PREFIX = 'ANCHOR#';
/** The mark of an event appended once (appendOnce): beside the trail's events, never read as one. */
const onceKey = (trail: string, once: string) => ({ pk: trail, sk: `ONCE#${once}` });
const ANCHOR_WRITES_AT_ONCE = 25;

const toPointer = (item: Record<string, unknown>): DigestPointer => ({ key: String(item.key), sha256: String(item.sha256), day: String(item.day), writtenAt: String(item.writtenAt) });
