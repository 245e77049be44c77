import { describe, expect, it } from 'vitest';
import { classifyFailure, describeRedrive, redriveFailures, type FailureQueue, type QueuedFailure } from '../../infra/cli/commands/mail.ts';

const INTAKE = 'Derbes-EmailIntake1A2B3C-xyz';
const WATCH = 'Derbes-DeadlineWatch4D5E6F-abc';
const arn = (name: string) => `arn:aws:lambda:eu-central-1:123456789012:function:${name}`;

/** SES's event for one stored mail, as intake is invoked with it. */
const sesEvent = (messageId: string) => ({ Records: [{ eventSource: 'aws:ses', eventVersion: '1.0', ses: { mail: { messageId }, receipt: {} } }] });
const scheduledEvent = (rule: string) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-30T12:00:00Z',
  region: 'eu-central-1',
  resources: [`arn:aws:events:eu-central-1:123456789012:rule/${rule}`],
  detail: {},
});
/** Lambda's on-failure destination record around the event a function was invoked with. */
const lambdaRecord = (functionName: string, requestPayload: unknown) =>
  JSON.stringify({
    version: '1.0',
    timestamp: '2026-11-30T12:00:03.000Z',
    requestContext: { requestId: 'req', functionArn: `${arn(functionName)}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
    requestPayload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'Error', errorMessage: 'unexpected_error' },
  });

const message = (id: string, body: string, attributes: Record<string, string> = {}): QueuedFailure => ({ id, receipt: `receipt-${id}`, body, attributes });

/** An SQS-like queue: a received message is hidden until the run ends, removed only when asked. */
function queueOf(messages: QueuedFailure[]): FailureQueue & { left: () => string[] } {
  const stored = messages.map((m) => ({ ...m, hidden: false }));
  return {
    async receive() {
      const visible = stored.filter((m) => !m.hidden).slice(0, 10);
      visible.forEach((m) => (m.hidden = true));
      return visible.map(({ hidden: _, ...m }) => m);
    },
    async remove(receipt) {
      const at = stored.findIndex((m) => m.receipt === receipt);
      expect(at, receipt).toBeGreaterThanOrEqual(0);
      stored.splice(at, 1);
    },
    left: () => stored.map((m) => m.id),
  };
}

describe('re-driving the failed-invocations queue', () => {
  it('hands every failed intake event to intake again, removes those it took and deletes nothing that failed again', async () => {
    const events = Array.from({ length: 23 }, (_, i) => sesEvent(`m${i}`));
    const queue = queueOf(events.map((event, i) => message(`id${i}`, lambdaRecord(INTAKE, event))));
    const seen: unknown[] = [];
    const report = await redriveFailures(queue, INTAKE, async (event) => {
      seen.push(event);
      if ((event as ReturnType<typeof sesEvent>).Records[0]!.ses.mail.messageId === 'm7') throw new Error('still failing');
    });
    expect(report).toEqual({ redriven: 22, failedAgain: ['id7'], scheduled: {}, unrecognised: [], cameBack: [] });
    expect(seen).toEqual(events);
    expect(queue.left()).toEqual(['id7']);
  });

  it('leaves every intake event in the queue when intake fails each time', async () => {
    const queue = queueOf([message('a', lambdaRecord(INTAKE, sesEvent('m1'))), message('b', lambdaRecord(INTAKE, sesEvent('m2')))]);
    const report = await redriveFailures(queue, INTAKE, async () => {
      throw new Error('intake is down');
    });
    expect(report).toEqual({ redriven: 0, failedAgain: ['a', 'b'], scheduled: {}, unrecognised: [], cameBack: [] });
    expect(queue.left()).toEqual(['a', 'b']);
  });

  it('deletes and counts failed scheduled runs, from Lambda and from EventBridge, without invoking anything', async () => {
    const queue = queueOf([
      message('w1', lambdaRecord(WATCH, scheduledEvent('Derbes-DeadlineWatchSchedule'))),
      message('w2', lambdaRecord(WATCH, scheduledEvent('Derbes-DeadlineWatchSchedule'))),
      // EventBridge could not invoke the purge: the schedule's event itself, the target in the attributes.
      message('p1', JSON.stringify(scheduledEvent('Derbes-RetentionPurgeSchedule')), { RULE_ARN: 'arn:aws:events:eu-central-1:123456789012:rule/Derbes-RetentionPurgeSchedule', TARGET_ARN: arn('Derbes-RetentionPurge-def'), ERROR_CODE: 'SDK_CLIENT_ERROR' }),
    ]);
    const report = await redriveFailures(queue, INTAKE, async () => {
      throw new Error('a scheduled run must not reach intake');
    });
    expect(report).toEqual({ redriven: 0, failedAgain: [], scheduled: { [WATCH]: 2, 'Derbes-RetentionPurge-def': 1 }, unrecognised: [], cameBack: [] });
    expect(queue.left()).toEqual([]);
    expect(describeRedrive(report)).toEqual([
      're-driven to intake 0, failed again 0',
      `deleted 3 failed scheduled runs, each repeated by its next run (${WATCH} 2, Derbes-RetentionPurge-def 1); if they keep coming, read that function's log`,
    ]);
  });

  it('leaves what it does not recognise in the queue and names it by its message id', async () => {
    const queue = queueOf([
      message('garbled', 'not json {'),
      message('other-fn', lambdaRecord('Derbes-SomethingElse-ghi', sesEvent('m1'))),
      message('odd-payload', lambdaRecord(INTAKE, { hello: 'world' })),
      message('empty-records', lambdaRecord(INTAKE, { Records: [] })),
      message('odd-event', JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created' })),
      message('intake', lambdaRecord(INTAKE, sesEvent('m9'))),
    ]);
    const taken: unknown[] = [];
    const report = await redriveFailures(queue, arn(INTAKE), async (event) => void taken.push(event));
    expect(report).toEqual({ redriven: 1, failedAgain: [], scheduled: {}, unrecognised: ['garbled', 'other-fn', 'odd-payload', 'empty-records', 'odd-event'], cameBack: [] });
    expect(taken).toEqual([sesEvent('m9')]);
    expect(queue.left()).toEqual(['garbled', 'other-fn', 'odd-payload', 'empty-records', 'odd-event']);
    expect(describeRedrive(report)[1]).toBe('left in the queue, not recognised (read them in the SQS console): garbled other-fn odd-payload empty-records odd-event');
  });

  it('ends when what it met comes back after the visibility timeout, handing intake no mail twice', async () => {
    // Intake keeps failing and each attempt outlasts the visibility timeout: every message not removed is visible
    // again to the next receive.
    const stored = [message('a', lambdaRecord(INTAKE, sesEvent('m1'))), message('b', lambdaRecord(INTAKE, sesEvent('m2'))), message('c', 'not json {')];
    let receives = 0;
    const queue: FailureQueue = {
      async receive() {
        if (++receives > 20) throw new Error('the run keeps receiving the same messages');
        return stored.slice(0, 2).concat(receives === 1 ? [] : stored.slice(2));
      },
      async remove() {
        throw new Error('nothing here may be removed');
      },
    };
    const invoked: unknown[] = [];
    const report = await redriveFailures(queue, INTAKE, async (event) => {
      invoked.push(event);
      throw new Error('intake is down');
    });
    expect(invoked).toEqual([sesEvent('m1'), sesEvent('m2')]);
    // The message that first arrived with the second receive is handled; the run ends at the receive that brings nothing new.
    expect(report).toEqual({ redriven: 0, failedAgain: ['a', 'b'], scheduled: {}, unrecognised: ['c'], cameBack: ['a', 'b', 'c'] });
    expect(receives).toBe(3);
    expect(describeRedrive(report).at(-1)).toBe(
      "received again, not handled twice (the run outlasted the queue's 300 s visibility timeout; it ends when a receive brings nothing new): a b c; run it again for what may be left",
    );
  });

  it('tells intake from a scheduled job by the record, not by a name in the event', () => {
    expect(classifyFailure(message('x', lambdaRecord(INTAKE, sesEvent('m1'))), INTAKE)).toEqual({ kind: 'intake', event: sesEvent('m1') });
    // A scheduled event in intake's record is still a scheduled run, never handed to intake.
    expect(classifyFailure(message('x', lambdaRecord(WATCH, scheduledEvent('r'))), INTAKE)).toEqual({ kind: 'scheduled', job: WATCH });
    expect(classifyFailure(message('x', JSON.stringify(scheduledEvent('Derbes-WatchRule'))), INTAKE)).toEqual({ kind: 'scheduled', job: 'Derbes-WatchRule' });
  });
});
