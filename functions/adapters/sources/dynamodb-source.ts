import { randomUUID } from 'node:crypto';
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../dynamodb/query-all.ts';
import type { DataSource } from '../../config/profile-schema.ts';
import { BLOCKED_ATTRIBUTE, type DataSourceConnector, type SourceOutcome, type Subject } from '../../use-cases/ports.ts';
import { ANONYMISED, changesFor, erasedFieldsOf, permittedChanges } from './source-rules.ts';

type DynamoDbSource = Extract<DataSource, { kind: 'dynamodb' }>;
/** One write of a DynamoDB transaction (Put or Delete), as erasing a record needs. */
export type ErasureWrite = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** The update that sets these fields of one record to these values; none where there is nothing to set. */
function setting(values: Record<string, string>): Omit<UpdateCommand['input'], 'TableName' | 'Key'> | undefined {
  const fields = Object.entries(values);
  if (!fields.length) return undefined;
  return {
    UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(fields.map(([field], i) => [`#f${i}`, field])),
    ExpressionAttributeValues: Object.fromEntries(fields.map(([, value], i) => [`:v${i}`, value])),
  };
}

/** A company table holding people's records, found by the attribute that carries their e-mail address. */
export class DynamoDbSourceConnector implements DataSourceConnector {
  private keyNames?: string[];

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly source: DynamoDbSource,
    /** The table's key attributes (partition, sort), needed to address single items. */
    private readonly keySchema: () => Promise<string[]>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  find(subject: Subject): Promise<Array<Record<string, unknown>>> {
    return queryAll(this.db, {
      TableName: this.source.tableName,
      IndexName: this.source.indexName,
      KeyConditionExpression: '#key = :email',
      ExpressionAttributeNames: { '#key': this.source.keyAttribute },
      ExpressionAttributeValues: { ':email': subject.email },
    });
  }

  /** Applies one SET/REMOVE to every record of the person; counts what it changed. */
  private async updateEach(subject: Subject, update: (record: Record<string, unknown>) => Omit<UpdateCommand['input'], 'TableName' | 'Key'> | undefined): Promise<SourceOutcome> {
    let affected = 0;
    for (const record of await this.find(subject)) {
      const input = update(record);
      if (!input) continue;
      await this.db.send(new UpdateCommand({ TableName: this.source.tableName, Key: await this.keyOf(record), ...input }));
      affected++;
    }
    return { status: 'done', affected };
  }

  rectify(subject: Subject, changes: Record<string, string>): Promise<SourceOutcome> {
    const permitted = permittedChanges(this.source, changes);
    return this.updateEach(subject, (record) => setting(changesFor(record, permitted)));
  }

  eraseFields(subject: Subject, fields: string[]): Promise<SourceOutcome> {
    return this.updateEach(subject, (record) => setting(erasedFieldsOf(record, fields)));
  }

  block(subject: Subject): Promise<SourceOutcome> {
    return this.updateEach(subject, () => ({
      UpdateExpression: 'SET #blocked = :true, #blockedAt = :now',
      ExpressionAttributeNames: { '#blocked': BLOCKED_ATTRIBUTE, '#blockedAt': `${BLOCKED_ATTRIBUTE}At` },
      ExpressionAttributeValues: { ':true': true, ':now': this.now().toISOString() },
    }));
  }

  unblock(subject: Subject): Promise<SourceOutcome> {
    return this.updateEach(subject, (record) =>
      record[BLOCKED_ATTRIBUTE] ? { UpdateExpression: 'REMOVE #blocked, #blockedAt', ExpressionAttributeNames: { '#blocked': BLOCKED_ATTRIBUTE, '#blockedAt': `${BLOCKED_ATTRIBUTE}At` } } : undefined,
    );
  }

  withdrawConsent(subject: Subject, attributes: string[]): Promise<SourceOutcome> {
    return this.updateEach(subject, (record) => {
      const held = attributes.filter((attribute) => attribute in record && record[attribute] !== false);
      if (!held.length) return undefined;
      return {
        UpdateExpression: `SET ${held.map((_, i) => `#a${i} = :false`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(held.map((attribute, i) => [`#a${i}`, attribute])),
        ExpressionAttributeValues: { ':false': false },
      };
    });
  }

  async erase(subject: Subject): Promise<SourceOutcome> {
    let affected = 0;
    for (const record of await this.find(subject)) {
      await this.eraseRecord(record);
      affected++;
    }
    return { status: 'done', affected };
  }

  /**
   * Erases one record as the profile says: deletes it, or overwrites its personal fields and the address (with `mark`,
   * e.g. when the retention purge did it). Where the address is part of the item's key the record cannot keep it, so it
   * moves to a new key that names nobody, and the old item goes — both in one transaction, so a crash leaves no copy.
   */
  async eraseRecord(record: Record<string, unknown>, mark: Record<string, unknown> = {}): Promise<void> {
    await this.db.send(new TransactWriteCommand({ TransactItems: (await this.erasureWrites(record, mark)).writes }));
  }

  /**
   * The writes that erase one record; `original` is the index of the write addressing the record itself (where a
   * caller adds the condition that the record is still as it read it).
   */
  async erasureWrites(record: Record<string, unknown>, mark: Record<string, unknown> = {}): Promise<{ writes: ErasureWrite[]; original: number }> {
    const TableName = this.source.tableName;
    if (this.source.erasure === 'delete') return { writes: [{ Delete: { TableName, Key: await this.keyOf(record) } }], original: 0 };
    this.keyNames ??= await this.keySchema();
    const fields = [...new Set([...this.source.personalFields, this.source.keyAttribute])];
    const anonymised = { ...record, ...Object.fromEntries(fields.filter((f) => f in record).map((f) => [f, ANONYMISED])), ...mark };
    if (!this.keyNames.includes(this.source.keyAttribute)) return { writes: [{ Put: { TableName, Item: anonymised } }], original: 0 };
    anonymised[this.source.keyAttribute] = `${ANONYMISED}${randomUUID()}`;
    return {
      writes: [
        { Put: { TableName, Item: anonymised, ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': this.source.keyAttribute } } },
        { Delete: { TableName, Key: await this.keyOf(record) } },
      ],
      original: 1,
    };
  }

  /** The key of a record, as the table defines it (for addressing it, or hashing it into the audit trail). */
  async keyOf(record: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.keyNames ??= await this.keySchema();
    return Object.fromEntries(this.keyNames.map((name) => [name, record[name]]));
  }
}
