import { createHash } from 'node:crypto';
import type { AuditEvent, RecordedAuditEvent } from './audit.ts';
import { canonicalJson } from './canonical.ts';

/**
 * A trail (a request's, a breach's, a retention source's) is a hash chain: each event carries its number in the
 * trail, the hash of the event before it and its own hash — SHA-256 over the canonical encoding of all of these but
 * its own hash. Changing, removing or reordering an event breaks the chain at that event; the head (the last
 * number and hash) is kept apart, so removing the last events breaks it too, and the daily digest anchors heads
 * outside the database.
 */
export interface ChainLink {
  /** 1 for the first event of a trail, then one more per event. */
  seq: number;
  /** The previous event's hash; GENESIS for the first. */
  prev: string;
  hash: string;
}

export type ChainedAuditEvent = RecordedAuditEvent & ChainLink;

/** Where a trail's chain ends: what the next event links to and what a digest anchors. */
export interface ChainHead {
  trail: string;
  seq: number;
  hash: string;
  /** When the head last moved (the last append). */
  movedAt: string;
}

export const GENESIS = '0'.repeat(64);

export function eventHash(trail: string, seq: number, at: string, event: AuditEvent, prev: string): string {
  return createHash('sha256').update(canonicalJson({ trail, seq, at, type: event.type, detail: event.detail, prev })).digest('hex');
}

/** The events appended to a trail whose chain ends at `head` (undefined: a new trail), linked in order. */
export function chainEvents(trail: string, head: Pick<ChainHead, 'seq' | 'hash'> | undefined, events: AuditEvent[], at: string): ChainedAuditEvent[] {
  let seq = head?.seq ?? 0;
  let prev = head?.hash ?? GENESIS;
  return events.map((event) => {
    seq += 1;
    const hash = eventHash(trail, seq, at, event, prev);
    const chained = { ...event, requestId: trail, at, seq, prev, hash } as ChainedAuditEvent;
    prev = hash;
    return chained;
  });
}

/** A point of a chain a digest recorded: the event with this number had this hash when the digest was written. */
export interface ChainAnchor {
  seq: number;
  hash: string;
  /** The digest's day (YYYY-MM-DD) and its object's key. */
  day: string;
  digest: string;
  /** The digest object's SHA-256, as the chain of digests records it. */
  digestSha256?: string;
}

export interface BrokenLink {
  /** The number of the first event that does not hold (for an event missing at the end: the first one missing). */
  seq: number;
  /** The stored event at that place, when there is one. */
  at?: string;
  type?: string;
  problem: 'changed' | 'missing' | 'out_of_order' | 'missing_at_end' | 'differs_from_digest' | 'no_head';
}

/**
 * Events a trail holds from before trails were chained: they carry no number and no hash, so nothing can prove them
 * unchanged; a check counts them and says until when they were written, apart from the chain it verifies.
 */
export interface Unchained {
  events: number;
  lastAt: string;
}

export type ChainCheck =
  | { trail: string; verified: true; events: number; anchor?: ChainAnchor; unchained?: Unchained }
  | { trail: string; verified: false; events: number; broken: BrokenLink; unchained?: Unchained };

/**
 * Recomputes a trail's chain from its stored events (in the order the store returns them) and checks it against its
 * head and, when one covers it, the latest digest's anchor. The first event that does not hold is named.
 */
export function checkChain(trail: string, stored: ChainedAuditEvent[], head: ChainHead | undefined, anchor?: ChainAnchor): ChainCheck {
  const fail = (broken: BrokenLink): ChainCheck => ({ trail, verified: false, events: stored.length, broken });
  let prev = GENESIS;
  for (const [index, event] of stored.entries()) {
    const expectedSeq = index + 1;
    const at = { at: event.at, type: event.type };
    if (event.seq !== expectedSeq) {
      // The number due here stands later in the trail: the order was changed; nowhere: the event was removed.
      const removed = !stored.slice(index + 1).some((later) => later.seq === expectedSeq);
      return fail(removed ? { seq: expectedSeq, problem: 'missing' } : { seq: expectedSeq, ...at, problem: 'out_of_order' });
    }
    if (event.hash !== eventHash(trail, event.seq, event.at, event, event.prev)) return fail({ seq: event.seq, ...at, problem: 'changed' });
    if (event.prev !== prev) return fail({ seq: event.seq, ...at, problem: 'out_of_order' });
    if (anchor && anchor.seq === event.seq && anchor.hash !== event.hash) return fail({ seq: event.seq, ...at, problem: 'differs_from_digest' });
    prev = event.hash;
  }
  if (!head) return stored.length ? fail({ seq: stored.length, problem: 'no_head' }) : { trail, verified: true, events: 0 };
  if (head.seq > stored.length) return fail({ seq: stored.length + 1, problem: 'missing_at_end' });
  // Events past the head were added around the chain; a head that names another hash, the last event was changed.
  if (head.seq < stored.length) return fail({ seq: head.seq + 1, at: stored[head.seq]!.at, type: stored[head.seq]!.type, problem: 'changed' });
  if (head.hash !== prev) return fail({ seq: head.seq, at: stored[head.seq - 1]?.at, type: stored[head.seq - 1]?.type, problem: 'changed' });
  if (anchor && anchor.seq > stored.length) return fail({ seq: stored.length + 1, problem: 'missing_at_end' });
  return { trail, verified: true, events: stored.length, ...(anchor ? { anchor } : {}) };
}
