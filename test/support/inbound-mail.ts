import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/adapters/dynamodb/client.ts';
import { Settings } from '../../functions/config/settings.ts';

/** What the audit trail records of one mail that made no request. */
export interface InboundMailRecord {
  messageId?: string;
  outcome: string;
  reason?: string;
}

/** Records of mail that made no request (their own trails, INBOUND#<SES id>), in the running system's audit table. */
export async function inboundMailRecords(): Promise<InboundMailRecord[]> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new ScanCommand({ TableName: process.env[Settings.auditTable]!, FilterExpression: 'begins_with(pk, :mail) AND begins_with(sk, :event)', ExpressionAttributeValues: { ':mail': 'INBOUND#', ':event': 'EVENT#' }, ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items.map((item) => item.detail as InboundMailRecord);
}
