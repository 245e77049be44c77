import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { DataSource } from '../../config/profile-schema.ts';
import { DependencyError, DerbesError } from '../../domain/errors.ts';
import { BLOCKED_ATTRIBUTE, type DataSourceConnector, type SourceOutcome, type Subject } from '../../use-cases/ports.ts';
import { ANONYMISED, changesFor, erasedFieldsOf, permittedChanges } from './source-rules.ts';

type S3Source = Extract<DataSource, { kind: 's3' }>;
/** Present in a person's folder while their processing is blocked; the company's code must check for it. */
export const BLOCK_MARKER = '.derbes-blocked';
/** The most keys one DeleteObjects call takes. */
const DELETE_BATCH = 1000;
/** Objects read at once: a person with many small objects is read in seconds, not minutes. */
const PARALLEL_READS = 16;

interface StoredObject {
  key: string;
  size: number;
  contentType?: string;
  metadata?: Record<string, string>;
  /** The content, when the object is a JSON object. */
  json?: Record<string, unknown>;
}

function looksLikeJson(key: string, contentType: string | undefined): boolean {
  return /[/+]json\b/i.test(contentType ?? '') || key.toLowerCase().endsWith('.json');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A bucket where each person's objects live under `<prefix><normalised e-mail>/`. JSON objects are read
 * and changed field by field; other objects (documents, audio) can only be listed and deleted.
 */
export class S3SourceConnector implements DataSourceConnector {
  private versioned?: Promise<boolean>;

  constructor(
    private readonly s3: S3Client,
    private readonly source: S3Source,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private folder(subject: Subject): string {
    return `${this.source.prefix}${subject.email}/`;
  }

  /** Turns S3 failures into DependencyError, named by operation only: keys carry the person's address. */
  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DerbesError) throw error;
      throw new DependencyError(`source ${this.source.id}: ${operation} failed: ${(error as Error).name}`, { cause: error });
    }
  }

  /**
   * Pages with ListObjects (v1) and its marker, the last key seen: s3rver, the local S3, cannot make
   * ListObjectsV2 continuation tokens on Node 24 (it ciphers them with DES, which OpenSSL 3 refuses).
   */
  private async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsCommand({ Bucket: this.source.bucket, Prefix: prefix, Marker: marker }));
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      marker = page.IsTruncated ? keys.at(-1) : undefined;
    } while (marker);
    return keys;
  }

  /** Keys under the person's folder, the block marker apart. */
  private async listFolder(subject: Subject): Promise<{ keys: string[]; blocked: boolean }> {
    const marker = this.folder(subject) + BLOCK_MARKER;
    const all = await this.listKeys(this.folder(subject));
    return { keys: all.filter((key) => key !== marker), blocked: all.includes(marker) };
  }

  private async read(key: string): Promise<StoredObject> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.source.bucket, Key: key }));
    const stored: StoredObject = { key, size: object.ContentLength ?? 0, contentType: object.ContentType, metadata: object.Metadata };
    if (!object.Body) return stored;
    if (!looksLikeJson(key, object.ContentType)) {
      // Only the listing is wanted; stop the download of what may be a large recording.
      await object.Body.transformToWebStream().cancel();
      return stored;
    }
    try {
      const content: unknown = JSON.parse(await object.Body.transformToString());
      if (isPlainObject(content)) stored.json = content;
    } catch {
      // Labelled JSON but not parseable: listed like any other object.
    }
    return stored;
  }

  private async readFolder(subject: Subject): Promise<{ objects: StoredObject[]; blocked: boolean }> {
    const { keys, blocked } = await this.listFolder(subject);
    const objects: StoredObject[] = [];
    for (let start = 0; start < keys.length; start += PARALLEL_READS) {
      objects.push(...(await Promise.all(keys.slice(start, start + PARALLEL_READS).map((key) => this.read(key)))));
    }
    return { objects, blocked };
  }

  private async write(key: string, content: Record<string, unknown>, like?: StoredObject): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.source.bucket,
        Key: key,
        Body: JSON.stringify(content),
        ContentType: like?.contentType ?? 'application/json',
        Metadata: like?.metadata,
      }),
    );
  }

  find(subject: Subject): Promise<Array<Record<string, unknown>>> {
    return this.guard('find', async () => {
      const { objects, blocked } = await this.readFolder(subject);
      return objects.map((object) => ({
        ...(object.json ?? { key: object.key, contentType: object.contentType, size: object.size }),
        ...(blocked ? { [BLOCKED_ATTRIBUTE]: true } : {}),
      }));
    });
  }

  rectify(subject: Subject, changes: Record<string, string>): Promise<SourceOutcome> {
    const permitted = permittedChanges(this.source, changes);
    if (!Object.keys(permitted).length) return Promise.resolve({ status: 'done', affected: 0 });
    return this.guard('rectify', () => this.rewriteEach(subject, (json) => changesFor(json, permitted)));
  }

  /**
   * Only JSON objects have fields to overwrite: a document or a recording in the folder is kept whole (a limited
   * erasure keeps everything but the fields named).
   */
  eraseFields(subject: Subject, fields: string[]): Promise<SourceOutcome> {
    return this.guard('eraseFields', () => this.rewriteEach(subject, (json) => erasedFieldsOf(json, fields)));
  }

  /** Rewrites each JSON object of the person's with the values `change` gives it (none: left as it is); counts them. */
  private async rewriteEach(subject: Subject, change: (json: Record<string, unknown>) => Record<string, string>): Promise<SourceOutcome> {
    let affected = 0;
    for (const object of (await this.readFolder(subject)).objects) {
      const changes = object.json ? change(object.json) : {};
      if (!Object.keys(changes).length) continue;
      await this.write(object.key, { ...object.json, ...changes }, object);
      affected++;
    }
    return { status: 'done', affected };
  }

  withdrawConsent(subject: Subject, attributes: string[]): Promise<SourceOutcome> {
    return this.guard('withdrawConsent', async () => {
      let affected = 0;
      for (const object of (await this.readFolder(subject)).objects) {
        const content = object.json;
        const held = content ? attributes.filter((attribute) => attribute in content && content[attribute] !== false) : [];
        if (!held.length) continue;
        await this.write(object.key, { ...content, ...Object.fromEntries(held.map((attribute) => [attribute, false])) }, object);
        affected++;
      }
      return { status: 'done', affected };
    });
  }

  block(subject: Subject): Promise<SourceOutcome> {
    return this.guard('block', async () => {
      const { keys, blocked } = await this.listFolder(subject);
      // Nothing held, nothing to block: no marker, which would itself name the person.
      if (!keys.length) return { status: 'done', affected: 0 };
      // A second block keeps the first marker, whose time shows since when processing has stopped.
      if (!blocked) await this.write(this.folder(subject) + BLOCK_MARKER, { blockedAt: this.now().toISOString() });
      return { status: 'done', affected: keys.length };
    });
  }

  unblock(subject: Subject): Promise<SourceOutcome> {
    return this.guard('unblock', async () => {
      const { keys, blocked } = await this.listFolder(subject);
      if (!blocked) return { status: 'done', affected: 0 };
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.source.bucket, Key: this.folder(subject) + BLOCK_MARKER }));
      return { status: 'done', affected: keys.length };
    });
  }

  erase(subject: Subject): Promise<SourceOutcome> {
    return this.guard('erase', async () => {
      if (this.source.erasure === 'delete') {
        const { keys } = await this.listFolder(subject);
        await this.removeFolder(subject);
        return { status: 'done', affected: keys.length };
      }
      // Anonymise: the key itself names the person, so each JSON object is rewritten, its personal fields
      // overwritten, into a folder with a random name; objects that have no fields to overwrite (documents,
      // recordings) cannot be anonymised and go with the folder.
      const { objects } = await this.readFolder(subject);
      const anonymousFolder = `${this.source.prefix}erased-${randomUUID()}/`;
      for (const object of objects) {
        const content = object.json;
        if (!content) continue;
        const overwritten = Object.fromEntries(this.source.personalFields.filter((field) => field in content).map((field) => [field, ANONYMISED]));
        await this.write(anonymousFolder + object.key.slice(this.folder(subject).length), { ...content, ...overwritten }, object);
      }
      await this.removeFolder(subject);
      return { status: 'done', affected: objects.length };
    });
  }

  private isVersioned(): Promise<boolean> {
    this.versioned ??= this.s3.send(new GetBucketVersioningCommand({ Bucket: this.source.bucket })).then(
      // Suspended versioning still keeps the versions written while it was enabled.
      (answer) => answer.Status === 'Enabled' || answer.Status === 'Suspended',
    );
    this.versioned.catch(() => (this.versioned = undefined));
    return this.versioned;
  }

  /** Every object and, in a versioned bucket, every version and delete marker under the person's folder. */
  private async listEverything(subject: Subject): Promise<ObjectIdentifier[]> {
    const prefix = this.folder(subject);
    if (!(await this.isVersioned())) return (await this.listKeys(prefix)).map((key) => ({ Key: key }));
    const found: ObjectIdentifier[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.source.bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      for (const version of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (version.Key) found.push({ Key: version.Key, VersionId: version.VersionId });
      }
      [keyMarker, versionIdMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextVersionIdMarker] : [undefined, undefined];
    } while (keyMarker);
    return found;
  }

  /**
   * Deletes the person's folder so that nothing is recoverable: in a versioned bucket each version is
   * deleted by id (a plain delete would only add a delete marker). Checked afterwards, so a write that
   * raced the deletion fails the step (and the workflow retries) instead of passing unnoticed.
   */
  private async removeFolder(subject: Subject): Promise<void> {
    const everything = await this.listEverything(subject);
    for (let start = 0; start < everything.length; start += DELETE_BATCH) {
      const answer = await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.source.bucket, Delete: { Objects: everything.slice(start, start + DELETE_BATCH), Quiet: true } }),
      );
      if (answer.Errors?.length) {
        throw new DependencyError(`source ${this.source.id}: erase could not delete ${answer.Errors.length} object(s): ${[...new Set(answer.Errors.map((e) => e.Code))].join(', ')}`);
      }
    }
    const left = (await this.listEverything(subject)).length;
    if (left) throw new DependencyError(`source ${this.source.id}: erase left ${left} object(s) behind`);
  }
}
