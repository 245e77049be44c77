import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsyncInvocations } from '../../infra/local/async-invocations.ts';
import type { AsyncInvokeConfig } from '../../infra/local/template.ts';

/** Lambda's asynchronous invocation as the local runtime runs it: nothing accepted is lost to a stop or a failure. */
const CONFIG: AsyncInvokeConfig = { retryAttempts: 2, maxEventAgeSeconds: 21_600, onFailureQueue: 'FailedInvocations' };
const EVENT = { Records: [{ eventSource: 'aws:ses', ses: { mail: { messageId: 'm1' } } }] };
const noDelay = () => 0;

describe('asynchronous invocations of the local runtime', () => {
  it('an event accepted but not finished when the runtime stopped is invoked again at the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'derbes-async-'));
    const first = new AsyncInvocations(dataDir, () => new Promise(() => undefined), () => CONFIG, noDelay);
    await first.accept('EmailIntake', EVENT);
    first.stop();

    const invoked: unknown[] = [];
    const next = new AsyncInvocations(dataDir, async (_, event) => invoked.push(event), () => CONFIG, noDelay);
    expect(next.resume()).toBe(1);
    await next.idle();
    expect(invoked).toEqual([EVENT]);
    expect(next.resume()).toBe(0);
  });

  it('an event that fails every attempt goes to the on-failure queue, which the redrive reads', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'derbes-async-'));
    let attempts = 0;
    const invocations = new AsyncInvocations(dataDir, async () => {
      attempts++;
      throw new Error('intake is down');
    }, () => CONFIG, noDelay);
    await invocations.accept('EmailIntake', EVENT);
    await invocations.idle();
    expect(attempts).toBe(3);
    const [message] = await invocations.failureQueue('FailedInvocations').receive();
    expect(JSON.parse(message!.body)).toMatchObject({ requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 }, requestPayload: EVENT, responsePayload: { errorMessage: 'intake is down' } });
    expect(invocations.resume()).toBe(0);
  });

  it('an event kept past its maximum age is not invoked: it goes to the on-failure queue', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'derbes-async-'));
    let attempts = 0;
    const invocations = new AsyncInvocations(dataDir, async () => attempts++, () => ({ ...CONFIG, maxEventAgeSeconds: 0 }), noDelay);
    await invocations.accept('EmailIntake', EVENT);
    await invocations.idle();
    expect(attempts).toBe(0);
    expect(readdirSync(join(dataDir, 'sqs', 'FailedInvocations'))).toHaveLength(1);
  });
});
