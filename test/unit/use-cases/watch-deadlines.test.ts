import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../../functions/domain/errors.ts';
import { recordFailure } from '../../../functions/use-cases/attention.ts';
import { enterRequest } from '../../../functions/use-cases/operator-actions.ts';
import { watchDeadlines } from '../../../functions/use-cases/watch-deadlines.ts';
import { mailsTo, NOW, OPERATOR, operatorMails, placeRequest, systemFor } from '../../support/flow.ts';

const HOUR = 3_600_000;
const demo = () => systemFor('profiles/demo.json', { adjust: (json) => ({ ...json, defaultLanguage: 'en' }) });
const steps = async (s: ReturnType<typeof demo>, id: string) =>
  (await s.deps.audit.list(id)).filter((e) => e.type === 'deadline.step').map((e) => (e.detail as { kind: string }).kind);

describe('watchDeadlines', () => {
  it('does nothing before the first step is due', async () => {
    const s = demo();
    await placeRequest(s, ['access']);
    expect(await watchDeadlines(s.deps)).toMatchObject({ open: 1, reminders: 0, progressNotices: 0, overdue: 0, stopped: 0, started: 0 });
    expect(s.mailer.sent).toEqual([]);
  });

  it('an hour before the due date: reminders to the operator and a progress notice to the person, each once', async () => {
    const s = demo();
    const request = await placeRequest(s, ['access']);
    s.setNow(new Date(Date.parse(request.deadline.dueAt) - HOUR));
    const report = await watchDeadlines(s.deps);
    expect(report).toMatchObject({ open: 1, progressNotices: 1, overdue: 0 });
    expect(report.reminders).toBeGreaterThan(0);
    expect(mailsTo(s, request.email).map((m) => m.subject)).toEqual([`[${request.id}] Your request is still in progress`]);
    expect(operatorMails(s).map((m) => m.subject)).toContain(`[${request.id}] The due date is near and the request is still open`);
    expect(await steps(s, request.id)).toContain('interim_answer');
    const sent = s.mailer.sent.length;
    expect(await watchDeadlines(s.deps)).toMatchObject({ reminders: 0, progressNotices: 0 });
    expect(s.mailer.sent).toHaveLength(sent);
  });

  it('sends no progress notice while the workflow itself answers in time (verification, decision)', async () => {
    const s = demo();
    const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
    s.setNow(new Date(Date.parse(request.deadline.dueAt) - HOUR));
    await watchDeadlines(s.deps);
    expect(mailsTo(s, request.email)).toEqual([]);
    expect(await steps(s, request.id)).toContain('interim_answer');
  });

  it('reminds the operator of a request that reaches them only after the reminder time, once', async () => {
    const s = demo();
    const request = await placeRequest(s, ['access'], { status: 'AWAITING_VERIFICATION' });
    s.setNow(new Date(Date.parse(request.deadline.dueAt) - HOUR));
    expect(await watchDeadlines(s.deps)).toMatchObject({ reminders: 0 });
    expect(await steps(s, request.id)).not.toContain('operator_reminder');
    await s.deps.requests.transition(request.id, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt: s.deps.clock.now().toISOString() }, [{ type: 'verification.confirmed', detail: {} }]);
    expect((await watchDeadlines(s.deps)).reminders).toBeGreaterThan(0);
    const reminders = operatorMails(s).filter((m) => m.subject.includes('Reminder: this request waits on you'));
    expect(reminders.length).toBeGreaterThan(0);
    const sent = s.mailer.sent.length;
    expect(await watchDeadlines(s.deps)).toMatchObject({ reminders: 0 });
    expect(s.mailer.sent).toHaveLength(sent);
  });

  it('tells the person of a request stuck on a failure that the answer is delayed, instead of "in progress"', async () => {
    const s = demo();
    const request = await placeRequest(s, ['access']);
    await recordFailure(s.deps, { requestId: request.id, step: 'ApplyToSource', error: 'States.Timeout', taskToken: 't' });
    s.setNow(new Date(Date.parse(request.deadline.dueAt) - HOUR));
    expect(await watchDeadlines(s.deps)).toMatchObject({ delayNotices: 1, progressNotices: 0 });
    expect(mailsTo(s, request.email).map((m) => m.subject)).toEqual([`[${request.id}] Your request is delayed`]);
    expect(operatorMails(s).map((m) => m.subject)).toContain(`[${request.id}] Still needs attention, and the due date is near`);
  });

  it('alerts the operator once the due date has passed', async () => {
    const s = demo();
    const request = await placeRequest(s, ['access']);
    s.setNow(new Date(Date.parse(request.deadline.dueAt) + HOUR));
    expect(await watchDeadlines(s.deps)).toMatchObject({ overdue: 1 });
    expect(operatorMails(s).map((m) => m.subject)).toContain(`[${request.id}] The due date has passed`);
  });

  it('keeps a late entry to the date its receipt promised: nothing at entry, the overdue alert after that date, naming both', async () => {
    const s = demo();
    // Received by post on Monday 2 February, entered on the 10th: erasure was due by law on the 3rd.
    const { request } = await enterRequest(
      s.deps,
      { types: ['erasure'], email: 'letter@example.kz', language: 'en', channel: 'post', receivedAt: '2026-02-02', identity: 'attested', attestation: 'passport' },
      OPERATOR,
      { key: 'operator:late', field: 'Idempotency-Key' },
    );
    expect(request.entry?.promisedBy).toBe('2026-02-11T23:59:59+05:00');
    // The law's reminders, last day and overdue are all past at entry; none of them is sent then.
    expect(await watchDeadlines(s.deps)).toMatchObject({ reminders: 0, progressNotices: 0, overdue: 0 });
    expect(operatorMails(s)).toEqual([]);
    expect(await steps(s, request.id)).toEqual([]);
    // An hour before the promised date: the person hears from us, the operator is told.
    s.setNow(new Date(Date.parse(request.entry!.promisedBy!) - HOUR));
    expect(await watchDeadlines(s.deps)).toMatchObject({ progressNotices: 1, overdue: 0 });
    expect(mailsTo(s, request.email).map((m) => m.subject)).toContain(`[${request.id}] Your request is still in progress`);
    // Past the promised date: one overdue alert, naming the law's date and the one promised.
    s.setNow(new Date(Date.parse(request.entry!.promisedBy!) + HOUR));
    expect(await watchDeadlines(s.deps)).toMatchObject({ overdue: 1 });
    const [alert, ...more] = operatorMails(s).filter((m) => m.subject === `[${request.id}] The date promised for the answer has passed`);
    expect(more).toEqual([]);
    expect(alert!.text).toContain('The statutory due date is 3 February 2026, 23:59 Astana time; the request was entered when it had passed or was about to. Its receipt promised the person an answer by 11 February 2026, 23:59 Astana time.');
    expect(await watchDeadlines(s.deps)).toMatchObject({ overdue: 0 });
  });

  it('marks an open request whose execution stopped, and starts one that never got an execution', async () => {
    const s = demo();
    const stopped = await placeRequest(s, ['access']);
    const neverStarted = await placeRequest(s, ['access'], { status: 'RECEIVED' });
    s.workflow.stop(stopped.id, 'FAILED');
    s.workflow.stop(neverStarted.id, 'MISSING');
    // Intake starts the workflow right after persisting: a young request is given time.
    expect(await watchDeadlines(s.deps)).toMatchObject({ stopped: 0, started: 0 });
    s.setNow(new Date(NOW.getTime() + 10 * 60_000));
    expect(await watchDeadlines(s.deps)).toMatchObject({ stopped: 1, started: 1 });
    expect((await s.deps.requests.get(stopped.id)).attention).toMatchObject({ step: 'workflow', code: 'workflow_failed' });
    expect(s.workflow.started).toEqual([neverStarted.id]);
    expect(operatorMails(s).map((m) => m.subject)).toEqual([`[${stopped.id}] The workflow stopped (failed)`]);
  });

  it('handles every other request when one fails, then fails naming it', async () => {
    const s = demo();
    const failing = await placeRequest(s, ['access'], { email: 'refused@mail.example' });
    const fine = await placeRequest(s, ['access']);
    s.mailer.refused.add('refused@mail.example');
    s.setNow(new Date(Date.parse(fine.deadline.dueAt) - HOUR));
    const run = watchDeadlines(s.deps);
    await expect(run).rejects.toBeInstanceOf(DependencyError);
    await expect(run).rejects.toThrow(`the deadline watch could not handle 1 of 2 open requests: ${failing.id} (`);
    expect(mailsTo(s, fine.email).map((m) => m.subject)).toEqual([`[${fine.id}] Your request is still in progress`]);
  });

});
