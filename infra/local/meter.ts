import { renameSync, writeFileSync } from 'node:fs';
import type { ServiceRequest } from './aws-endpoint.ts';
import type { Authorization } from './iam.ts';

/** What the functions asked of AWS so far: calls by service and operation, and the items DynamoDB wrote. */
export interface MeterReading {
  calls: Record<string, number>;
  /** Items put, updated or deleted: a transaction's parts and a batch's requests each count once. */
  dynamoDbItemWrites: number;
}

const ITEM_WRITES = new Set(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);

/**
 * Counts every call the functions' endpoints let through, so a bench can divide the work by the requests it sent
 * (the writes a request makes, the calls it would be billed for in AWS).
 */
export class Meter {
  private readonly calls = new Map<string, number>();
  private itemWrites = 0;
  private changed = false;

  count(service: string, request: ServiceRequest, authorizations: Authorization[]): void {
    const target = String(request.headers['x-amz-target'] ?? '').replace(/^[^.]*\./, '');
    const operation = `${service}:${target || (authorizations[0]?.action.replace(/^[^:]*:/, '') ?? request.method)}`;
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    if (operation === 'dynamodb:BatchWriteItem') this.itemWrites += batchWrites(request);
    else this.itemWrites += authorizations.filter((a) => ITEM_WRITES.has(a.action)).length;
    this.changed = true;
  }

  reading(): MeterReading {
    return { calls: Object.fromEntries([...this.calls].sort(([a], [b]) => a.localeCompare(b))), dynamoDbItemWrites: this.itemWrites };
  }

  /** Writes the reading to `file` whenever it changed, every `everyMs`, and once more when stopped. */
  writeTo(file: string, everyMs = 250): () => Promise<void> {
    const flush = () => {
      if (!this.changed) return;
      this.changed = false;
      // Written aside and renamed: a reader never sees half a file.
      writeFileSync(`${file}.tmp`, JSON.stringify(this.reading()));
      renameSync(`${file}.tmp`, file);
    };
    const timer = setInterval(flush, everyMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      this.changed = true;
      flush();
    };
  }
}

function batchWrites(request: ServiceRequest): number {
  try {
    const body = JSON.parse(request.body.toString('utf8')) as { RequestItems?: Record<string, unknown[]> };
    return Object.values(body.RequestItems ?? {}).reduce((sum, items) => sum + items.length, 0);
  } catch {
    return 0;
  }
}
