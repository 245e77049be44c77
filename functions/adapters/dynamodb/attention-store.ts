import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import type { AttentionStore, PendingAttention } from '../../use-cases/ports.ts';
import { PartitionItems } from './partition-items.ts';

/** Workflows waiting for the operator after a failure, in the requests table under one partition (few at a time). */
export class DynamoAttentionStore implements AttentionStore {
  private readonly items: PartitionItems<PendingAttention>;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.items = new PartitionItems(db, table, 'ATTENTION');
  }

  async put(pending: PendingAttention): Promise<void> {
    await this.items.put(pending.requestId, pending);
  }

  async take(requestId: string): Promise<PendingAttention> {
    const pending = await this.items.take(requestId);
    if (!pending) throw new NotFoundError(`no failed step of request ${requestId} waits to be resumed`);
    return pending;
  }
}
