import { eventsOfType } from '../domain/audit.ts';
import { escalationSchedule, type EscalationKind } from '../domain/deadlines/index.ts';
import { DependencyError, errorCodeOf } from '../domain/errors.ts';
import { answerTerm, OPEN_STATUSES, type DataSubjectRequest, type RequestStatus } from '../domain/request.ts';
import { loadMessages } from '../domain/messages.ts';
import { markStopped } from './attention.ts';
import type { Dependencies } from './dependencies.ts';
import { alertOperator, notifyPerson } from './notify.ts';
import { startWorkflow } from './start-workflow.ts';
import { newSecretCode } from '../domain/secret-code.ts';
import { retryWithheldReceipt } from './verification.ts';
import { watchBreaches, type BreachWatchReport } from './watch-breaches.ts';

/** Waits the workflow itself answers for at the safety margin (verification, operator decision). */
const WORKFLOW_ANSWERS_IN_TIME: readonly RequestStatus[] = ['AWAITING_VERIFICATION', 'AWAITING_DECISION'];
/** Statuses in which the operator holds the next move. */
const WAITS_ON_OPERATOR: readonly RequestStatus[] = ['AWAITING_DECISION', 'IN_PROGRESS', 'RECEIVED'];
/**
 * A request younger than this may not have its execution yet: intake persists it first and starts the workflow
 * right after. Only older ones count as having none.
 */
const START_GRACE_MS = 5 * 60_000;

export interface WatchReport {
  open: number;
  consentsProlonged: number;
  consentsExpired: number;
  reminders: number;
  progressNotices: number;
  /** Requests stuck on a failure whose person was told at the safety margin that the answer is delayed. */
  delayNotices: number;
  overdue: number;
  breaches?: BreachWatchReport;
  /** Open requests whose workflow had stopped; the operator was told and the request marked. */
  stopped: number;
  /** Open requests that had no workflow at all (a crash between persisting and starting it); started now. */
  started: number;
  /** Receipts the hour's budget withheld, mailed now that a later hour allows them (retryWithheldReceipt). */
  receiptsMailedAgain: number;
}

/** The escalation steps, plus the delay notice a request stuck on a failure gets at the safety margin. */
type WatchStep = EscalationKind | 'delay_notice';
type Counter = 'reminders' | 'progressNotices' | 'delayNotices' | 'overdue';

/**
 * A reminder concerns the operator only while the request waits on them. One that does not apply yet is left for a
 * later run rather than taken, so a request that reaches the operator after its reminder's time is still reminded.
 */
function appliesNow(request: DataSubjectRequest, kind: WatchStep): boolean {
  if (kind !== 'operator_reminder' && kind !== 'operator_last_day') return true;
  return WAITS_ON_OPERATOR.includes(request.status) || Boolean(request.attention);
}

/** `at` (the step's instant) tells apart the mails of steps of one kind, such as several reminders. */
async function takeStep(deps: Dependencies, request: DataSubjectRequest, kind: WatchStep, at: string): Promise<Counter | undefined> {
  switch (kind) {
    case 'operator_reminder':
    case 'operator_last_day':
      await alertOperator(deps, request, kind === 'operator_last_day' ? 'lastDay' : 'reminder', {}, [], at);
      return 'reminders';
    case 'interim_answer':
      // A stuck request gets the delay notice instead; verification and decision waits end with their own answer.
      if (request.attention || WORKFLOW_ANSWERS_IN_TIME.includes(request.status)) return undefined;
      await notifyPerson(deps, request, 'progressNotice', {}, at);
      await alertOperator(deps, request, 'safetyMargin', {}, [], at);
      return 'progressNotices';
    case 'delay_notice':
      await notifyPerson(deps, request, 'delayNotice', {}, at);
      const { step, code } = request.attention!;
      await alertOperator(deps, request, 'attentionAtMargin', { step: (await loadMessages(deps.profile.defaultLanguage)).stepName(step), stepId: step, code }, [], at);
      return 'delayNotices';
    case 'overdue': {
      // The promise of a late entry, while it is the date in force (an extension past it puts the law's date back).
      const promisedBy = answerTerm(request) === request.deadline ? undefined : request.entry?.promisedBy;
      if (!promisedBy) await alertOperator(deps, request, 'overdue', {}, [], at);
      else {
        const { date } = await loadMessages(deps.profile.defaultLanguage);
        const { dueAt, timeZone } = request.deadline;
        await alertOperator(deps, request, 'promisedDateOverdue', { dueAt: date(dueAt, timeZone), promisedBy: date(promisedBy, timeZone) }, [], at);
      }
      return 'overdue';
    }
  }
}

