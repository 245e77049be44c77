import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SuppressionList } from '../../use-cases/ports.ts';

/** The marketing suppression list, beside the consent ledger and keyed the same way (person key, never the address). */
export class DynamoSuppressionList implements SuppressionList {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly personKey: (email: string) => Promise<string>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async add(email: string, evidence: { requestId: string }): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: await this.personKey(email), sk: 'SUPPRESSION', at: this.now().toISOString(), ...evidence } }));
  }

  async has(email: string): Promise<boolean> {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: await this.personKey(email), sk: 'SUPPRESSION' } }));
    return Boolean(result.Item);
  }
}
