import { escalationSchedule, type EscalationKind } from '../domain/deadlines/index.ts';
import type { DataSubjectRequest, RequestStatus } from '../domain/request.ts';
import type { Dependencies } from './dependencies.ts';
import { alertOperator, notifyPerson } from './notify.ts';
import { watchBreaches, type BreachWatchReport } from './watch-breaches.ts';

/** Waits the workflow itself answers for at the safety margin (verification, operator decision). */
const WORKFLOW_ANSWERS_IN_TIME: readonly RequestStatus[] = ['AWAITING_VERIFICATION', 'AWAITING_DECISION'];
/** Statuses in which the operator holds the next move. */
const WAITS_ON_OPERATOR: readonly RequestStatus[] = ['AWAITING_DECISION', 'IN_PROGRESS', 'RECEIVED'];

export interface WatchReport {
  open: number;
  consentsProlonged: number;
  consentsExpired: number;
  reminders: number;
  progressNotices: number;
  overdue: number;
  breaches?: BreachWatchReport;
}

async function takeStep(deps: Dependencies, request: DataSubjectRequest, kind: EscalationKind): Promise<'reminders' | 'progressNotices' | 'overdue' | undefined> {
  switch (kind) {
    case 'operator_reminder':
    case 'operator_last_day':
      if (!WAITS_ON_OPERATOR.includes(request.status)) return undefined;
      await alertOperator(deps, request, kind === 'operator_last_day' ? 'last working day before the due date' : 'reminder: this request waits on you', `Status: ${request.status}.`);
      return 'reminders';
    case 'interim_answer':
      // Verification and decision waits end with their own reasoned answer at this moment; others get a notice here.
      if (WORKFLOW_ANSWERS_IN_TIME.includes(request.status)) return undefined;
      await notifyPerson(deps, request, 'progressNotice', {});
      await alertOperator(deps, request, 'still open at the safety margin', `Status: ${request.status}. The person has been sent a progress notice.`);
      return 'progressNotices';
    case 'overdue':
      await alertOperator(deps, request, 'OVERDUE', `Status: ${request.status}. The due date has passed.`);
      return 'overdue';
  }
}

/**
 * The scheduled check (EventBridge in AWS, a timer locally): for every open request — found through the due-date
 * index, never a scan — takes each escalation step whose time has come and that was not taken before. Nothing
 * passes its due date in silence.
 */
export async function watchDeadlines(deps: Dependencies): Promise<WatchReport> {
  const now = deps.clock.now();
  // Consent terms end on time too: prolonged or expired, each an event in the ledger.
  const { prolonged, expired } = await deps.consent.applyDue(now);
  const report: WatchReport = { open: 0, consentsProlonged: prolonged, consentsExpired: expired, reminders: 0, progressNotices: 0, overdue: 0 };
  for (const request of await deps.requests.listOpen(1000)) {
    report.open++;
    const due = escalationSchedule(request.deadline, new Date(request.receivedAt), deps.profile.escalation, deps.deadlines).filter((step) => Date.parse(step.at) <= now.getTime());
    if (!due.length) continue;
    const taken = new Set(
      (await deps.audit.list(request.id)).filter((e) => e.type === 'deadline.step').map((e) => (e.detail as { kind: string }).kind),
    );
    for (const step of due.filter((s) => !taken.has(s.kind))) {
      const counted = await takeStep(deps, request, step.kind);
      await deps.audit.append(request.id, { type: 'deadline.step', detail: { kind: step.kind, at: step.at } });
      if (counted) report[counted]++;
    }
  }
  report.breaches = await watchBreaches(deps);
  return report;
}
