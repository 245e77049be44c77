import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import { seal, unseal } from '../../domain/sealing.ts';
import type { DecisionStore, PendingDecision } from '../../use-cases/ports.ts';
import { PartitionItems } from './partition-items.ts';

/**
 * Pending operator decisions live in the requests table under one partition: few at a time, listed by a query. The
 * task token that releases the workflow is stored sealed (see sealing.ts), bound to its request.
 */
export class DynamoDecisionStore implements DecisionStore {
  private readonly items: PartitionItems<PendingDecision>;
  constructor(
    db: DynamoDBDocumentClient,
    table: string,
    private readonly sealingKey: () => Promise<Buffer>,
  ) {
    this.items = new PartitionItems(db, table, 'DECISION');
  }

  async put(pending: PendingDecision): Promise<void> {
    await this.items.put(pending.requestId, { ...pending, taskToken: seal(pending.taskToken, await this.sealingKey(), pending.requestId) });
  }

  async list(): Promise<Array<Omit<PendingDecision, 'taskToken'>>> {
    return (await this.items.list()).map(({ taskToken: _token, ...pending }) => pending).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }

  async take(requestId: string): Promise<PendingDecision> {
    const pending = await this.items.take(requestId);
    if (!pending) throw new NotFoundError(`no decision is pending for request ${requestId}`);
    return { ...pending, taskToken: unseal(pending.taskToken, await this.sealingKey(), requestId) };
  }
}
