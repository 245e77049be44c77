import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DataSource } from '../../config/profile-schema.ts';
import type { DataSourceConnector } from '../../use-cases/ports.ts';
import { documentClient } from '../dynamodb/client.ts';
import { DynamoDbSourceConnector } from './dynamodb-source.ts';

/** The connector for a source declared in the operator profile. */
export function connectorFor(source: DataSource): DataSourceConnector {
  switch (source.kind) {
    case 'dynamodb':
      return new DynamoDbSourceConnector(documentClient(), source, async () => {
        const table = await new DynamoDBClient({}).send(new DescribeTableCommand({ TableName: source.tableName }));
        return (table.Table?.KeySchema ?? []).map((key) => key.AttributeName!);
      });
    default:
      throw new Error(`no connector for source kind ${source.kind}`);
  }
}
