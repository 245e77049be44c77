import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RetentionRule } from '../../config/profile-schema.ts';
import { eventsOfType, type AuditEvent } from '../../domain/audit.ts';
import { canonicalJson } from '../../domain/canonical.ts';
import { storedRule } from '../../domain/deadlines/index.ts';
import { anonymisedRequest } from '../../domain/own-records.ts';
import type { ExpiredPage, OwnRecords, RecordPurge } from '../../use-cases/ports.ts';
import { DynamoAuditLog } from './audit-log.ts';
import { putIf, writeAudited } from './audited-write.ts';
import { cursorOf, keyOfCursor } from './cursor.ts';
import { queryAll } from './query-all.ts';
import { CLOSED, CLOSED_INDEX, IDEMPOTENCY_SK, REQUEST_SK, REVISION, requestItem, toRequest } from './request-store.ts';

/** Where a request's raw mail and attachments are kept (adapters/aws/raw-mail-store.ts). */
export interface RequestObjects {
  rawKey(sesMessageId: string): Promise<string>;
  remove(keys: string[]): Promise<void>;
}

/** Kept on the request between the first and the last write of its anonymisation, so a repeat records the same. */
const IN_PROGRESS = 'anonymising';

const CURSOR_PROBLEM = "the cursor over derbes' own records cannot be read; start the pass again without one";
const BACKFILL_CURSOR_PROBLEM = 'the cursor of the closed-date index back-fill cannot be read; start it again without one';

/**
 * derbes' own records as the retention purge sees them: closed requests past their term, from the closed-date index
 * (a query, page by page, never a scan), each anonymised with what belongs to it — the copies of source records
 * derbes made for it, its raw mail and attachments — while its audit trail stays.
 */
