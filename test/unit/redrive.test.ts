import { describe, expect, it } from 'vitest';
import { redriveIntake, type FailedInvocation, type FailureQueue } from '../../infra/cli/commands/mail.ts';

/** An SQS-like queue: a received message is hidden until the run ends, removed only when asked. */
function queueOf(events: unknown[]): FailureQueue & { left: () => unknown[] } {
  const messages = events.map((event, i) => ({ receipt: `r${i}`, event, hidden: false }));
  return {
    async receive(): Promise<FailedInvocation[]> {
      const visible = messages.filter((m) => !m.hidden).slice(0, 10);
      visible.forEach((m) => (m.hidden = true));
      return visible.map(({ receipt, event }) => ({ receipt, event }));
    },
    async remove(receipt) {
      messages.splice(messages.findIndex((m) => m.receipt === receipt), 1);
    },
    left: () => messages.map((m) => m.event),
  };
}

describe('re-driving failed mail intake', () => {
  it('hands every stored event to intake again, removes those it took and keeps those that failed again', async () => {
    const events = Array.from({ length: 23 }, (_, i) => ({ Records: [{ ses: { mail: { messageId: `m${i}` } } }] }));
    const queue = queueOf(events);
    const seen: unknown[] = [];
    const result = await redriveIntake(queue, async (event) => {
      seen.push(event);
      if (event === events[7]) throw new Error('still failing');
    });
    expect(result).toEqual({ redriven: 22, failed: 1 });
    expect(seen).toEqual(events);
    expect(queue.left()).toEqual([events[7]]);
  });
});
