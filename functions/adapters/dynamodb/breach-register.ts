import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../domain/audit.ts';
import { needsWatching, unfiledNotices, type AffectedSubject, type Breach } from '../../domain/breaches/breach.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { BreachRegister, SubjectPage } from '../../use-cases/ports.ts';
import { putIf, recordConditionFailed, writeAudited } from './audited-write.ts';
import { cursorOf, keyOfCursor } from './cursor.ts';
import { queryAll } from './query-all.ts';
import { OPEN_DUE_INDEX } from './request-store.ts';

/**
 * The breach register lives in the requests table, in key spaces of its own — same key, backups and point-in-time
 * recovery as the requests, and its open notices in the same due-date index, so one watch query finds them:
 *   pk=BREACH_REGISTER               sk=<breach id>        the breach; `openDue`=BREACH + `dueAtUtc` while the watch has work on it
 *   pk=<breach id>                   sk=SUBJECT#<key>      one affected person, under the keyed hash of their identifier
 *   pk=BREACH_IDEMPOTENCY#<sha256>   sk=MARKER             which breach an Idempotency-Key recorded
 */
const REGISTER = 'BREACH_REGISTER';
export const OPEN_BREACH = 'BREACH';
const SUBJECT = 'SUBJECT#';

function breachItem(breach: Breach) {
  const unfiled = unfiledNotices(breach).map((notice) => Date.parse(notice.deadline.dueAt));
  const watched = needsWatching(breach);
  return {
    pk: REGISTER,
    sk: breach.id,
    ...breach,
    openDue: watched ? OPEN_BREACH : undefined,
    dueAtUtc: watched ? new Date(unfiled.length ? Math.min(...unfiled) : Date.parse(breach.recordedAt)).toISOString() : undefined,
  };
}

function toBreach(item: Record<string, unknown>): Breach {
  const { pk: _pk, sk: _sk, openDue: _open, dueAtUtc: _due, ...breach } = item;
  return breach as unknown as Breach;
}

function toSubject(item: Record<string, unknown>): AffectedSubject {
  const { pk: _pk, sk: _sk, ...subject } = item;
  return subject as unknown as AffectedSubject;
}

function keyOf(cursor: string | undefined, breachId: string): Record<string, unknown> | undefined {
  const problem = 'the cursor does not belong to this list; start again without one';
  const key = keyOfCursor(cursor, problem);
  if (!key) return undefined;
  if (key.pk === breachId && typeof key.sk === 'string' && key.sk.startsWith(SUBJECT)) return { pk: key.pk, sk: key.sk };
  throw new ConflictError(problem);
}

export class DynamoBreachRegister implements BreachRegister {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly auditTable: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(breach: Breach, event: AuditEvent, idempotencyKey?: string): Promise<{ breach: Breach; created: boolean }> {
    const marker = idempotencyKey ? { pk: `BREACH_IDEMPOTENCY#${createHash('sha256').update(idempotencyKey).digest('hex')}`, sk: 'MARKER' } : undefined;
    try {
      const record = putIf(this.table, breachItem(breach), 'attribute_not_exists(pk)');
      const records = marker ? [putIf(this.table, { ...marker, breachId: breach.id }, 'attribute_not_exists(pk)'), record] : [record];
      await writeAudited(this.db, this.auditTable, records, [{ trail: breach.id, events: [event] }], this.now());
      return { breach, created: true };
    } catch (error) {
      if (marker && recordConditionFailed(error, 0)) {
        const found = await this.db.send(new GetCommand({ TableName: this.table, Key: marker, ConsistentRead: true }));
        return { breach: await this.get(String(found.Item?.breachId)), created: false };
      }
      throw error;
    }
  }

  async get(id: string): Promise<Breach> {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: REGISTER, sk: id }, ConsistentRead: true }));
    if (!result.Item) throw new NotFoundError(`breach ${id} is not in the register`);
    return toBreach(result.Item);
  }

  /** Writes the breach if nobody changed it since `version` was read, with its audit events, in one transaction. */
  async update(next: Breach, events: AuditEvent[]): Promise<Breach> {
    const written = { ...next, version: next.version + 1 };
    try {
      const record = putIf(this.table, breachItem(written), '#version = :version', { '#version': 'version' }, { ':version': next.version });
      await writeAudited(this.db, this.auditTable, [record], [{ trail: next.id, events }], this.now());
    } catch (error) {
      if (recordConditionFailed(error, 0)) throw new ConflictError(`breach ${next.id} was changed meanwhile; read it again`);
      throw error;
    }
    return written;
  }

  async list(): Promise<Breach[]> {
    const items = await queryAll(this.db, { TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': REGISTER }, ScanIndexForward: false });
    return items.map(toBreach);
  }

  async listOpen(): Promise<Breach[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: OPEN_DUE_INDEX,
      KeyConditionExpression: 'openDue = :open',
      ExpressionAttributeValues: { ':open': OPEN_BREACH },
    });
    return items.map(toBreach);
  }

  async addSubject(breachId: string, subject: AffectedSubject): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: breachId, sk: `${SUBJECT}${subject.key}`, ...subject }, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listSubjects(breachId: string, options: { cursor?: string; limit: number; delivery?: AffectedSubject['delivery']['status'] }): Promise<SubjectPage> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :subject)',
        ...(options.delivery
          ? { FilterExpression: 'delivery.#status = :status', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':pk': breachId, ':subject': SUBJECT, ':status': options.delivery } }
          : { ExpressionAttributeValues: { ':pk': breachId, ':subject': SUBJECT } }),
        ExclusiveStartKey: keyOf(options.cursor, breachId),
        Limit: options.limit,
        ConsistentRead: true,
      }),
    );
    return { subjects: (page.Items ?? []).map(toSubject), cursor: cursorOf(page.LastEvaluatedKey) };
  }

  async setDelivery(breachId: string, key: string, from: AffectedSubject['delivery']['status'], delivery: AffectedSubject['delivery']): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: breachId, sk: `${SUBJECT}${key}` },
          UpdateExpression: 'SET delivery = :delivery',
          ConditionExpression: 'delivery.#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':delivery': delivery, ':from': from },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
