import { queryAll } from './query-all.ts';
import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  applyEvents,
  dueEvents,
  grantEvents,
  parseConsentAction,
  stateAt,
  withdrawEvents,
  type AppliedDue,
  type ConsentActionInput,
  type ConsentChange,
  type ConsentEvent,
  type ConsentLedger,
  type ConsentPolicy,
  type ConsentState,
  type DueConsent,
  type RecordedConsentEvent,
} from '../../domain/consent/index.ts';
import { ConflictError } from '../../domain/errors.ts';

/**
 * Consent table layout (keys defined once in infra/constructs/storage.ts):
 *   pk=<person key>  sk=STATE#<purpose>          current state of one purpose; while a term runs it also carries
 *                                                 termBucket=TERM#<0..7> and termEndsAt, the keys of the term index
 *   pk=<person key>  sk=HIST#<purpose>#<seq>      one history event, seq = the state version it led to (10 digits);
 *                                                 put once with attribute_not_exists, never updated or deleted
 * Only PutItem is used, so in AWS the functions' role needs no UpdateItem or DeleteItem on this table.
 */
export const CONSENT_TERM_INDEX = 'byTermEnd';
/** Running terms are spread over this many index partitions; changing it strands the terms indexed under the old count. */
const TERM_BUCKET_COUNT = 8;
const bucketName = (index: number) => `TERM#${index}`;
const TERM_BUCKETS = Array.from({ length: TERM_BUCKET_COUNT }, (_, index) => bucketName(index));
const STATE_PREFIX = 'STATE#';
const HISTORY_PREFIX = 'HIST#';
/** A transaction holds at most 100 items: the state and up to 99 events. */
const EVENTS_PER_TRANSACTION = 99;
/** Attempts at a change when other writers keep coming first. */
const ATTEMPTS = 5;
const RETRY_PAUSE_MS = 20;

/** Another writer changed the purpose between our read and our write; nothing of ours was written. */
export class ConcurrentConsentChangeError extends ConflictError {}

function termBucket(personKey: string): string {
  return bucketName(createHash('sha256').update(personKey).digest().readUInt8(0) % TERM_BUCKET_COUNT);
}

export function stateItem(personKey: string, state: ConsentState) {
  return { pk: personKey, sk: `${STATE_PREFIX}${state.purposeId}`, ...state, ...(state.termEndsAt && { termBucket: termBucket(personKey) }) };
}

export function historyItem(personKey: string, event: ConsentEvent, seq: number, recordedAt: Date) {
  return {
    pk: personKey,
    sk: `${HISTORY_PREFIX}${event.purposeId}#${String(seq).padStart(10, '0')}`,
    seq,
    recordedAt: recordedAt.toISOString(),
    ...event,
  };
}

function toState(item: Record<string, unknown>): ConsentState {
  const { pk: _pk, sk: _sk, termBucket: _bucket, ...state } = item;
  return state as unknown as ConsentState;
}

function toEvent(item: Record<string, unknown>): RecordedConsentEvent {
  const { pk: _pk, sk: _sk, ...event } = item;
  return event as unknown as RecordedConsentEvent;
}

function lostRace(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict')
  );
}

/**
 * The write path: appends `events` to a purpose's history and puts the state they lead to, in one transaction
 * (per 99 events), and only while the stored state is still `before`. Returns the new state; throws
 * ConcurrentConsentChangeError when another writer came first, so no event can be lost or written twice.
 */
export async function appendConsentEvents(
  db: DynamoDBDocumentClient,
  table: string,
  personKey: string,
  before: ConsentState | undefined,
  events: readonly ConsentEvent[],
  recordedAt: Date,
): Promise<ConsentState | undefined> {
  let state = before;
  for (let start = 0; start < events.length; start += EVENTS_PER_TRANSACTION) {
    const chunk = events.slice(start, start + EVENTS_PER_TRANSACTION);
    const next = applyEvents(state, chunk);
    if (!next) break;
    const stateCondition = state
      ? { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': state.version } }
      : { ConditionExpression: 'attribute_not_exists(pk)' };
    const firstSeq = (state?.version ?? 0) + 1;
    try {
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: stateItem(personKey, next), ...stateCondition } },
            ...chunk.map((event, i) => ({
              Put: { TableName: table, Item: historyItem(personKey, event, firstSeq + i, recordedAt), ConditionExpression: 'attribute_not_exists(pk)' },
            })),
          ],
        }),
      );
    } catch (error) {
      if (lostRace(error)) throw new ConcurrentConsentChangeError(`consent for ${next.purposeId} changed concurrently`, { cause: error });
      throw error;
    }
    state = next;
  }
  return state;
}

