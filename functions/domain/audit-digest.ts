import { createHash } from 'node:crypto';
import type { ChainHead } from './audit-chain.ts';
import { canonicalJson } from './canonical.ts';

/** One trail's head as a digest records it. */
export type DigestHead = Pick<ChainHead, 'trail' | 'seq' | 'hash'>;

/**
 * What the daily digest anchors outside the database (in a bucket whose objects nobody can change or delete for
 * years): every trail head that moved since the previous digest, their Merkle root, and the previous digest's
 * hash — so the digests are a chain too, and a trail rewritten in the database no longer matches what was anchored.
 */
export interface AuditDigest {
  /** The day it was written (UTC, YYYY-MM-DD): what `verify` reports as "anchored <day>". */
  day: string;
  writtenAt: string;
  /** Heads that moved at or after this instant (the previous digest's `writtenAt`) are in it. */
  since?: string;
  previous?: DigestPointer;
  merkleRoot: string;
  heads: DigestHead[];
}

/** Where a digest is and the hash of its bytes: how the next digest (and a verifier) names it. */
export interface DigestPointer {
  key: string;
  sha256: string;
  day: string;
  writtenAt: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The root of a Merkle tree over the heads (sorted by trail; leaves and nodes hashed apart, an odd node carried up). */
export function merkleRoot(heads: DigestHead[]): string {
  let level = [...heads].sort((a, b) => (a.trail < b.trail ? -1 : a.trail > b.trail ? 1 : 0)).map((head) => sha256(`leaf:${canonicalJson(head)}`));
  if (!level.length) return sha256('empty');
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? sha256(`node:${level[i]}${level[i + 1]}`) : level[i]!);
    level = next;
  }
  return level[0]!;
}

export function buildDigest(heads: ChainHead[], writtenAt: Date, previous?: DigestPointer): AuditDigest {
  const listed = heads.map(({ trail, seq, hash }) => ({ trail, seq, hash })).sort((a, b) => (a.trail < b.trail ? -1 : a.trail > b.trail ? 1 : 0));
  return {
    day: writtenAt.toISOString().slice(0, 10),
    writtenAt: writtenAt.toISOString(),
    ...(previous ? { since: previous.writtenAt, previous } : {}),
    merkleRoot: merkleRoot(listed),
    heads: listed,
  };
}

/** The bytes a digest is stored as, and their hash. */
export function encodeDigest(digest: AuditDigest): { body: string; sha256: string } {
  const body = canonicalJson(digest);
  return { body, sha256: sha256(body) };
}

/** Whether stored bytes are the digest a pointer names, and its Merkle root is that of the heads it lists. */
export function digestHolds(body: string, pointer: Pick<DigestPointer, 'sha256'>): AuditDigest | undefined {
  if (sha256(body) !== pointer.sha256) return undefined;
  const digest = JSON.parse(body) as AuditDigest;
  return merkleRoot(digest.heads) === digest.merkleRoot ? digest : undefined;
}

export const digestKey = (writtenAt: Date) => `digests/${writtenAt.toISOString().replace(/[:.]/g, '-')}.json`;
