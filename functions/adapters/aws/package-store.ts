import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { NotFoundError } from '../../domain/errors.ts';
import type { PackageStore as PackageStorePort } from '../../use-cases/ports.ts';
import { s3Client } from './s3-client.ts';

/** Access packages (the person's data as JSON and as a page), encrypted at rest by the bucket's KMS key. */
export class PackageStore implements PackageStorePort {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client = s3Client(),
  ) {}

  async put(key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  /** Throws NotFoundError when nothing is stored under the key. */
  async read(key: string): Promise<string> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return object.Body!.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey) throw new NotFoundError(`no object ${key}`);
      throw error;
    }
  }
}
