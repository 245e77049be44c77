import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PackageStore as PackageStorePort } from '../../use-cases/ports.ts';
import { withTransientErrors } from '../dependency-errors.ts';

/** Access packages (the person's data as JSON and as a page), encrypted at rest by the bucket's KMS key. */
export class PackageStore implements PackageStorePort {
  private readonly s3 = withTransientErrors(new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }), 'S3');
  constructor(private readonly bucket: string) {}

  async put(key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async read(key: string): Promise<string> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return object.Body!.transformToString('utf8');
  }
}
