import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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

  async read(key: string): Promise<string> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return object.Body!.transformToString('utf8');
  }
}
