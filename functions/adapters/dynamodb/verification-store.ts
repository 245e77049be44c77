import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { VerificationRecord, VerificationStore } from '../../use-cases/ports.ts';
import { SingleUseTokens } from './single-use-tokens.ts';

/** Verification codes: pk=<sha256 of the code>, with the task token that the confirmation releases. */
export class DynamoVerificationStore implements VerificationStore {
  private readonly tokens: SingleUseTokens<{ requestId: string; taskToken: string }>;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.tokens = new SingleUseTokens(db, table, 'verification');
  }

  async put(record: VerificationRecord): Promise<void> {
    await this.tokens.put(record.codeHash, { requestId: record.requestId, taskToken: record.taskToken }, record.expiresAt);
  }

  async peek(codeHash: string, now: Date): Promise<VerificationRecord> {
    const { requestId, taskToken, expiresAt } = await this.tokens.peek(codeHash, now);
    return { codeHash, requestId, taskToken, expiresAt };
  }

  async consume(codeHash: string, now: Date): Promise<VerificationRecord> {
    const { requestId, taskToken, expiresAt } = await this.tokens.consume(codeHash, now);
    return { codeHash, requestId, taskToken, expiresAt };
  }
}