interface EndedPage {
  items: DueConsent[];
  next?: Record<string, unknown>;
}

export class DynamoConsentLedger implements ConsentLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly policy: ConsentPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async grant(input: ConsentActionInput): Promise<ConsentChange> {
    const action = parseConsentAction(input);
    return this.change(action.personKey, action.purposeId, (state) => grantEvents(state, action, this.policy));
  }

  async withdraw(input: ConsentActionInput): Promise<ConsentChange> {
    const action = parseConsentAction(input);
    return this.change(action.personKey, action.purposeId, (state) => withdrawEvents(state, action, this.policy));
  }

  async current(personKey: string, now: Date, options: { consistentRead?: boolean } = {}): Promise<ConsentState[]> {
    const items = await this.queryAll(personKey, STATE_PREFIX, options.consistentRead ?? false);
    return items.map((item) => stateAt(toState(item), now));
  }

  async history(personKey: string): Promise<RecordedConsentEvent[]> {
    const items = await this.queryAll(personKey, HISTORY_PREFIX, true);
    return items
      .map(toEvent)
      .sort((a, b) => a.at.localeCompare(b.at) || a.purposeId.localeCompare(b.purposeId) || a.seq - b.seq);
  }

  async due(now: Date, limit: number): Promise<DueConsent[]> {
    if (limit < 1) return [];
    const perBucket = await Promise.all(
      TERM_BUCKETS.map(async (bucket) => {
        const found: DueConsent[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.ended(bucket, now, limit - found.length, startKey);
          found.push(...page.items);
          startKey = page.next;
        } while (startKey && found.length < limit);
        return found;
      }),
    );
    return perBucket
      .flat()
      .sort((a, b) => (a.state.termEndsAt ?? '').localeCompare(b.state.termEndsAt ?? ''))
      .slice(0, limit);
  }

  async applyDue(now: Date): Promise<AppliedDue> {
    const applied: AppliedDue = { prolonged: 0, expired: 0 };
    // One pass over each bucket: what this run changes leaves the range behind the cursor, so nothing is met twice.
    await Promise.all(
      TERM_BUCKETS.map(async (bucket) => {
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.ended(bucket, now, undefined, startKey);
          for (const { personKey, state } of page.items) {
            const { recorded } = await this.change(personKey, state.purposeId, (current) => dueEvents(current, now), state);
            for (const event of recorded) if (event.type === 'prolonged' || event.type === 'expired') applied[event.type] += 1;
          }
          startKey = page.next;
        } while (startKey);
      }),
    );
    return applied;
  }

  /**
   * Reads the purpose's state, decides the events and writes both; when another writer came first, reads
   * again and decides again. `known` (e.g. from the index) saves the first read; a stale copy just loses the race.
   */
  private async change(
    personKey: string,
    purposeId: string,
    decide: (state: ConsentState | undefined) => ConsentEvent[],
    known?: ConsentState,
  ): Promise<ConsentChange> {
    let state = known;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1 || !state) state = await this.read(personKey, purposeId);
      const recorded = decide(state);
      try {
        return { state: await appendConsentEvents(this.db, this.table, personKey, state, recorded, this.now()), recorded };
      } catch (error) {
        if (!(error instanceof ConcurrentConsentChangeError) || attempt >= ATTEMPTS) throw error;
        // A random pause, longer each time, so writers that keep colliding drift apart.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_PAUSE_MS * attempt));
      }
    }
  }

  private async read(personKey: string, purposeId: string): Promise<ConsentState | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: personKey, sk: `${STATE_PREFIX}${purposeId}` }, ConsistentRead: true }),
    );
    return result.Item && toState(result.Item);
  }

  private queryAll(personKey: string, prefix: string, consistentRead: boolean): Promise<Record<string, unknown>[]> {
    return queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': personKey, ':prefix': prefix },
      ConsistentRead: consistentRead,
    });
  }


  /** One page of running terms in one index bucket that ended by `now`, earliest first. */
  private async ended(bucket: string, now: Date, limit: number | undefined, startKey: Record<string, unknown> | undefined): Promise<EndedPage> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: CONSENT_TERM_INDEX,
        KeyConditionExpression: 'termBucket = :bucket AND termEndsAt <= :now',
        ExpressionAttributeValues: { ':bucket': bucket, ':now': now.toISOString() },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { items: (page.Items ?? []).map((item) => ({ personKey: String(item.pk), state: toState(item) })), next: page.LastEvaluatedKey };
  }
}
