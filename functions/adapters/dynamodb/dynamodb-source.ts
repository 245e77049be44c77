import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DataSource } from '../../config/profile-schema.ts';
import type { DataSourceConnector } from '../../use-cases/ports.ts';

/** A company table holding people's records, found by the attribute that carries their e-mail address. */
export class DynamoDbSourceConnector implements DataSourceConnector {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly source: Extract<DataSource, { kind: 'dynamodb' }>,
  ) {}

  async find(email: string): Promise<Array<Record<string, unknown>>> {
    const records: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.source.tableName,
          IndexName: this.source.indexName,
          KeyConditionExpression: '#key = :email',
          ExpressionAttributeNames: { '#key': this.source.keyAttribute },
          ExpressionAttributeValues: { ':email': email },
          ExclusiveStartKey: startKey,
        }),
      );
      records.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }
}
