import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DataSource } from '../../config/profile-schema.ts';
import type { DataSourceConnector } from '../../use-cases/ports.ts';
import { s3Client } from '../aws/s3-client.ts';
import { secretSource } from '../aws/secrets.ts';
import { documentClient, dynamoDbClient } from '../dynamodb/client.ts';
import { DynamoDbSourceConnector } from './dynamodb-source.ts';
import { HttpSourceConnector } from './http-source.ts';
import { S3SourceConnector } from './s3-source.ts';

/** The connector for a source declared in the operator profile. */
export function connectorFor(source: DataSource): DataSourceConnector {
  switch (source.kind) {
    case 'dynamodb':
      return new DynamoDbSourceConnector(documentClient(), source, async () => {
        const table = await dynamoDbClient().send(new DescribeTableCommand({ TableName: source.tableName }));
        return (table.Table?.KeySchema ?? []).map((key) => key.AttributeName!);
      });
    case 's3':
      return new S3SourceConnector(s3Client(), source);
    case 'http':
      return new HttpSourceConnector(source, () => secretSource().get(source.secretName));
  }
}
