import { createHash, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../domain/audit.ts';
import { loadShippedRules, ruleFromStored, shippedStatuteRule, storedRule } from '../../domain/deadlines/index.ts';
import { ConflictError, DependencyError, IdempotencyKeyReusedError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { reportFactsOf, type ReportFacts } from '../../domain/report.ts';
import { assertTransition, OPEN_STATUSES, verifiedNow, type Channel, type DataSubjectRequest, type RequestStatus } from '../../domain/request.ts';
import { requestIdOf, type Changes, type CreateResult, type Idempotency, type RequestRef, type RequestStore, type SourceResult } from '../../use-cases/ports.ts';
import { putIf, recordConditionFailed, writeAudited } from './audited-write.ts';
import { queryAll } from './query-all.ts';

/**
 * Requests table layout (keys defined once in infra/constructs/storage.ts):
 *   pk=<request id>            sk=REQUEST          the request; `openDue`+`dueAtUtc` feed the due-date index while open,
 *                                                  `receivedMonth`+`receivedAtUtc` the received-date index (its `report` facts)
 *                                                  `personKey`+`receivedAt` the person index (until anonymised)
 *   pk=<request id>            sk=RESULT#<source>  what one data source returned
 *   pk=IDEMPOTENCY#<sha256>    sk=MARKER           which request an idempotency key made, and the keyed hash of its body
 *                                                  (removed when the request is anonymised; the request names it)
 *   pk=DECISION                sk=<request id>     a request waiting for an operator's decision
 *   pk=ATTENTION               sk=<request id>     a failed workflow waiting for the operator to resume it
 *   pk=<request id>            sk=STEP#<step>      a once-only step claimed by a runner (claimedAt, done)
 *   pk=<request id>            sk=MAIL#<kind>#<round>  a mail of the request, claimed before sending (sent-mail-ledger.ts)
 */
export const REQUEST_SK = 'REQUEST';
export const IDEMPOTENCY_SK = 'MARKER';
/** The channel is part of the key: a mail's Message-ID can never be named by an HTTP client, nor the reverse. */
const idempotencyMarkerKey = (channel: Channel, key: string) => ({ pk: `IDEMPOTENCY#${createHash('sha256').update(`${channel}\n${key}`).digest('hex')}`, sk: IDEMPOTENCY_SK });
export const OPEN_DUE_INDEX = 'byDueDate';
/** Closed requests not yet anonymised, by the instant they closed: what has passed its term is a query. */
export const CLOSED_INDEX = 'byClosedDate';
export const CLOSED = 'CLOSED';
/**
 * Every request by the (UTC) month and instant it was received, with only its report facts projected: the report per
 * period is one query per month, never a scan, and reads nothing personal.
 */
export const RECEIVED_INDEX = 'byReceivedDate';
export const REPORT_ATTRIBUTE = 'report';
/** Every request of one address, by its keyed hash (`personKey`) and the instant received: search by address is a query. */
export const PERSON_INDEX = 'byPerson';

/**
 * How many times the request item was written. Each write is a whole item read a moment before, so it is
 * conditioned on the revision it read: a write between (a workflow step and an operator's extension, say) is never
 * overwritten with the older copy; the later writer reads again and applies its change to what the other wrote.
 * An item written without one (created) is written next as revision 1; the own-records purge counts on as they do.
 */
export const REVISION = 'revision';
/** Writers that keep losing to others give up after this many reads, with a ConflictError. */
const WRITE_ATTEMPTS = 5;

export function requestItem(request: DataSubjectRequest, revision?: number) {
  const open = OPEN_STATUSES.includes(request.status);
  const awaitsAnonymising = !open && request.closedAt !== undefined && !request.anonymised;
  const receivedAtUtc = new Date(request.receivedAt).toISOString();
  return {
    pk: request.id,
    sk: REQUEST_SK,
    ...request,
    deadline: storedDeadline(request),
    ...(revision === undefined ? {} : { [REVISION]: revision }),
    // Sparse index: only open requests carry the partition value, so "what is due soon" is a query.
    openDue: open ? 'OPEN' : undefined,
    dueAtUtc: open ? new Date(request.deadline.dueAt).toISOString() : undefined,
    // Sparse too: a closed request is in it until its own records are anonymised.
    closedIndex: awaitsAnonymising ? CLOSED : undefined,
    closedAtUtc: awaitsAnonymising ? new Date(request.closedAt!).toISOString() : undefined,
    receivedMonth: request.receivedAt.slice(0, 7),
    receivedAtUtc,
    [REPORT_ATTRIBUTE]: storedReport(reportFactsOf(request), receivedAtUtc),
  };
}

/*
 * Every write of the request item, and the due-date index's copy of an open one, is billed by the started KB, and the
 * item is near one: what it can read back from elsewhere it does not keep twice.
 */

/**
 * The deadline as the item keeps it: a statute's rule by its id, figures and digest, its texts being the release's
 * rule data (stored-rule.ts); the instant of receipt only where it is not the request's own.
 */
function storedDeadline(request: DataSubjectRequest): Record<string, unknown> {
  const { receivedAt, ...deadline } = request.deadline;
  return { ...deadline, ...(receivedAt !== request.receivedAt && { receivedAt }), rule: storedRule(request.deadline.rule) };
}

function deadlineFromStored(deadline: Record<string, unknown>, request: Record<string, unknown>): DataSubjectRequest['deadline'] {
  const read = { ...deadline, receivedAt: deadline.receivedAt ?? request.receivedAt } as DataSubjectRequest['deadline'];
  return read.rule ? { ...read, rule: ruleFromStored(read.rule, shippedStatuteRule) } : read;
}

/**
 * The report facts as the item keeps them (the received-date index projects them alone): the request id and the
 * instant of receipt are the index's keys, projected with it, and kept in the facts only where they differ.
 */
function storedReport(facts: ReportFacts, receivedAtUtc: string): Partial<ReportFacts> {
  const { id: _id, receivedAt, ...rest } = facts;
  return { ...rest, ...(receivedAt !== receivedAtUtc && { receivedAt }) };
}

function reportFromStored(item: Record<string, unknown>): ReportFacts {
  return { id: String(item.pk), receivedAt: String(item.receivedAtUtc), ...(item[REPORT_ATTRIBUTE] as Partial<ReportFacts>) } as ReportFacts;
}

/** A claimed step whose runner has not completed it in this time is taken to have crashed and may be claimed again. */
const STEP_LEASE_MS = 10 * 60_000;
/** Open requests are read this many at a time; one page is one query of the due-date index. */
const OPEN_PAGE_SIZE = 100;
/** The index key of the last item of a page (a request id and its due date, nothing personal), as an opaque string. */
const CURSOR_FIELDS = ['pk', 'sk', 'openDue', 'dueAtUtc'] as const;

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(CURSOR_FIELDS.map((field) => key[field]))).toString('base64url');
}

