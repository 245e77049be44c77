import { NotFoundError } from '../domain/errors.ts';
import { checkChain, type ChainAnchor, type ChainCheck } from '../domain/audit-chain.ts';
import type { Dependencies } from './dependencies.ts';

/** Trails verified per call of `--all`: each is one query of its events; the caller pages on with the cursor. */
export const VERIFY_PAGE_SIZE = 50;

/**
 * Recomputes one trail's chain from its stored events and checks it against its head and the latest digest that
 * anchors it. A trail with neither events nor a head is unknown (NotFoundError), not "verified, 0 events".
 */
export async function verifyTrail(deps: Pick<Dependencies, 'auditChains'>, trail: string, anchor?: ChainAnchor): Promise<ChainCheck> {
  const { events, head } = await deps.auditChains.chain(trail);
  if (!events.length && !head) throw new NotFoundError(`${trail} has no audit trail`);
  return checkChain(trail, events, head, anchor);
}

/** One page of every trail's verification, in the order their heads last moved. */
export async function verifyPage(deps: Pick<Dependencies, 'auditChains'>, cursor?: string): Promise<{ checks: ChainCheck[]; cursor?: string }> {
  const page = await deps.auditChains.heads({ cursor, limit: VERIFY_PAGE_SIZE });
  const checks = await Promise.all(page.heads.map((head) => verifyTrail(deps, head.trail)));
  return { checks, ...(page.cursor ? { cursor: page.cursor } : {}) };
}
