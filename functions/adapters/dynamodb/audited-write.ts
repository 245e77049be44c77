import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../domain/audit.ts';
import { chainEvents, type ChainHead } from '../../domain/audit-chain.ts';
import { ChainBrokenError, ConflictError } from '../../domain/errors.ts';
import { keptForThisInvocation } from '../invocation-scope.ts';

/**
 * Audit table layout:
 *   pk=<trail>  sk=EVENT#<seq, 10 digits>  one event, with its place in the trail's hash chain (seq, prev, hash)
 *   pk=<trail>  sk=ONCE#<what>             the mark of an event appended once (AuditLog.appendOnce), written with it
 *   pk=<trail>  sk=HEAD                    the chain's head: the last seq and hash, the instant it moved (`movedInstant`);
 *                                          `heads`+`movedAt` (the UTC day it moved on) feed HEADS_INDEX
 * A trail is a request's (its reference), a breach's (BRC-…), a retention source's (RETENTION#…) or an inbound
 * mail's that made no request (INBOUND#…). Events are only ever put with attribute_not_exists, and a head only moves
 * from the number it was read at: two writers cannot fork a chain, and a retried write cannot number an event twice.
 */
export const HEAD_SK = 'HEAD';
export const EVENT_PREFIX = 'EVENT#';
/**
 * Every head, by the UTC day it last moved on, keys only: the digest's "what changed since the last one", and `--all`,
 * are queries (each head then read by its key). Its key changes once a day at most, so a head that moves again that
 * day is no write of the index: an index keyed by the instant was billed a delete and a put at every move. A head
 * written before keeps the instant in `movedAt`, which sorts among the days as it should (after its own day).
 */
export const HEADS_INDEX = 'byHeadMovedDay';
export const HEADS_PARTITION = 'HEAD';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Events to add to one trail. */
export interface TrailAppend {
  trail: string;
  events: AuditEvent[];
  /**
   * The write begins this trail (a new request's): its head is not read first, for there is none. Should one exist,
   * the head's put fails on its condition, and the write reads it and is made again as any other.
   */
  begins?: boolean;
}

/**
 * A head another writer moved first is read again and the write made again, this many times at most, after a short
 * random pause (so writers that collided do not collide again in step). A trail has a few writers at once at most
 * (a workflow step, the operator, the deadline watch).
 */
const CHAIN_ATTEMPTS = 10;
const RETRY_PAUSE_MS = 25;

export const eventSk = (seq: number) => `${EVENT_PREFIX}${String(seq).padStart(10, '0')}`;

export function toHead(item: Record<string, unknown>): ChainHead {
  return { trail: String(item.pk), seq: Number(item.seq), hash: String(item.hash), movedAt: String(item.movedInstant ?? item.movedAt) };
}

/**
 * The heads the current invocation moved, by table and trail: its next write to a trail links to the head it left
 * there, not to a read of it. Should another writer have moved the head since, the head's condition fails and the
 * write reads it and is made again, as when two writers meet. Kept for one invocation only (invocation-scope.ts): a
 * head this process moved in an earlier one has most likely moved on in other functions since.
 */
const movedHeads = () => keptForThisInvocation('audit heads moved', () => new Map<string, ChainHead>());

const headKey = (table: string, trail: string) => `${table}\n${trail}`;

async function readHead(db: DynamoDBDocumentClient, table: string, trail: string): Promise<ChainHead | undefined> {
  const result = await db.send(new GetCommand({ TableName: table, Key: { pk: trail, sk: HEAD_SK }, ConsistentRead: true }));
  return result.Item ? toHead(result.Item) : undefined;
}