/**
 * Is the request's workflow still there? Stopped ones (failed, timed out, aborted, or finished while the request is
 * open) are marked and reported; a request that never got one is started, as intake would have.
 */
async function checkWorkflow(deps: Pick<Dependencies, 'profile' | 'publicUrl' | 'requests' | 'workflow' | 'mailer' | 'sentMail' | 'audit' | 'clock'>, request: DataSubjectRequest, running: Set<string>, now: Date, report: WatchReport): Promise<DataSubjectRequest> {
  if (request.attention || running.has(request.id) || now.getTime() - Date.parse(request.receivedAt) < START_GRACE_MS) return request;
  const status = await deps.workflow.status(request.id);
  if (status === 'RUNNING') return request; // started or redriven after the list was read
  // Overlapping runs: one acts. The claim is left to lapse rather than completed, so a workflow that stops again
  // after the operator resumed it is found again; until then the mark (read below) keeps this to once.
  if (!(await deps.requests.claimStep(request.id, 'workflow-check', now))) return request;
  const current = await deps.requests.get(request.id);
  if (!OPEN_STATUSES.includes(current.status) || current.attention) return current;
  if (status === 'MISSING' && current.status === 'RECEIVED') {
    await startWorkflow(deps, current);
    await deps.audit.append(current.id, { type: 'workflow.started', detail: { by: 'deadline-watch' } });
    report.started++;
    return current;
  }
  report.stopped++;
  return markStopped(deps, current, status);
}

/**
 * The scheduled check (EventBridge in AWS, a timer locally): for every open request — found through the due-date
 * index a page at a time, never a scan and never a capped list — makes sure its workflow is there, and takes each
 * escalation step whose time has come and that was not taken before. Nothing passes its due date in silence.
 * A request that cannot be handled does not stop the others; the run then fails, naming them, so it is retried and
 * alarmed on.
 */
export async function watchDeadlines(deps: Dependencies): Promise<WatchReport> {
  const now = deps.clock.now();
  // Consent terms end on time too: prolonged or expired, each an event in the ledger.
  const { prolonged, expired } = await deps.consent.applyDue(now);
  const report: WatchReport = { open: 0, consentsProlonged: prolonged, consentsExpired: expired, reminders: 0, progressNotices: 0, delayNotices: 0, overdue: 0, stopped: 0, started: 0, receiptsMailedAgain: 0 };
  const running = await deps.workflow.running();
  const failed: Array<{ requestId: string; code: string }> = [];
  for await (const open of deps.requests.eachOpen()) {
    report.open++;
    try {
      const request = await checkWorkflow(deps, open, running, now, report);
      if (await retryWithheldReceipt(deps, request, newSecretCode)) report.receiptsMailedAgain++;
      await deps.deadlines.load([request.deadline.rule.jurisdiction]); // the one it was received under
      // A late entry's receipt promised a later date than the law's, already past or about to pass when it was entered:
      // reminders, the person's progress notice and the overdue alert keep to that date, counted from the entry, as
      // the workflow's waits do (answerTerm). The inbox still shows the request overdue by the law's date.
      const term = answerTerm(request);
      const steps: Array<{ kind: WatchStep; at: string }> = escalationSchedule(term, new Date(term.receivedAt), deps.profile.escalation, deps.deadlines);
      const interim = steps.find((step) => step.kind === 'interim_answer')!;
      if (request.attention) steps.push({ kind: 'delay_notice', at: interim.at });
      const due = steps.filter((step) => Date.parse(step.at) <= now.getTime());
      if (!due.length) continue;
      const taken = new Set(
        eventsOfType(await deps.audit.list(request.id), 'deadline.step').map((e) => e.detail.kind),
      );
      for (const step of due.filter((s) => !taken.has(s.kind) && appliesNow(request, s.kind))) {
        // Runs of the watch may overlap (a slow run, a retried one): one of them takes each step.
        if (!(await deps.requests.claimStep(request.id, step.kind, now))) continue;
        const counted = await takeStep(deps, request, step.kind, step.at);
        await deps.audit.append(request.id, { type: 'deadline.step', detail: { kind: step.kind, at: step.at } });
        await deps.requests.completeStep(request.id, step.kind, now);
        if (counted) report[counted]++;
      }
    } catch (error) {
      failed.push({ requestId: open.id, code: errorCodeOf(error) });
    }
  }
  report.breaches = await watchBreaches(deps);
  if (failed.length) {
    throw new DependencyError(`the deadline watch could not handle ${failed.length} of ${report.open} open requests: ${failed.map((f) => `${f.requestId} (${f.code})`).join(', ')}`);
  }
  return report;
}