function decodeCursor(cursor: string): Record<string, string> {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(values) && values.length === CURSOR_FIELDS.length && values.every((v) => typeof v === 'string' && v.length <= 200)) {
      return Object.fromEntries(CURSOR_FIELDS.map((field, i) => [field, values[i] as string]));
    }
  } catch {
    // reported below
  }
  throw new ValidationError([{ field: 'cursor', message: 'is not a cursor this API returned' }], 'page');
}

/** The UTC months (YYYY-MM) from the one `from` falls in to the one `to` falls in. */
function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  const month = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (month <= to) {
    months.push(month.toISOString().slice(0, 7));
    month.setUTCMonth(month.getUTCMonth() + 1);
  }
  return months;
}

export async function toRequest(item: Record<string, unknown>): Promise<DataSubjectRequest> {
  const {
    pk: _pk,
    sk: _sk,
    openDue: _open,
    dueAtUtc: _due,
    closedIndex: _closed,
    closedAtUtc: _closedAt,
    receivedMonth: _month,
    receivedAtUtc: _received,
    [REPORT_ATTRIBUTE]: _report,
    [REVISION]: _revision,
    ...request
  } = item;
  // An item written before the deadline was kept so holds it whole (the rule with its texts), and reads as it is.
  if (request.deadline) {
    // A rule kept by its id reads its texts from the release's file of its jurisdiction: loaded first (once per process).
    const jurisdiction = (request.deadline as { rule?: { jurisdiction?: unknown } }).rule?.jurisdiction;
    if (typeof jurisdiction === 'string') await loadShippedRules([jurisdiction]);
    request.deadline = deadlineFromStored(request.deadline as Record<string, unknown>, request);
  }
  // An item written before one field said that the person asks to destroy particular data, by mail or on the form.
  if (request.unclearBecause === 'particularData') {
    delete request.unclearBecause;
    request.particularData = true;
  }
  return request as unknown as DataSubjectRequest;
}

