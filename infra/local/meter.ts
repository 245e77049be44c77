import { renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { jsonBodyOf, jsonObjectOf, type ServiceRequest, type ServiceResponse, type Upstream } from './aws-endpoint.ts';
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
    const body = jsonBodyOf(request);
    if (!body) return upstream(request);
    const asked = body.ReturnConsumedCapacity !== undefined && body.ReturnConsumedCapacity !== 'NONE';
    const transactWrite = operation === 'TransactWriteItems';
    const response = await upstream(asked ? request : { ...request, body: askingForCapacity(request.body, body, transactWrite ? 'INDEXES' : 'TOTAL') });
    const result = response.status === 200 ? jsonObjectOf(Buffer.from(response.body)) : undefined;
    if (!result) return response;
    const consumed = [result.ConsumedCapacity ?? []].flat() as Array<{ CapacityUnits?: number; GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> }>;
    const units = transactWrite ? transactionWriteUnits(body, consumed) : consumed.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
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

  /**
   * Writes the reading to `file` whenever it changed, every `everyMs`, and once more when stopped. Written aside and
   * renamed, so a reader never sees half a file; in the background, as the runtime's event loop must not wait for
   * the disk (a rename over a file waits for its data on ext4), one write at a time.
   */
  writeTo(file: string, everyMs = 250): () => Promise<void> {
    let writing: Promise<void> | undefined;
    const flush = () => {
      if (!this.changed || writing) return;
      this.changed = false;
      writing = writeFile(`${file}.tmp`, JSON.stringify(this.reading()))
        .then(() => rename(`${file}.tmp`, file))
        .catch((error: Error) => console.error(`[meter] ${file}: ${error.message}`))
        .finally(() => (writing = undefined));
    };
    const timer = setInterval(flush, everyMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await writing;
      writeFileSync(`${file}.tmp`, JSON.stringify(this.reading()));
      renameSync(`${file}.tmp`, file);
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

/**
 * What AWS bills a TransactWriteItems: two units per item and started KB, for each item (a put by the size of the
 * item put; an update, delete or condition check by that of an item derbes keeps under 1 KB there: an idempotency
 * marker), plus the writes of the indexes holding a copy. DynamoDB Local reports a table's part already doubled but
 * as if the transaction held only its largest item there (a request and its marker: the request's units alone; an
 * audit event and its head: one item's); its index parts, one item each in derbes' transactions, are taken as reported.
 */
function transactionWriteUnits(body: Record<string, any>, consumed: Array<{ GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> }>): number {
  const items = (body.TransactItems ?? []) as Array<{ Put?: { Item: Record<string, unknown> } }>;
  const tables = items.reduce((sum, item) => sum + 2 * (item.Put ? Math.ceil(itemBytes(item.Put.Item) / 1024) : 1), 0);
  const indexes = consumed.reduce((sum, c) => sum + Object.values(c.GlobalSecondaryIndexes ?? {}).reduce((s, i) => s + (i.CapacityUnits ?? 0), 0), 0);
  return tables + indexes;
}

/** An item's size as DynamoDB counts it: each attribute's name and value in bytes, a map or list 3 bytes more and 1 per element. */
function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value as Record<string, unknown>), 0);
}

function valueBytes(value: Record<string, unknown>): number {
  const [type, v] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(v));
    case 'N':
      return Math.ceil(String(v).replace(/[-.]/g, '').replace(/^0+/, '').length / 2) + 1;
    case 'B':
      return Buffer.from(String(v), 'base64').length;
    case 'SS':
      return (v as string[]).reduce((s, e) => s + Buffer.byteLength(e), 0);
    case 'NS':
      return (v as string[]).reduce((s, e) => s + valueBytes({ N: e }), 0);
    case 'BS':
      return (v as string[]).reduce((s, e) => s + valueBytes({ B: e }), 0);
    case 'M':
      return 3 + Object.values(v as Record<string, unknown>).length + itemBytes(v as Record<string, unknown>);
    case 'L':
      return 3 + (v as unknown[]).reduce<number>((s, e) => s + 1 + valueBytes(e as Record<string, unknown>), 0);
    default:
      return 1; // BOOL, NULL
  }
}

/**
 * The call's body with ReturnConsumedCapacity set: put in front of the body's own members, its bytes otherwise as
 * they came (no second serialization of the items), or the body written again where it said NONE.
 */
function askingForCapacity(raw: Buffer, body: Record<string, any>, wanted: string): Buffer {
  if (body.ReturnConsumedCapacity !== undefined) return Buffer.from(JSON.stringify({ ...body, ReturnConsumedCapacity: wanted }));
  const member = `"ReturnConsumedCapacity":${JSON.stringify(wanted)}`;
  // A body that parsed as an object opens with `{`, after any whitespace (or is empty: `{}`).
  const open = raw.indexOf(0x7b);
  if (open < 0) return Buffer.from(`{${member}}`);
  return Buffer.concat([raw.subarray(0, open + 1), Buffer.from(Object.keys(body).length ? `${member},` : member), raw.subarray(open + 1)]);
}

function batchWrites(request: ServiceRequest): number {
  const requestItems = (jsonBodyOf(request)?.RequestItems ?? {}) as Record<string, unknown[]>;
  return Object.values(requestItems).reduce((sum, items) => sum + items.length, 0);
}
