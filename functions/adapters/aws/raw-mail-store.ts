import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NotFoundError } from '../../domain/errors.ts';
import { attachmentDisposition, shortened } from '../../domain/filename.ts';
import type { DownloadLink, MailArchive } from '../../use-cases/ports.ts';
import { s3Client } from './s3-client.ts';

/** A media type as an HTTP header may carry it; a type and a subtype name are at most 127 characters each (RFC 6838). */
const MEDIA_TYPE = /^[\w!#$&^.+-]{1,127}\/[\w!#$&^.+-]{1,127}$/;
/** S3 keeps at most 2 KB of user metadata on an object; a longer name is shortened to this, percent-encoded. */
const MAX_STORED_FILENAME = 1024;

/** Where a request's attachments are kept, beside the raw mail they came in. */
export const ATTACHMENTS_PREFIX = 'attachments/';

/** S3 user metadata holding an attachment's file name, percent-encoded (metadata values are ASCII). */
const FILENAME_METADATA = 'filename';

/**
 * How long a download link lives: long enough for the click that asked for it to start the download (the bytes may
 * take longer: S3 checks the expiry when the transfer starts), too short to pass the link on.
 */
export const LINK_SECONDS = 60;

/**
 * The raw-mail bucket: reads the message the SES S3 action (or the local SMTP server) stored, and keeps the
 * attachments of a request's mail under attachments/<request id>/ for the operator. A file's key is a random name;
 * the name the sender gave it (often personal: "passport Aigerim.pdf") is kept only on the object itself, so it goes
 * when the request's own records are anonymised, while the audit trail, which stays, holds the key.
 */
export class RawMailStore implements MailArchive {
  constructor(
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly s3: S3Client = s3Client(),
  ) {}

  async read(messageId: string): Promise<Uint8Array> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${messageId}` }));
    return object.Body!.transformToByteArray();
  }

  async keep(requestId: string, attachment: { filename: string; contentType: string; content: Uint8Array }, folder?: 'quarantine'): Promise<string> {
    const key = `${ATTACHMENTS_PREFIX}${requestId}/${folder ? `${folder}/` : ''}${randomBytes(16).toString('hex')}`;
    // A mangled type in the mail (the intake fuzzer sent some) must not become an invalid HTTP header.
    // Nor a type too long for one (a fuzzed mail carried a 290 KB one, and S3 refused the call); the intake cuts names
    // to 200 characters, still more than S3's 2 KB of metadata holds when each is four bytes (storableFilename).
    const contentType = MEDIA_TYPE.test(attachment.contentType) ? attachment.contentType : 'application/octet-stream';
    // The name is on the object twice: as metadata (read back for the console), and as the Content-Disposition S3
    // answers a download with, so a download link need not carry it (S3's access log keeps every link for 400 days).
    const stored = storableFilename(attachment.filename);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: attachment.content,
        ContentType: contentType,
        ContentDisposition: attachmentDisposition(storedFilename({ [FILENAME_METADATA]: stored })),
        Metadata: { [FILENAME_METADATA]: stored },
      }),
    );
    return key;
  }

  /** Where the raw message of this SES message id is kept (async: the store is loaded on its first call). */
  async rawKey(sesMessageId: string): Promise<string> {
    return `${this.prefix}${sesMessageId}`;
  }

  /**
   * Removes these objects (raw messages, attachments); removing one that is gone already is no error. The bucket is
   * versioned: what is removed stays as a noncurrent version until the bucket's lifecycle expires it (30 days).
   */
  async remove(keys: string[]): Promise<void> {
    for (const key of keys) await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async attachmentLink(requestId: string, key: string): Promise<DownloadLink> {
    const missing = () => new NotFoundError(`no attachment ${key} for request ${requestId}`);
    // Only this request's own folder: a key naming another request's file is simply not found.
    if (!key.startsWith(`${ATTACHMENTS_PREFIX}${requestId}/`) || key.split('/').includes('..')) throw missing();
    const head = await this.head(key, missing);
    // A file kept before its name went on it as its Content-Disposition has the name in its link.
    return this.link(key, head.ContentDisposition ? undefined : attachmentDisposition(storedFilename(head.Metadata)));
  }

  async rawMailLink(sesMessageId: string, filename: string): Promise<DownloadLink> {
    const key = `${this.prefix}${sesMessageId}`;
    await this.head(key, () => new NotFoundError(`no raw mail ${sesMessageId} in the archive`));
    return this.link(key, attachmentDisposition(filename));
  }

  /** The object's head, or `missing()` when there is none: a link to nothing would fail where the operator cannot read why. */
  private async head(key: string, missing: () => NotFoundError) {
    try {
      return await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (error instanceof NotFound) throw missing();
      throw error;
    }
  }

  /**
   * A presigned GET of this one object, signed with the function's own role: its key is in the signed path, and every
   * query parameter is signed (no version, no other response header can be added). It is always served as bytes to
   * save, never to render, under `disposition` where given (else the object's own).
   */
  private async link(key: string, disposition: string | undefined): Promise<DownloadLink> {
    const expiresAt = new Date(Date.now() + LINK_SECONDS * 1000).toISOString();
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: 'application/octet-stream', ...(disposition && { ResponseContentDisposition: disposition }) });
    return { url: await getSignedUrl(this.s3, command, { expiresIn: LINK_SECONDS }), expiresAt };
  }
}

/**
 * The sender's file name, percent-encoded for S3's metadata (ASCII), at most MAX_STORED_FILENAME long: a longer one
 * keeps its beginning and its extension around an ellipsis. Unpaired surrogates, which cannot be encoded, become U+FFFD.
 */
function storableFilename(filename: string): string {
  return encodeURIComponent(shortened(filename.toWellFormed(), MAX_STORED_FILENAME, (character) => encodeURIComponent(character).length));
}

/** The name kept on the object; one that cannot be read back (or none, kept before names moved here) is 'attachment'. */
function storedFilename(metadata: Record<string, string> | undefined): string {
  try {
    return decodeURIComponent(metadata?.[FILENAME_METADATA] ?? '') || 'attachment';
  } catch {
    return 'attachment';
  }
}
