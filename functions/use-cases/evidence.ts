import { createHash } from 'node:crypto';
import { localize } from '../config/profile-schema.ts';
import { BREACH_REFERENCE_PATTERN } from '../domain/breaches/breach.ts';
import type { DocumentModel } from '../domain/document.ts';
import { evidencePackDocument } from '../domain/evidence/pack.ts';
import { groundText, refusalGround, loadRefusalGrounds } from '../domain/refusal-grounds.ts';
import type { Language } from '../domain/request-types.ts';
import { loadMessageCatalogue } from '../domain/message-catalogues.ts';
import { describeReasons } from './fulfilment.ts';
import { reviewReasons } from './fulfilment-plan.ts';
import { checkChain, type ChainAnchor, type ChainCheck, type ChainHead } from '../domain/audit-chain.ts';
import { buildDigest, digestHolds, digestKey, encodeDigest, type AuditDigest } from '../domain/audit-digest.ts';
import { NotFoundError } from '../domain/errors.ts';
import { REFERENCE_PATTERN } from '../domain/request.ts';
import type { Dependencies } from './dependencies.ts';

/** Trails verified per call of `--all`: each is one query of its events; the caller pages on with the cursor. */
export const VERIFY_PAGE_SIZE = 50;
/** Heads read per query while a digest is made. */
const HEADS_PAGE_SIZE = 500;
/** The once-a-day step of the digest, claimed per day so that overlapping runs of the watch write one. */
const DIGEST_STEP = { id: 'AUDIT_DIGEST', step: (day: string) => `digest#${day}` };

type VerifyDeps = Pick<Dependencies, 'auditChains' | 'auditDigests' | 'requests' | 'breaches'>;

/** Digests read while verifying, by key: a page of trails anchored by the same digest reads it once. */
type DigestCache = Map<string, Promise<string>>;

/**
 * The anchor of a trail as the digest object says (not as the database says): a digest whose bytes are not those the
 * anchor names, or that does not list the trail, yields an anchor no chain can match.
 */
async function anchorOf(deps: VerifyDeps, trail: string, cache: DigestCache): Promise<ChainAnchor | undefined> {
  const ref = await deps.auditChains.anchorOf(trail);
  if (!ref) return undefined;
  if (!cache.has(ref.key)) cache.set(ref.key, deps.auditDigests.read(ref.key));
  const digest = digestHolds(await cache.get(ref.key)!, ref);
  const listed = digest?.heads.find((head) => head.trail === trail);
  return { seq: listed?.seq ?? ref.seq, hash: listed?.hash ?? 'not anchored by this digest', day: digest?.day ?? ref.day, digest: ref.key, digestSha256: ref.sha256 };
}

/**
 * Recomputes one trail's chain from its stored events and checks it against its head and the latest digest that
 * anchors it. A trail with neither events nor a head is unknown (NotFoundError), not "verified, 0 events" — unless
 * the request or breach it belongs to exists: every one is made with its first event, so its trail was removed.
 */
export async function verifyTrail(deps: VerifyDeps, trail: string, cache: DigestCache = new Map()): Promise<ChainCheck> {
  // The anchor first: a digest anchors a head it read, so an anchor read before the chain names no event past the
  // chain's head; read beside it, a digest written meanwhile looked like events removed at the end.
  const anchor = await anchorOf(deps, trail, cache);
  const { events, head, unchained } = await deps.auditChains.chain(trail);
  // Written before the chain: reported, not verified (nothing can prove them unchanged), and never made to look chained.
  const before = unchained.length ? { unchained: { events: unchained.length, lastAt: unchained.at(-1)!.at } } : {};
  if (!events.length && !head) {
    if (unchained.length) return { trail, verified: true, events: 0, ...before };
    if (await ownerExists(deps, trail)) return { trail, verified: false, events: 0, broken: { seq: 1, problem: 'missing' } };
    throw new NotFoundError(`${trail} has no audit trail`);
  }
  return { ...checkChain(trail, events, head, anchor), ...before };
}