/** The items that append the events to the trail and move its head from `head`, and the head they leave. */
function chainItems(table: string, append: TrailAppend, head: ChainHead | undefined, at: Date): { items: TransactItem[]; moved: ChainHead } {
  const movedAt = at.toISOString();
  const chained = chainEvents(append.trail, head, append.events, movedAt);
  const last = chained.at(-1)!;
  const items: TransactItem[] = [
    ...chained.map(({ requestId: _trail, ...event }) => ({
      Put: { TableName: table, Item: { pk: append.trail, sk: eventSk(event.seq), ...event }, ConditionExpression: 'attribute_not_exists(pk)' },
    })),
    {
      Put: {
        TableName: table,
        Item: { pk: append.trail, sk: HEAD_SK, seq: last.seq, hash: last.hash, movedAt: movedAt.slice(0, 10), movedInstant: movedAt, heads: HEADS_PARTITION },
        ...(head
          ? { ConditionExpression: '#seq = :seq', ExpressionAttributeNames: { '#seq': 'seq' }, ExpressionAttributeValues: { ':seq': head.seq } }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      },
    },
  ];
  return { items, moved: { trail: append.trail, seq: last.seq, hash: last.hash, movedAt } };
}

/**
 * Writes `records` (each with its own condition) and appends events to their trails, in one transaction: the
 * record and the trace of its change exist together or not at all. Each trail's head is read, the events linked
 * to it, and the head moved only from where it was read; when another writer moved it first, or DynamoDB cancelled
 * the transaction for another one writing the same items at that moment (TransactionConflict: a double click that
 * reached two functions at once), the heads are read again and the whole write made again (the records' own
 * conditions decide anew). A record's condition that fails comes back as the TransactionCanceledException, its
 * reasons in `records`' order, for the caller to read.
 */
export async function writeAudited(db: DynamoDBDocumentClient, auditTable: string, records: TransactItem[], appends: TrailAppend[], at: Date): Promise<void> {
  const trails = appends.filter((append) => append.events.length > 0);
  const known = movedHeads();
  for (let attempt = 1; ; attempt++) {
    const heads = await Promise.all(
      trails.map((append) => {
        if (attempt > 1) return readHead(db, auditTable, append.trail);
        return append.begins ? undefined : (known?.get(headKey(auditTable, append.trail)) ?? readHead(db, auditTable, append.trail));
      }),
    );
    const chains = trails.map((append, i) => chainItems(auditTable, append, heads[i], at));
    const items = [...records, ...chains.flatMap((chain) => chain.items)];
    try {
      await db.send(new TransactWriteCommand({ TransactItems: items }));
      for (const { moved } of chains) known?.set(headKey(auditTable, moved.trail), moved);
      return;
    } catch (error) {
      for (const append of trails) known?.delete(headKey(auditTable, append.trail));
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
      const recordFailed = reasons.slice(0, records.length).some((code) => code !== 'None' && code !== 'TransactionConflict');
      const chainMoved = reasons.slice(records.length).some((code) => code === 'ConditionalCheckFailed');
      if (recordFailed || !(chainMoved || reasons.includes('TransactionConflict'))) throw error;
      await failIfBroken(db, auditTable, trails, heads, chains.map((chain) => chain.items), reasons.slice(records.length));
      if (attempt === CHAIN_ATTEMPTS) throw new ConflictError(`the audit trail of ${trails.map((t) => t.trail).join(', ')}, or what is written with it, kept moving; try again`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_PAUSE_MS * attempt));
    }
  }
}

/**
 * An event put that failed because its number is taken means another writer got there first, and then moved the
 * head with it in the same transaction. If the head still stands where it was read (or is still absent), nobody
 * did: the event exists past the head, and every retry would fail the same way.
 */
async function failIfBroken(db: DynamoDBDocumentClient, table: string, trails: TrailAppend[], heads: Array<ChainHead | undefined>, chains: TransactItem[][], reasons: string[]): Promise<void> {
  let offset = 0;
  for (const [i, chain] of chains.entries()) {
    const eventReasons = reasons.slice(offset, offset + chain.length - 1); // the head's put comes last
    offset += chain.length;
    if (!eventReasons.includes('ConditionalCheckFailed')) continue;
    const now = await readHead(db, table, trails[i]!.trail);
    if (now?.seq === heads[i]?.seq) {
      const where = now ? `its head stands at event ${now.seq}, behind an event that exists` : 'its head is missing while it has events';
      throw new ChainBrokenError(`the audit trail of ${trails[i]!.trail} was changed outside derbes: ${where}; nothing was written (check it with derbes evidence verify ${trails[i]!.trail})`);
    }
  }
}

/** A record put only where `condition` holds (its names and values, when it has any). */
export function putIf(table: string, item: Record<string, unknown>, condition: string, names?: Record<string, string>, values?: Record<string, unknown>): TransactItem {
  return { Put: { TableName: table, Item: item, ConditionExpression: condition, ...(names && { ExpressionAttributeNames: names }), ...(values && { ExpressionAttributeValues: values }) } };
}

/** Whether a transaction failed on the condition of the record at `index` (records come first, in their order). */
export function recordConditionFailed(error: unknown, index: number): boolean {
  return error instanceof TransactionCanceledException && error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';
}
