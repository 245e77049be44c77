import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OpenWorkItem, OpenWorkStore } from '../../use-cases/ports.ts';
import { PartitionItems } from './partition-items.ts';

/** Follow-ups left for the operator live in the requests table under one partition, listed by a query. */
/** The partition of the requests table the open work lives in (a grant to close it is held to this key). */
export const OPEN_WORK_PARTITION = 'OPEN_WORK';

export class DynamoOpenWorkStore implements OpenWorkStore {
  private readonly items: PartitionItems<OpenWorkItem>;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.items = new PartitionItems(db, table, OPEN_WORK_PARTITION);
  }

  async put(item: OpenWorkItem): Promise<void> {
    await this.items.put(`${item.requestId}#${item.id}`, item);
  }

  async putEarliest(item: OpenWorkItem): Promise<void> {
    // One condition, so that mails recorded at the same moment leave the earliest, whichever writes last.
    await this.items.putIf(`${item.requestId}#${item.id}`, item, 'since > :since', { ':since': item.since });
  }

  async list(): Promise<OpenWorkItem[]> {
    return (await this.items.list()).sort((a, b) => a.since.localeCompare(b.since));
  }

  async remove(requestId: string, id: string): Promise<void> {
    await this.items.remove(`${requestId}#${id}`);
  }
}