export class OwnRecordsRetention implements OwnRecords {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly requestsTable: string,
    private readonly auditTable: string,
    private readonly objects: () => RequestObjects,
    /** A keyed hash of a canonical encoding: the operator, who holds the key, can check a copy against it; nobody else can test guesses. */
    private readonly digestOf: (canonical: string) => Promise<string>,
  ) {}

  async expired(_rule: RetentionRule, before: string, options: { cursor?: string; limit: number }): Promise<ExpiredPage> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.requestsTable,
        IndexName: CLOSED_INDEX,
        KeyConditionExpression: 'closedIndex = :closed AND closedAtUtc < :before',
        ExpressionAttributeValues: { ':closed': CLOSED, ':before': before },
        ExclusiveStartKey: keyOfCursor(options.cursor, CURSOR_PROBLEM),
        Limit: options.limit,
      }),
    );
    return { records: (page.Items ?? []).map((record) => ({ record, ...(typeof record.legalHold === 'string' && { hold: record.legalHold }) })), cursor: cursorOf(page.LastEvaluatedKey) };
  }

  async purge({ record, at, audit }: RecordPurge): Promise<boolean> {
    const { [IN_PROGRESS]: _fixed, ...item } = record;
    const request = await toRequest(item);
    // Still in the index as found, and not put under a legal hold since the page was read.
    const stillAsFound = { ConditionExpression: 'closedIndex = :closed AND closedAtUtc = :seen AND attribute_not_exists(legalHold)', values: { ':closed': CLOSED, ':seen': record.closedAtUtc } };
    const seenRevision = typeof record[REVISION] === 'number' ? record[REVISION] : undefined;
    const results = await queryAll(this.db, {
      TableName: this.requestsTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :result)',
      ExpressionAttributeValues: { ':pk': request.id, ':result': 'RESULT#' },
      ConsistentRead: true,
    });
    // What is recorded is fixed before anything is removed: a run that crashes midway and its repeat record the same.
    // The same write, conditional on no hold and on the request as read, takes the next revision: a writer that read
    // it before must read again, and a legal hold then finds the removals begun and is refused (holdRequest).
    let fixed: { digest: string; sourceResults: number };
    let claimed: number;
    try {
      const written = await this.db.send(
        new UpdateCommand({
          TableName: this.requestsTable,
          Key: { pk: request.id, sk: REQUEST_SK },
          UpdateExpression: `SET ${IN_PROGRESS} = if_not_exists(${IN_PROGRESS}, :fixed), #revision = if_not_exists(#revision, :zero) + :one`,
          ConditionExpression: `${stillAsFound.ConditionExpression} AND ${seenRevision === undefined ? 'attribute_not_exists(#revision)' : '#revision = :seenRevision'}`,
          ExpressionAttributeNames: { '#revision': REVISION },
          ExpressionAttributeValues: {
            ...stillAsFound.values,
            ':zero': 0,
            ':one': 1,
            ...(seenRevision !== undefined && { ':seenRevision': seenRevision }),
            ':fixed': {
              // Of the request with its rule as the item keeps it (a statute's by id, figures and digest; stored-rule.ts), not
              // with the texts the running release reads back for it: the digest can be taken again from the item alone.
              digest: await this.digestOf(canonicalJson({ request: { ...request, deadline: { ...request.deadline, rule: storedRule(request.deadline.rule) } }, results: results.map(({ pk: _pk, ...result }) => result) })),
              sourceResults: results.length,
            },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      fixed = written.Attributes![IN_PROGRESS] as typeof fixed;
      claimed = written.Attributes![REVISION] as number;
    } catch (error) {
      // Another run anonymised it, a hold came, or it changed since the page was read: the next pass finds it again if still due.
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
    const trail = await new DynamoAuditLog(this.db, this.auditTable).list(request.id);
    const received = eventsOfType(trail, 'mail.received');
    const rawKeys = await Promise.all(received.map(({ detail }) => this.objects().rawKey(detail.sesMessageId)));
    const objects = [
      ...rawKeys,
      ...received.flatMap(({ detail }) => [...(detail.attachments ?? []), ...(detail.quarantined ?? [])].flatMap((a) => (a.key ? [a.key] : []))),
      ...eventsOfType(trail, 'form.attachments').flatMap(({ detail }) => detail.attachments.map((a) => a.key)),
    ];
    // Removed before the request is marked: a crash here repeats the removals (harmless), never leaves them behind.
    await this.objects().remove(objects);
    for (const result of results) await this.db.send(new DeleteCommand({ TableName: this.requestsTable, Key: { pk: request.id, sk: result.sk } }));
    const anonymised: AuditEvent = { type: 'retention.anonymised', detail: { ...fixed, objects: objects.length } };
    try {
      // At the revision it claimed: nothing written since (a copy read before) can overwrite the anonymised request.
      const record = requestItem(anonymisedRequest(request, at.toISOString(), fixed.digest), claimed + 1);
      await writeAudited(
        this.db,
        this.auditTable,
        [
          putIf(this.requestsTable, record, `${stillAsFound.ConditionExpression} AND #revision = :claimed`, { '#revision': REVISION }, { ...stillAsFound.values, ':claimed': claimed }),
          // The idempotency key's record ties the key to the request and its body: it goes with them.
          ...(request.idempotencyMarker ? [{ Delete: { TableName: this.requestsTable, Key: { pk: request.idempotencyMarker, sk: IDEMPOTENCY_SK } } }] : []),
        ],
        // The request's trail is never rewritten: its events hold no personal data, so its chain stays verifiable.
        [
          { trail: audit.trail, events: [audit.event] },
          { trail: request.id, events: [anonymised] },
        ],
        at,
      );
      return true;
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((r) => r.Code) : [];
      if (reasons[0] === 'ConditionalCheckFailed' || reasons.includes('TransactionConflict')) return false;
      throw error;
    }
  }

  async keyOf(record: Record<string, unknown>): Promise<Record<string, unknown>> {
    return { requestId: record.pk };
  }

  async indexClosedPage(options: { cursor?: string; limit: number }): Promise<{ indexed: number; cursor?: string }> {
    // `Limit` bounds the items read, before the filter: a page is one bounded read whatever the table holds.
    const page = await this.db.send(
      new ScanCommand({
        TableName: this.requestsTable,
        FilterExpression: 'sk = :request AND attribute_exists(closedAt) AND attribute_not_exists(closedIndex) AND attribute_not_exists(anonymised)',
        ExpressionAttributeValues: { ':request': REQUEST_SK },
        ExclusiveStartKey: keyOfCursor(options.cursor, BACKFILL_CURSOR_PROBLEM),
        Limit: options.limit,
      }),
    );
    let indexed = 0;
    for (const item of page.Items ?? []) {
      // The attributes a write of the request would give it now; an open request (none) is left alone.
      const { closedIndex, closedAtUtc } = requestItem(await toRequest(item));
      if (!closedIndex) continue;
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.requestsTable,
            Key: { pk: item.pk, sk: REQUEST_SK },
            UpdateExpression: 'SET closedIndex = :closed, closedAtUtc = :closedAtUtc',
            // As read: a request rewritten meanwhile carries the attributes its write gave it.
            ConditionExpression: 'closedAt = :closedAt AND attribute_not_exists(closedIndex) AND attribute_not_exists(anonymised)',
            ExpressionAttributeValues: { ':closed': closedIndex, ':closedAtUtc': closedAtUtc, ':closedAt': item.closedAt },
          }),
        );
        indexed++;
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
    return { indexed, cursor: cursorOf(page.LastEvaluatedKey) };
  }
}
