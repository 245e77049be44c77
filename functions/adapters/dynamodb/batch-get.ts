import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Throttled } from '../../domain/errors.ts';

/** BatchGetItem reads at most 100 keys a call. */
const KEYS_PER_BATCH = 100;
/** Unprocessed keys (throttling, a response's 16 MB) are asked again this many times in all, pausing 25, 50, 100… ms. */
const BATCH_ATTEMPTS = 6;
const BATCH_PAUSE_MS = 25;

/**
 * The items of one table under these keys (`pk`, `sk`), as they stand (consistent reads): BatchGetItem, KEYS_PER_BATCH
 * keys a call, the keys DynamoDB leaves unprocessed asked again after a pause; Throttled when some stay unread. Keyed by
 * `pk` (each key names one item of its partition here); a key with no item is absent.
 */
export async function readByKeys(db: DynamoDBDocumentClient, table: string, keys: ReadonlyArray<{ pk: unknown; sk: unknown }>, what: string): Promise<Map<string, Record<string, unknown>>> {
  const read = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < keys.length; i += KEYS_PER_BATCH) {
    let pending: Record<string, unknown>[] = keys.slice(i, i + KEYS_PER_BATCH).map(({ pk, sk }) => ({ pk, sk }));
    for (let attempt = 0; pending.length; attempt += 1) {
      if (attempt === BATCH_ATTEMPTS) throw new Throttled(`${pending.length} ${what} left unread after ${BATCH_ATTEMPTS} attempts`);
      if (attempt) await new Promise((resolve) => setTimeout(resolve, BATCH_PAUSE_MS * 2 ** (attempt - 1)));
      const answer = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
      for (const item of answer.Responses?.[table] ?? []) read.set(String(item.pk), item);
      pending = answer.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return read;
}
