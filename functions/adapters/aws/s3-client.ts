import { S3Client } from '@aws-sdk/client-s3';
import { awsClient } from '../dependency-errors.ts';

let client: S3Client | undefined;

/** One S3 client per process; path-style addressing when a local endpoint (s3rver) stands in for S3. */
export function s3Client(): S3Client {
  client ??= awsClient(new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }), 'S3');
  return client;
}
