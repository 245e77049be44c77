import { renameSync, writeFileSync } from 'node:fs';
import type { ServiceRequest, ServiceResponse, Upstream } from './aws-endpoint.ts';
import type { Authorization } from './iam.ts';

/** What one function (or the operator's tools) used: what AWS would bill it for. */
export interface Usage {
  /** AWS calls by service and operation, e.g. `dynamodb:GetItem`. */
  calls: Record<string, number>;
  /** Items put, updated or deleted: a transaction's parts and a batch's requests each count once. */
  dynamoDbItemWrites: number;
  /** DynamoDB's consumed capacity (on demand: request units), transactions at the double rate AWS charges. */
  readUnits: number;
  writeUnits: number;
  invocations: number;
  /** Each invocation's duration, rounded up to the millisecond as Lambda bills it, times its memory. */
  gbSeconds: number;
}

export interface MeterReading {
  /** By the function's logical id; `operator` for the operator's tools. */
  usage: Record<string, Usage>;
  /** Step Functions state transitions (Standard workflows are billed by them). */
  stateTransitions: number;
}

const ITEM_WRITES = new Set(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

const emptyUsage = (): Usage => ({ calls: {}, dynamoDbItemWrites: 0, readUnits: 0, writeUnits: 0, invocations: 0, gbSeconds: 0 });

/**
 * Counts what the local runtime's functions use, as AWS would bill it: every call an endpoint lets through (and
 * DynamoDB's consumed capacity, asked of DynamoDB Local for every call), every invocation with its duration, every
 * state transition. Benches read it from METER_FILE and divide by the requests they sent.
 */
export class Meter {
  private readonly usage = new Map<string, Usage>();
  private transitions = 0;
  private changed = false;

  private of(caller: string): Usage {
    let usage = this.usage.get(caller);
    if (!usage) this.usage.set(caller, (usage = emptyUsage()));
    this.changed = true;
    return usage;
  }

  /** An allowed call of `caller` to `service`: counted, and passed upstream. */
  async call(caller: string, service: string, request: ServiceRequest, authorizations: Authorization[], upstream: Upstream): Promise<ServiceResponse> {
    const usage = this.of(caller);
    const target = String(request.headers['x-amz-target'] ?? '').replace(/^[^.]*\./, '');
    const operation = target || (authorizations[0]?.action.replace(/^[^:]*:/, '') ?? request.method);
    const name = `${service}:${operation}`;
    usage.calls[name] = (usage.calls[name] ?? 0) + 1;
    if (service !== 'dynamodb') return upstream(request);

    usage.dynamoDbItemWrites += operation === 'BatchWriteItem' ? batchWrites(request) : authorizations.filter((a) => ITEM_WRITES.has(a.action)).length;
    return this.withCapacity(request, operation, usage, upstream);
  }

  /** Asks DynamoDB Local for the call's consumed capacity, and gives the caller only what it asked for. */
  private async withCapacity(request: ServiceRequest, operation: string, usage: Usage, upstream: Upstream): Promise<ServiceResponse> {
    const body = parse(request.body);
    if (!body) return upstream(request);
    const asked = body.ReturnConsumedCapacity !== undefined && body.ReturnConsumedCapacity !== 'NONE';
    const response = await upstream({ ...request, body: Buffer.from(JSON.stringify({ ...body, ReturnConsumedCapacity: asked ? body.ReturnConsumedCapacity : 'TOTAL' })) });
    const result = response.status === 200 ? parse(Buffer.from(response.body)) : undefined;
    if (!result) return response;
    const consumed = [result.ConsumedCapacity ?? []].flat() as Array<{ CapacityUnits?: number }>;
    // DynamoDB Local reports a transaction's items at the single rate; AWS charges two units per item and KB.
    const units = consumed.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0) * (operation.startsWith('Transact') ? 2 : 1);
    if (READS.has(operation)) usage.readUnits += units;
    else usage.writeUnits += units;
    if (asked) return response;
    delete result.ConsumedCapacity;
    const text = JSON.stringify(result);
    // The body changed: its length and checksum headers no longer apply.
    const headers = Object.fromEntries(Object.entries(response.headers).filter(([h]) => h !== 'x-amz-crc32' && h !== 'content-length'));
    return { ...response, headers: { ...headers, 'content-length': String(Buffer.byteLength(text)) }, body: text };
  }

  invocation(functionId: string, memoryMb: number, ms: number): void {
    const usage = this.of(functionId);
    usage.invocations++;
    usage.gbSeconds += (Math.ceil(ms) * memoryMb) / 1024 / 1000;
  }

  transition(): void {
    this.transitions++;
    this.changed = true;
  }

  reading(): MeterReading {
    return { usage: Object.fromEntries([...this.usage].map(([caller, u]) => [caller, { ...u, calls: { ...u.calls } }])), stateTransitions: this.transitions };
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

/** What was used between two readings, summed over the callers `include` keeps. */
export function usedBetween(before: MeterReading, after: MeterReading, include: (caller: string) => boolean = () => true): Usage & { stateTransitions: number } {
  const total = { ...emptyUsage(), stateTransitions: after.stateTransitions - before.stateTransitions };
  for (const [caller, now] of Object.entries(after.usage)) {
    if (!include(caller)) continue;
    const then = before.usage[caller] ?? emptyUsage();
    for (const [call, n] of Object.entries(now.calls)) total.calls[call] = (total.calls[call] ?? 0) + n - (then.calls[call] ?? 0);
    total.dynamoDbItemWrites += now.dynamoDbItemWrites - then.dynamoDbItemWrites;
    total.readUnits += now.readUnits - then.readUnits;
    total.writeUnits += now.writeUnits - then.writeUnits;
    total.invocations += now.invocations - then.invocations;
    total.gbSeconds += now.gbSeconds - then.gbSeconds;
  }
  for (const [call, n] of Object.entries(total.calls)) if (!n) delete total.calls[call];
  return total;
}

function parse(body: Buffer): Record<string, any> | undefined {
  try {
    const value = JSON.parse(body.toString('utf8') || '{}') as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

function batchWrites(request: ServiceRequest): number {
  const requestItems = (parse(request.body)?.RequestItems ?? {}) as Record<string, unknown[]>;
  return Object.values(requestItems).reduce((sum, items) => sum + items.length, 0);
}
