import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../functions/domain/audit.ts';
import { chainEvents, checkChain, GENESIS, type ChainedAuditEvent, type ChainHead } from '../../functions/domain/audit-chain.ts';

const TRAIL = 'DRB-7K3F9-Q2M4X';
const events: AuditEvent[] = [
  { type: 'request.received', detail: { channel: 'web', types: ['access'], dueAt: '2026-12-01T23:59:59+05:00', ruleId: 'kz-access' } },
  { type: 'status.changed', detail: { from: 'RECEIVED', to: 'AWAITING_VERIFICATION' } },
  { type: 'mail.sent', detail: { template: 'receipt', messageId: '<a@derbes.local>', sha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } },
  { type: 'verification.confirmed', detail: {} },
  { type: 'status.changed', detail: { from: 'AWAITING_VERIFICATION', to: 'IN_PROGRESS' } },
];

/** A trail written in three appends, as the stores write it, and its head. */
function trail(): { stored: ChainedAuditEvent[]; head: ChainHead } {
  const first = chainEvents(TRAIL, undefined, events.slice(0, 2), '2026-11-20T10:00:00.000Z');
  const second = chainEvents(TRAIL, { seq: 2, hash: first[1]!.hash }, events.slice(2, 3), '2026-11-20T10:00:01.000Z');
  const third = chainEvents(TRAIL, { seq: 3, hash: second[0]!.hash }, events.slice(3), '2026-11-20T11:00:00.000Z');
  const stored = [...first, ...second, ...third];
  return { stored, head: { trail: TRAIL, seq: 5, hash: stored[4]!.hash, movedAt: '2026-11-20T11:00:00.000Z' } };
}

describe('the audit hash chain', () => {
  it('links each event to the one before it and verifies as written', () => {
    const { stored, head } = trail();
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(stored[0]!.prev).toBe(GENESIS);
    expect(stored.slice(1).map((e) => e.prev)).toEqual(stored.slice(0, -1).map((e) => e.hash));
    expect(checkChain(TRAIL, stored, head)).toEqual({ trail: TRAIL, verified: true, events: 5 });
  });

  it('names a changed event: its detail, its time, or its type', () => {
    for (const change of [
      (e: ChainedAuditEvent) => ({ ...e, detail: { ...e.detail, template: 'answer' } }),
      (e: ChainedAuditEvent) => ({ ...e, at: '2026-11-19T10:00:01.000Z' }),
      (e: ChainedAuditEvent) => ({ ...e, type: 'mail.withheld' }),
    ]) {
      const { stored, head } = trail();
      stored[2] = change(stored[2]!) as ChainedAuditEvent;
      expect(checkChain(TRAIL, stored, head)).toMatchObject({ verified: false, broken: { seq: 3, type: stored[2]!.type, problem: 'changed' } });
    }
  });

  it('names a removed event, in the middle or at the end', () => {
    const { stored, head } = trail();
    expect(checkChain(TRAIL, [...stored.slice(0, 1), ...stored.slice(2)], head)).toMatchObject({ verified: false, broken: { seq: 2, problem: 'missing' } });
    expect(checkChain(TRAIL, stored.slice(0, 4), head)).toMatchObject({ verified: false, broken: { seq: 5, problem: 'missing_at_end' } });
    expect(checkChain(TRAIL, stored, undefined)).toMatchObject({ verified: false, broken: { problem: 'no_head' } });
  });

  it('names reordered events, even when their numbers are swapped too', () => {
    const { stored, head } = trail();
    const swapped = [stored[0]!, stored[2]!, stored[1]!, ...stored.slice(3)];
    expect(checkChain(TRAIL, swapped, head)).toMatchObject({ verified: false, broken: { seq: 2, problem: 'out_of_order' } });
    const renumbered = [stored[0]!, { ...stored[2]!, seq: 2 }, { ...stored[1]!, seq: 3 }, ...stored.slice(3)];
    expect(checkChain(TRAIL, renumbered, head)).toMatchObject({ verified: false, broken: { seq: 2, problem: 'changed' } });
  });

  it('refuses an event added past the head, and a head moved off the chain', () => {
    const { stored, head } = trail();
    const [extra] = chainEvents(TRAIL, head, [{ type: 'operator.alerted', detail: { alert: 'x' } }], '2026-11-21T00:00:00.000Z');
    expect(checkChain(TRAIL, [...stored, extra!], head)).toMatchObject({ verified: false, broken: { seq: 6, problem: 'changed' } });
    expect(checkChain(TRAIL, stored, { ...head, hash: GENESIS })).toMatchObject({ verified: false, broken: { seq: 5, problem: 'changed' } });
  });

  it('checks the event a digest anchored', () => {
    const { stored, head } = trail();
    const anchor = { seq: 3, hash: stored[2]!.hash, day: '2026-11-20', digest: 'digests/2026-11-20.json' };
    expect(checkChain(TRAIL, stored, head, anchor)).toEqual({ trail: TRAIL, verified: true, events: 5, anchor });
    // Rewritten consistently after the digest (every hash and the head recomputed): the digest still tells.
    const rewritten = chainEvents(TRAIL, undefined, [events[0]!, events[1]!, { type: 'mail.sent', detail: { template: 'other', messageId: '<b@x>', sha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } }, events[3]!, events[4]!], '2026-11-20T10:00:00.000Z');
    const rewrittenHead = { ...head, hash: rewritten[4]!.hash };
    expect(checkChain(TRAIL, rewritten, rewrittenHead)).toMatchObject({ verified: true });
    expect(checkChain(TRAIL, rewritten, rewrittenHead, anchor)).toMatchObject({ verified: false, broken: { seq: 3, problem: 'differs_from_digest' } });
  });
});
