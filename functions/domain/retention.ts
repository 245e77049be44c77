import { createHash } from 'node:crypto';
import type { DataSource, RetentionRule } from '../config/profile-schema.ts';
import { addToLocalDate, localDateOf } from './deadlines/local-time.ts';

/**
 * The name derbes' own records (domain/own-records.ts) go by beside the sources' retention rules (plan, approval,
 * audit trail); the profile may not give a source this name.
 */
export const OWN_RECORDS = 'derbes-requests';

/**
 * Retention that purges by itself: each source's rule (how long, from which date) as the profile declares it. A rule
 * is known by its source; its fingerprint covers everything that decides what goes and how, so changing any of it
 * makes a new rule that an operator must approve before its first real run.
 */
export function ruleFingerprint(rule: RetentionRule, source: DataSource): string {
  const decisive = { rule, erasure: source.erasure, personalFields: source.personalFields, legalHold: source.legalHold ?? null };
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex').slice(0, 16);
}

/** The local date before which a record's `from` date has passed its term: today (in the zone) minus the term. */
export function retentionCutoff(rule: RetentionRule, now: Date, timeZone: string): string {
  return addToLocalDate(localDateOf(now, timeZone), -rule.keepFor.amount, rule.keepFor.unit);
}

/** What the purge knows about one rule between runs (kept in the requests table, see adapters/dynamodb/retention-state.ts). */
export interface RetentionState {
  source: string;
  /** The fingerprint an operator approved; a rule whose fingerprint differs waits for approval. */
  approvedFingerprint?: string;
  approvedAt?: string;
  /** The fingerprint the operator was last told awaits approval (told once per fingerprint). */
  announcedFingerprint?: string;
  /** Where the current pass over the source continues; absent when the next run starts a new pass. */
  cursor?: string;
  passStartedAt?: string;
  /** Counted in the current pass. */
  purged: number;
  held: Record<string, number>;
  lastPassFinishedAt?: string;
}

export const emptyState = (source: string): RetentionState => ({ source, purged: 0, held: {} });
