import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClient } from '../dependency-errors.ts';

let low: DynamoDBClient | undefined;
let client: DynamoDBDocumentClient | undefined;

/** One DynamoDB client per process; the endpoint comes from AWS_ENDPOINT_URL_DYNAMODB locally. */
export function dynamoDbClient(): DynamoDBClient {
  low ??= awsClient(new DynamoDBClient({}), 'DynamoDB');
  return low;
}

/** The document client over it, one per process. */
export function documentClient(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } });
  return client;
}
