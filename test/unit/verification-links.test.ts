import { describe, expect, it } from 'vitest';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';
import { newSecretCode } from '../../functions/domain/secret-code.ts';
import { MAX_WAITING_PER_LINK } from '../../functions/use-cases/ports.ts';
import { deadlineFor } from '../../functions/use-cases/submit-request.ts';
import { requestVerification } from '../../functions/use-cases/verification.ts';
import { memorySystem } from '../support/memory-deps.ts';

const NOW = new Date('2026-02-10T05:15:00Z');

describe('one confirmation link per address', () => {
  it('takes at most its number of waiting requests; the next request makes a link of its own instead of failing', async () => {
    const s = memorySystem('profiles/demo.json', { now: NOW });
    const email = 'flooded@mail.example';
    const ids: string[] = [];
    for (let i = 0; i <= MAX_WAITING_PER_LINK; i++) {
      const id = `DRB-00000-${String(i).padStart(5, '0')}`;
      const request: DataSubjectRequest = { id, types: ['access'], status: 'RECEIVED', channel: 'web', email, language: 'en', receivedAt: NOW.toISOString(), deadline: deadlineFor(s.deps, ['access'], NOW) };
      await s.deps.requests.create(request, { type: 'request.received', detail: { channel: 'web', types: ['access'], dueAt: request.deadline.dueAt, ruleId: request.deadline.rule.id } });
      await requestVerification(s.deps, id, `token-${id}`, new Date(NOW.getTime() + 72 * 3_600_000), newSecretCode);
      ids.push(id);
    }
    // The first request's link took the first MAX_WAITING_PER_LINK; the one after it mailed a link of its own.
    expect(s.mailer.sent.filter((m) => m.to === email)).toHaveLength(2);
    const joined = async (id: string) => ((await s.deps.audit.list(id)).find((e) => e.type === 'verification.requested')?.detail as { joined?: boolean } | undefined)?.joined;
    expect(await joined(ids[1]!)).toBe(true);
    expect(await joined(ids[MAX_WAITING_PER_LINK]!)).toBe(false);
  });
});