async function ownerExists(deps: Pick<Dependencies, 'requests' | 'breaches'>, trail: string): Promise<boolean> {
  const owner = new RegExp(`^${REFERENCE_PATTERN.source}$`).test(trail) ? deps.requests : BREACH_REFERENCE_PATTERN.test(trail) ? deps.breaches : undefined;
  if (!owner) return false;
  try {
    await owner.get(trail);
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/** What the walk along the chain of daily digests found. */
export interface DigestChainCheck {
  /** Digests read, from the latest back to the first. */
  digests: number;
  latest?: { key: string; day: string };
  /** The first digest (from the latest back) whose bytes are not those the next one names, or that is gone. */
  broken?: { key: string; problem: 'changed' | 'missing' };
  /**
   * Trails a digest listed that are no longer in the heads index (their head item deleted or stripped), each checked
   * by name: what `verifyPage` cannot find.
   */
  unlisted: ChainCheck[];
}

/**
 * Walks the daily digests from the latest back to the first, each named by the one after it with its SHA-256 (the
 * latest by the pointer in the database), checks each one's bytes and Merkle root, and checks by name every trail
 * a digest ever listed whose head the heads index no longer has. The digests themselves cannot change (Object
 * Lock); a pointer moved back to an older digest would hide the newer ones from this walk.
 */
export async function verifyDigestChain(deps: VerifyDeps): Promise<DigestChainCheck> {
  const latest = await deps.auditChains.latestDigest();
  const listed = new Set<string>();
  let digests = 0;
  for (let pointer = latest; pointer; ) {
    let body: string;
    try {
      body = await deps.auditDigests.read(pointer.key);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return { digests, ...(latest && { latest: { key: latest.key, day: latest.day } }), broken: { key: pointer.key, problem: 'missing' }, unlisted: [] };
    }
    const digest = digestHolds(body, pointer);
    if (!digest) return { digests, ...(latest && { latest: { key: latest.key, day: latest.day } }), broken: { key: pointer.key, problem: 'changed' }, unlisted: [] };
    digests += 1;
    for (const head of digest.heads) listed.add(head.trail);
    pointer = digest.previous;
  }
  const indexed = new Set<string>();
  let cursor: string | undefined;
  do {
    // Names only: reading every head here would be one read per trail within one API call.
    const page = await deps.auditChains.trails({ cursor, limit: HEADS_PAGE_SIZE });
    for (const trail of page.trails) indexed.add(trail);
    cursor = page.cursor;
  } while (cursor);
  const cache: DigestCache = new Map();
  const unlisted = await Promise.all(
    [...listed]
      .filter((trail) => !indexed.has(trail))
      .sort()
      .map(async (trail): Promise<ChainCheck> => {
        try {
          return await verifyTrail(deps, trail, cache);
        } catch (error) {
          // A digest listed it, so it existed: a trail gone whole is broken, not unknown.
          if (error instanceof NotFoundError) return { trail, verified: false, events: 0, broken: { seq: 1, problem: 'missing' } };
          throw error;
        }
      }),
  );
  return { digests, ...(latest && { latest: { key: latest.key, day: latest.day } }), unlisted };
}

/** One page of every trail's verification, by the day their heads last moved on. */
export async function verifyPage(deps: VerifyDeps, cursor?: string): Promise<{ checks: ChainCheck[]; cursor?: string }> {
  const page = await deps.auditChains.heads({ cursor, limit: VERIFY_PAGE_SIZE });
  const cache: DigestCache = new Map();
  const checks = await Promise.all(page.heads.map((head) => verifyTrail(deps, head.trail, cache)));
  return { checks, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

/**
 * The daily digest, from the scheduled watch: on the first run of a (UTC) day, every head that moved since the last
 * digest, with their Merkle root and the last digest's hash, written to the locked bucket; then each listed trail
 * is anchored to it. Undefined when today's digest exists (or another run is writing it).
 */
export async function writeDailyDigest(deps: Pick<Dependencies, 'auditChains' | 'auditDigests' | 'requests' | 'clock'>): Promise<{ key: string; heads: number } | undefined> {
  const now = deps.clock.now();
  const day = now.toISOString().slice(0, 10);
  const previous = await deps.auditChains.latestDigest();
  if (previous && previous.day >= day) return undefined;
  if (!(await deps.requests.claimStep(DIGEST_STEP.id, DIGEST_STEP.step(day), now))) return undefined;
  const heads: ChainHead[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.auditChains.heads({ movedSince: previous?.writtenAt, cursor, limit: HEADS_PAGE_SIZE });
    heads.push(...page.heads);
    cursor = page.cursor;
  } while (cursor);
  const digest: AuditDigest = buildDigest(heads, now, previous);
  const { body, sha256 } = encodeDigest(digest);
  const key = digestKey(now);
  await deps.auditDigests.put(key, body, 'application/json');
  await deps.auditChains.recordDigest({ key, sha256, day, writtenAt: digest.writtenAt }, previous, digest.heads);
  await deps.requests.completeStep(DIGEST_STEP.id, DIGEST_STEP.step(day), now);
  return { key, heads: digest.heads.length };
}

type PackDeps = VerifyDeps & Pick<Dependencies, 'audit' | 'profile' | 'deadlines' | 'clock'>;

/** What `evidencePack` made: the document and, when asked for, its PDF with the PDF's SHA-256. */
export interface ProducedPack {
  document: DocumentModel;
  pdf?: Buffer;
  sha256?: string;
}

/**
 * The evidence pack of one request (domain/evidence/pack.ts), read from the request, its trail, the rules and the
 * chain's check against the daily digest; `render` makes the PDF (an adapter's, loaded only by the caller that needs
 * it). Reading a pack changes nothing: no event is appended, so the chain the pack reports is the trail as it stands.
 */
export async function evidencePack(deps: PackDeps, requestId: string, language: Language, render?: (document: DocumentModel) => Promise<Buffer>): Promise<ProducedPack> {
  const request = await deps.requests.get(requestId);
  const [trail, chain] = await Promise.all([deps.audit.list(requestId), verifyTrail(deps, requestId)]);
  const { profile } = deps;
  const rule = request.deadline.rule;
  const source = (id: string) => profile.sources.find((candidate) => candidate.id === id);
  const processor = (id: string) => profile.processors.find((candidate) => candidate.id === id);
  // The pack is written in `language` (the language the person wrote in named in it too) and quotes a refusal's ground.
  // The calendar is the one of the jurisdiction the request was received under, which a later deployment may have changed.
  await Promise.all([loadMessageCatalogue(language), loadRefusalGrounds(rule.jurisdiction), deps.deadlines.load([rule.jurisdiction])]);
  const decisionReasons = await describeReasons(reviewReasons(deps, request), language);
  const document = evidencePackDocument(
    {
      request,
      trail,
      operator: profile.operator,
      sourceName: (id) => {
        const found = source(id);
        return found ? `${localize(found.description, language)} (${id})` : id;
      },
      processorName: (id) => {
        const found = processor(id);
        return found ? localize(found.name, language) : id;
      },
      groundText: (id) => {
        const ground = refusalGround(rule.jurisdiction, id);
        return ground && groundText(ground, language);
      },
      decisionReasons,
      calendar: deps.deadlines.calendarBetween(rule.jurisdiction, request.deadline.receivedLocalDate, request.deadline.dueLocalDate),
      isWorkingDay: (localDate) => deps.deadlines.isWorkingDay(rule.jurisdiction, localDate),
      chain,
      generatedAt: deps.clock.now(),
    },
    language,
  );
  if (!render) return { document };
  const pdf = await render(document);
  return { document, pdf, sha256: createHash('sha256').update(pdf).digest('hex') };
}
