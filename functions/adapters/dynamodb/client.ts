import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withTransientErrors } from '../dependency-errors.ts';

/** One document client per process; the endpoint comes from AWS_ENDPOINT_URL_DYNAMODB locally. */
let client: DynamoDBDocumentClient | undefined;
export function documentClient(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(withTransientErrors(new DynamoDBClient({}), 'DynamoDB'), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return client;
}
