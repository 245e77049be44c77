import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { DataSource } from '../../config/profile-schema.ts';
import type { DataSourceConnector } from '../../use-cases/ports.ts';
import { secretSource } from '../aws/secrets.ts';
import { withTransientErrors } from '../dependency-errors.ts';
import { documentClient } from '../dynamodb/client.ts';
import { DynamoDbSourceConnector } from './dynamodb-source.ts';
import { HttpSourceConnector } from './http-source.ts';
import { S3SourceConnector } from './s3-source.ts';

let s3: S3Client | undefined;
/** One S3 client per process; path-style addressing when a local endpoint (s3rver) stands in for S3. */
function s3Client(): S3Client {
  s3 ??= withTransientErrors(new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }), 'S3');
  return s3;
}

/** The connector for a source declared in the operator profile. */
export function connectorFor(source: DataSource): DataSourceConnector {
  switch (source.kind) {
    case 'dynamodb':
      return new DynamoDbSourceConnector(documentClient(), source, async () => {
        const table = await withTransientErrors(new DynamoDBClient({}), 'DynamoDB').send(new DescribeTableCommand({ TableName: source.tableName }));
        return (table.Table?.KeySchema ?? []).map((key) => key.AttributeName!);
      });
    case 's3':
      return new S3SourceConnector(s3Client(), source);
    case 'http':
      return new HttpSourceConnector(source, () => secretSource().get(source.secretName));
  }
}