/**
 * A DynamoDB item holds at most 400 KB; a source result (an access request's records) above this size is kept
 * in the packages bucket instead, and the item names where.
 */
export const RESULT_ITEM_LIMIT_BYTES = 300_000;
/** Where oversized source results live in the packages bucket. */
export const RESULTS_PREFIX = 'results/';
/** On a source result's item: it holds a read of the source (see putSourceResult's `unread`). */
const READ_ATTRIBUTE = 'accessRead';

/** The bucket that takes results too large for an item (the access-package store). */
export interface LargeResultStore {
  put(key: string, body: string, contentType: string): Promise<void>;
  read(key: string): Promise<string>;
}

export class DynamoRequestStore implements RequestStore {
  /** The revision of each request this store read consistently or wrote, for as long as its holder keeps it (RequestRef). */
  private readonly revisions = new WeakMap<DataSubjectRequest, number | undefined>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly requestsTable: string,
    private readonly auditTable: string,
    private readonly now: () => Date = () => new Date(),
    /** Needed only by functions that write or read source results; without it an oversized result fails loudly. */
    private readonly largeResults?: () => LargeResultStore,
  ) {}

  async create(request: DataSubjectRequest, event: AuditEvent, idempotency?: Idempotency): Promise<CreateResult> {
    const markerKey = idempotency ? idempotencyMarkerKey(request.channel, idempotency.key) : undefined;
    const created = markerKey ? { ...request, idempotencyMarker: markerKey.pk } : request;
    try {
      const marker = markerKey && putIf(this.requestsTable, { ...markerKey, requestId: request.id, bodyHash: idempotency!.bodyHash, channel: request.channel }, 'attribute_not_exists(pk)');
      const record = putIf(this.requestsTable, requestItem(created), 'attribute_not_exists(pk)');
      await writeAudited(this.db, this.auditTable, marker ? [marker, record] : [record], [{ trail: request.id, events: [event], begins: true }], this.now());
      this.revisions.set(created, undefined);
      return { request: created, created: true };
    } catch (error) {
      if (markerKey && recordConditionFailed(error, 0)) {
        const marker = await this.db.send(new GetCommand({ TableName: this.requestsTable, Key: markerKey, ConsistentRead: true }));
        // Only the same body may see the first request: anything else could be someone else's request.
        if (marker.Item?.bodyHash !== idempotency!.bodyHash) throw new IdempotencyKeyReusedError(idempotency!.field);
        return { request: await this.get(String(marker.Item?.requestId)), created: false };
      }
      throw error;
    }
  }

  async madeUnder(channel: Channel, key: string): Promise<boolean> {
    return Boolean((await this.db.send(new GetCommand({ TableName: this.requestsTable, Key: idempotencyMarkerKey(channel, key), ConsistentRead: true }))).Item);
  }

  async get(id: string): Promise<DataSubjectRequest> {
    return (await this.read(id)).request;
  }

  /** The request and the revision of its item (undefined for an item written before revisions were kept). */
  private async read(id: string): Promise<{ request: DataSubjectRequest; revision: number | undefined }> {
    const result = await this.db.send(new GetCommand({ TableName: this.requestsTable, Key: { pk: id, sk: REQUEST_SK }, ConsistentRead: true }));
    if (!result.Item) throw new NotFoundError(`request ${id} does not exist`);
    const request = await toRequest(result.Item);
    const revision = result.Item[REVISION] as number | undefined;
    this.revisions.set(request, revision);
    return { request, revision };
  }

  /** The request `which` holds, with its revision, if this store read or wrote it and it is in `status`. */
  private held(which: RequestRef, status: RequestStatus): { request: DataSubjectRequest; revision: number | undefined } | undefined {
    if (typeof which === 'string' || which.status !== status || !this.revisions.has(which)) return undefined;
    return { request: which, revision: this.revisions.get(which) };
  }

  /**
   * Changes the request in `status` (`change` throws if it may not) — as the caller holds it, else as read — and
   * writes it if nobody wrote it in between; else reads it again and applies the change to what the other wrote.
   */
  private async rewrite(which: RequestRef, status: RequestStatus, change: (current: DataSubjectRequest) => { next: DataSubjectRequest; events: AuditEvent[] }): Promise<DataSubjectRequest> {
    for (let attempt = 1; ; attempt++) {
      const { request: current, revision } = (attempt === 1 && this.held(which, status)) || (await this.read(requestIdOf(which)));
      const { next, events } = change(current);
      try {
        return await this.write(next, status, events, revision);
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt === WRITE_ATTEMPTS) throw error;
      }
    }
  }

  async transition(
    which: RequestRef,
    from: RequestStatus,
    to: RequestStatus,
    changes: Partial<DataSubjectRequest> = {},
    also: AuditEvent[] = [],
  ): Promise<DataSubjectRequest> {
    return this.rewrite(which, from, (current) => {
      if (current.status !== from) throw new ConflictError(`request ${current.id} is ${current.status}, not ${from}`);
      assertTransition(current, to);
      return { next: { ...current, ...changes, status: to }, events: [...also, { type: 'status.changed', detail: { from, to } }] };
    });
  }

  async markVerified(
    id: string,
    verifiedAt: string,
    beginsAtOnce: (request: DataSubjectRequest) => boolean = () => false,
  ): Promise<{ outcome: 'marked' | 'already' | 'closed'; request: DataSubjectRequest }> {
    const classify = (request: DataSubjectRequest) => (request.verifiedAt ? 'already' : request.status !== 'AWAITING_VERIFICATION' ? 'closed' : undefined);
    for (let attempt = 1; ; attempt++) {
      const { request: current, revision } = await this.read(id);
      const known = classify(current);
      if (known) return { outcome: known, request: current };
      try {
        const { next, events } = verifiedNow(current, verifiedAt, beginsAtOnce);
        // Conditioned on the revision read: of two confirmations at once, one marks it and the other finds it marked.
        return { outcome: 'marked', request: await this.write(next, 'AWAITING_VERIFICATION', events, revision) };
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt === WRITE_ATTEMPTS) throw error;
      }
    }
  }

  async amend(which: RequestRef, status: RequestStatus, changes: Changes, events: AuditEvent[], check?: (current: DataSubjectRequest) => void): Promise<DataSubjectRequest> {
    return this.rewrite(which, status, (current) => {
      if (current.status !== status) throw new ConflictError(`request ${current.id} is ${current.status}, not ${status}`);
      check?.(current);
      return { next: { ...current, ...(typeof changes === 'function' ? changes(current) : changes), status }, events };
    });
  }

  async findByPerson(personKey: string): Promise<DataSubjectRequest[]> {
    // The index holds keys only (a whole copy would double the cost of every write of an open request); a person
    // has few requests, each read by its key.
    const keys = await queryAll(this.db, {
      TableName: this.requestsTable,
      IndexName: PERSON_INDEX,
      KeyConditionExpression: 'personKey = :person',
      ExpressionAttributeValues: { ':person': personKey },
      ScanIndexForward: false,
    });
    // Read consistently: an erasure about to destroy asks which of the person's requests were confirmed a moment ago.
    const items = await Promise.all(keys.map(async ({ pk, sk }) => (await this.db.send(new GetCommand({ TableName: this.requestsTable, Key: { pk, sk }, ConsistentRead: true }))).Item));
    return Promise.all(items.filter((item): item is Record<string, unknown> => item !== undefined && item.personKey === personKey).map(toRequest));
  }

  /** Writes the request only if it is still in `expected` and at the revision read, with its audit events, in one transaction. */
  private async write(next: DataSubjectRequest, expected: RequestStatus, events: AuditEvent[], revision: number | undefined): Promise<DataSubjectRequest> {
    try {
      const atRevisionRead = `#status = :expected AND ${revision === undefined ? 'attribute_not_exists(#revision)' : '#revision = :revision'}`;
      const record = putIf(this.requestsTable, requestItem(next, (revision ?? 0) + 1), atRevisionRead, { '#status': 'status', '#revision': REVISION }, {
        ':expected': expected,
        ...(revision === undefined ? {} : { ':revision': revision }),
      });
      await writeAudited(this.db, this.auditTable, [record], [{ trail: next.id, events }], this.now());
    } catch (error) {
      if (recordConditionFailed(error, 0)) throw new ConflictError(`request ${next.id} was changed concurrently`);
      throw error;
    }
    this.revisions.set(next, (revision ?? 0) + 1);
    return next;
  }

  async listOpen({ limit, cursor }: { limit: number; cursor?: string }): Promise<{ requests: DataSubjectRequest[]; cursor?: string }> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.requestsTable,
        IndexName: OPEN_DUE_INDEX,
        KeyConditionExpression: 'openDue = :open',
        ExpressionAttributeValues: { ':open': 'OPEN' },
        Limit: limit,
        ExclusiveStartKey: cursor === undefined ? undefined : decodeCursor(cursor),
      }),
    );
    return { requests: await Promise.all((page.Items ?? []).map(toRequest)), cursor: page.LastEvaluatedKey ? encodeCursor(page.LastEvaluatedKey) : undefined };
  }

  async receivedBetween(from: Date, to: Date): Promise<ReportFacts[]> {
    const facts: ReportFacts[] = [];
    for (const month of monthsBetween(from, to)) {
      const items = await queryAll(this.db, {
        TableName: this.requestsTable,
        IndexName: RECEIVED_INDEX,
        KeyConditionExpression: 'receivedMonth = :month AND receivedAtUtc BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':month': month, ':from': from.toISOString(), ':to': to.toISOString() },
      });
      facts.push(...items.map(reportFromStored));
    }
    return facts;
  }

  async *eachOpen(pageSize = OPEN_PAGE_SIZE): AsyncIterable<DataSubjectRequest> {
    let cursor: string | undefined;
    do {
      const page = await this.listOpen({ limit: pageSize, cursor });
      yield* page.requests;
      cursor = page.cursor;
    } while (cursor);
  }

  async claimStep(id: string, step: string, now: Date): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.requestsTable,
          Item: { pk: id, sk: `STEP#${step}`, claimedAt: now.toISOString(), done: false },
          ConditionExpression: 'attribute_not_exists(pk) OR (done = :no AND claimedAt < :stale)',
          ExpressionAttributeValues: { ':no': false, ':stale': new Date(now.getTime() - STEP_LEASE_MS).toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async completeStep(id: string, step: string, now: Date): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.requestsTable, Item: { pk: id, sk: `STEP#${step}`, claimedAt: now.toISOString(), done: true } }));
  }

  async putSourceResult(id: string, result: SourceResult, condition?: 'unread'): Promise<boolean> {
    const body = JSON.stringify(result);
    // The item says whether it holds a read, also when its body is in the bucket: `unread` is conditioned on it.
    let item: Record<string, unknown> = { ...result, ...(result.outcomes.access && { [READ_ATTRIBUTE]: true }) };
    if (Buffer.byteLength(body) > RESULT_ITEM_LIMIT_BYTES) {
      if (!this.largeResults) throw new DependencyError(`the result of source ${result.sourceId} for ${id} is ${Buffer.byteLength(body)} bytes and no bucket is configured for it`);
      // A conditional write has an object of its own: one that loses must not replace the body of the one that won.
      const suffix = condition ? `.${randomBytes(8).toString('hex')}` : '';
      const key = `${RESULTS_PREFIX}${id}/${encodeURIComponent(result.sourceId)}${suffix}.json`;
      await this.largeResults().put(key, body, 'application/json');
      item = { sourceId: result.sourceId, resultKey: key, ...(result.outcomes.access && { [READ_ATTRIBUTE]: true }) };
    }
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.requestsTable,
          Item: { pk: id, sk: `RESULT#${result.sourceId}`, ...item },
          ...(condition && { ConditionExpression: 'attribute_not_exists(#read)', ExpressionAttributeNames: { '#read': READ_ATTRIBUTE } }),
        }),
      );
      return true;
    } catch (error) {
      if (condition && error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listSourceResults(id: string): Promise<SourceResult[]> {
    const items = await queryAll(this.db, {
      TableName: this.requestsTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': id, ':prefix': 'RESULT#' },
      ConsistentRead: true,
    });
    return Promise.all(
      items.map(async ({ pk: _pk, sk: _sk, resultKey, [READ_ATTRIBUTE]: _read, ...result }) => {
        if (typeof resultKey !== 'string') return result as unknown as SourceResult;
        if (!this.largeResults) throw new DependencyError(`the result of source ${String(result.sourceId)} for ${id} is kept in a bucket this function cannot read`);
        return JSON.parse(await this.largeResults().read(resultKey)) as SourceResult;
      }),
    );
  }
}
