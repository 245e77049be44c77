import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** Reads the raw message that the SES S3 action (or the local SMTP server) stored. */
export class RawMailStore {
  private readonly s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  constructor(
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async read(messageId: string): Promise<Uint8Array> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${messageId}` }));
    return object.Body!.transformToByteArray();
  }
}
