import { describe, expect, it, vi } from 'vitest';
import { loadProfileFile } from '../../functions/config/load-profile.ts';
import { createDeadlineEngine } from '../../functions/domain/deadlines/index.ts';
import type { AuditEvent } from '../../functions/domain/audit.ts';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';
import { alertOperator, notifyPerson } from '../../functions/use-cases/notify.ts';
import type { OutgoingMail } from '../../functions/use-cases/ports.ts';
import { MemorySentMail } from '../support/memory-deps.ts';
import { MailDeferred } from '../../functions/domain/errors.ts';
import { SHIPPED_RULES } from '../../functions/domain/deadlines/shipped.ts';

function system() {
  const sent: OutgoingMail[] = [];
  const events: AuditEvent[] = [];
  const sentMail = new MemorySentMail({ append: async (_, event) => void events.push(event) });
  const deps = { profile: loadProfileFile('profiles/demo.json'), mailer: { send: async (mail: OutgoingMail) => (sent.push(mail), 'sent' as const) }, sentMail, publicUrl: 'https://privacy.example' };
  return { deps, sent, sentMail, events };
}

const request: DataSubjectRequest = {
  id: 'DRB-AAAAA-BBBBB',
  types: ['access'],
  status: 'AWAITING_DECISION',
  channel: 'web',
  email: 'aigerim@example.kz',
  language: 'en',
  receivedAt: '2026-11-20T10:00:00.000Z',
  deadline: createDeadlineEngine({}, SHIPPED_RULES).compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt: new Date('2026-11-20T10:00:00.000Z') }),
};

describe('each mail of a request goes out once', () => {
  it('a step that runs again does not send its notice again', async () => {
    const { deps, sent, events } = system();
    await notifyPerson(deps, request, 'receipt', {});
    await notifyPerson(deps, request, 'receipt', {});
    expect(sent).toHaveLength(1);
    // A request made on the form: its receipt begins its thread, under the Message-ID its later mail names.
    expect(sent[0]!.messageId).toBe('<DRB-AAAAA-BBBBB.receipt@derbes.local>');
    expect(events).toEqual([{ type: 'mail.sent', detail: { template: 'receipt', messageId: sent[0]!.messageId, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } }]);
  });

  it('a mail whose first attempt was never confirmed goes out again, with the same Message-ID', async () => {
    const { deps, sent, sentMail, events } = system();
    const failing = { ...deps, mailer: { send: async () => Promise.reject(new Error('relay down')) } };
    await expect(notifyPerson(failing, request, 'answer', { sections: '' })).rejects.toThrow('relay down');
    const [claimed] = [...sentMail.entries.values()];
    await notifyPerson(deps, request, 'answer', { sections: '' });
    expect(sent.map((m) => m.messageId)).toEqual([claimed!.messageId]);
    expect(events).toHaveLength(1);
  });

  it('runs at the same moment send it once: the others wait for it to go out', async () => {
    const { deps, sent, events } = system();
    const slow = { ...deps, mailer: { send: async (mail: OutgoingMail) => (await new Promise((resolve) => setTimeout(resolve, 300)), sent.push(mail), 'sent' as const) } };
    const ids = await Promise.all([1, 2, 3].map(() => notifyPerson(slow, request, 'replyReceived', {})));
    expect(sent).toHaveLength(1);
    expect(ids).toEqual([sent[0]!.messageId, sent[0]!.messageId, sent[0]!.messageId]);
    expect(events).toHaveLength(1);
  });

  it('a run that finds the mail held past its wait fails as deferred, to be retried, and sends nothing', async () => {
    const { deps, sent, sentMail } = system();
    const key = { requestId: request.id, kind: 'replyReceived', round: 1 };
    vi.useFakeTimers();
    try {
      await sentMail.claim(key, '<held@derbes.local>'); // an attempt that is still sending, or crashed a moment ago
      const attempt = notifyPerson(deps, request, 'replyReceived', {});
      const failed = expect(attempt).rejects.toBeInstanceOf(MailDeferred);
      await vi.advanceTimersByTimeAsync(4_800);
      expect(sent).toEqual([]);
      await vi.advanceTimersByTimeAsync(400);
      await failed;
      expect(sent).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('another round, or another alert, is another mail', async () => {
    const { deps, sent } = system();
    const overdue = { round: '1', rounds: '3', reasons: '' };
    await alertOperator(deps, request, 'decisionOverdue', overdue, [], 1);
    await alertOperator(deps, request, 'decisionOverdue', overdue, [], 1);
    await alertOperator(deps, request, 'decisionOverdue', { ...overdue, round: '2' }, [], 2);
    await alertOperator(deps, request, 'decisionNeeded', { reasons: '', grounds: '' });
    expect(sent.map((m) => m.to)).toEqual(['dpo@derbes.local', 'dpo@derbes.local', 'dpo@derbes.local']);
    expect(new Set(sent.map((m) => m.messageId)).size).toBe(3);
  });
});
