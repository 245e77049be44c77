import * as z from '../../domain/schema.ts';
import type { RetentionRule } from '../../config/profile-schema.ts';
import { onFirstUse } from '../../domain/on-first-use.ts';
import type { AuditLog, ExpiredPage, RecordPurge, RetentionSource } from '../../use-cases/ports.ts';
import { callService, type HttpSource } from './http-source.ts';

/** A page of expired records as the company's service lists them. */
const expiredAnswer = onFirstUse(() => {
  /** A record's key as the service names it: a small object, handed back unchanged to purge that record. */
  const key = z.record(z.string(), z.unknown()).check(z.refine((key) => Object.keys(key).length > 0 && JSON.stringify(key).length <= 1024, {
    message: 'must be a non-empty object of at most 1024 characters as JSON',
  }));
  return z.strictObject({
    records: z.array(z.strictObject({ key, hold: z.optional(z.string().check(z.minLength(1), z.maxLength(500))) })).check(z.maxLength(1000)),
    /** The service's own position, handed back to it as it was. */
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  });
});
const purgeAnswer = onFirstUse(() =>
  z.discriminatedUnion('status', [
    z.strictObject({ status: z.literal('done') }),
    // Not purged: purged already under this purgeId, or changed since it was listed (a newer date, a hold): nothing to record.
    z.strictObject({ status: z.literal('not_purged') }),
  ]),
);

/**
 * The retention purge through the company's own service, which knows its stores and has the index: two signed
 * calls beside find/erase. POST <url>/retention/expired lists, one page at a time, the keys of records whose `from`
 * date is before `before` (with the hold that keeps one, if any) — never their contents; POST <url>/retention/purge
 * erases one record as `erasure` says, only if it is still past `before` and not held, once per `purgeId`.
 */
export class HttpRetentionSource implements RetentionSource {
  constructor(
    private readonly source: HttpSource,
    private readonly secret: () => Promise<string>,
    private readonly audit: AuditLog,
  ) {}

  async expired(rule: RetentionRule, before: string, options: { cursor?: string; limit: number }): Promise<ExpiredPage> {
    const page = await callService(
      this.source,
      'retention/expired',
      { rule: { keepFor: rule.keepFor, from: rule.from, ...(rule.holdAttribute && { holdAttribute: rule.holdAttribute }) }, before, limit: options.limit, ...(options.cursor && { cursor: options.cursor }) },
      expiredAnswer(),
      await this.secret(),
    );
    return { records: page.records.map(({ key, hold }) => ({ record: key, ...(hold && { hold }) })), ...(page.cursor && { cursor: page.cursor }) };
  }

  /**
   * The trail records the purge asked for, the service purges, then the trail records the answer. The company's system
   * and ours cannot share a transaction: a run that ends after the service's answer leaves the request on the trail
   * (the purgeId makes the service erase once), never nothing.
   */
  async purge({ rule, record, audit }: RecordPurge): Promise<boolean> {
    const event = audit.event as Extract<RecordPurge['audit']['event'], { type: 'retention.purged' }>;
    const { source, record: recordHash, cutoff } = event.detail;
    const purgeId = `${recordHash}:${cutoff}`;
    await this.audit.append(audit.trail, { type: 'retention.purge_requested', detail: { source, record: recordHash, cutoff, purgeId } });
    const answer = await callService(
      this.source,
      'retention/purge',
      { key: record, before: cutoff, from: rule.from, erasure: this.source.erasure, purgeId },
      purgeAnswer(),
      await this.secret(),
    );
    if (answer.status !== 'done') {
      await this.audit.append(audit.trail, { type: 'retention.purge_declined', detail: { source, record: recordHash, purgeId } });
      return false;
    }
    await this.audit.append(audit.trail, audit.event);
    return true;
  }

  async keyOf(record: Record<string, unknown>): Promise<Record<string, unknown>> {
    return record;
  }
}
