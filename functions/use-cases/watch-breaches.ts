import { mailDomain } from '../config/profile-schema.ts';
import { eventsOfType } from '../domain/audit.ts';
import { unfiledNotices, type AuthorityNotice, type Breach } from '../domain/breaches/breach.ts';
import { loadBreachTexts } from '../domain/breaches/texts.ts';
import { escalationSchedule, type EscalationKind } from '../domain/deadlines/index.ts';
import { continueMailing } from './breaches.ts';
import type { Dependencies } from './dependencies.ts';

type Deps = Pick<Dependencies, 'profile' | 'deadlines' | 'breaches' | 'mailer' | 'audit' | 'clock' | 'limits'>;

export interface BreachWatchReport {
  openBreaches: number;
  reminders: number;
  atRisk: number;
  overdue: number;
  personNoticesSent: number;
}

const COUNTED: Record<EscalationKind, keyof BreachWatchReport> = {
  operator_reminder: 'reminders',
  operator_last_day: 'reminders',
  interim_answer: 'atRisk',
  overdue: 'overdue',
};

/** Tells the operator's contact and the breach's responsible person that a notice to an authority needs them. */
async function alert(deps: Deps, breach: Breach, notice: AuthorityNotice, kind: EscalationKind): Promise<void> {
  const language = deps.profile.defaultLanguage;
  const { texts, fill, date } = await loadBreachTexts(language);
  const { deadline } = notice;
  const values = {
    reference: breach.id,
    alert: texts.alerts[kind],
    detectedAt: date(breach.detectedAt, deadline.timeZone),
    authority: deadline.authority[language] ?? deadline.authority.en,
    dueAt: date(deadline.dueAt, deadline.timeZone),
    jurisdiction: deadline.rule.jurisdiction,
  };
  const subject = fill(texts.operatorAlert.subject, values);
  const text = fill(texts.operatorAlert.body, values);
  // One alert of each kind per notice: a watch run repeated after a crash sends it with the same Message-ID, which
  // a mailbox that already has it keeps once.
  const messageId = `<${breach.id}.${kind}.${deadline.rule.jurisdiction}@${mailDomain(deps.profile)}>`;
  for (const to of new Set([deps.profile.operator.contactEmail, breach.responsible.email])) await deps.mailer.send({ to, subject, text, messageId });
  await deps.audit.append(breach.id, { type: 'operator.alerted', detail: { alert: `${deadline.rule.jurisdiction}: ${kind}` } });
}

/**
 * The breach part of the scheduled watch: for every breach with an unfiled notice — from the due-date index, never
 * a scan — reminds, warns at the safety margin and alerts when overdue, each step once per notice; and sends the next
 * batch of approved mails to affected people.
 */
export async function watchBreaches(deps: Deps): Promise<BreachWatchReport> {
  const now = deps.clock.now().getTime();
  const report: BreachWatchReport = { openBreaches: 0, reminders: 0, atRisk: 0, overdue: 0, personNoticesSent: 0 };
  for (const breach of await deps.breaches.listOpen()) {
    report.openBreaches++;
    let taken: Set<string> | undefined;
    for (const notice of unfiledNotices(breach)) {
      await deps.deadlines.load([notice.deadline.rule.jurisdiction]); // the one the breach was recorded under
      const due = escalationSchedule(notice.deadline, new Date(breach.detectedAt), deps.profile.escalation, deps.deadlines).filter((step) => Date.parse(step.at) <= now);
      if (!due.length) continue;
      taken ??= new Set(eventsOfType(await deps.audit.list(breach.id), 'deadline.step').map((e) => e.detail.kind));
      for (const step of due) {
        const kind = `${notice.deadline.rule.jurisdiction}:${step.kind}`;
        if (taken.has(kind)) continue;
        await alert(deps, breach, notice, step.kind);
        await deps.audit.append(breach.id, { type: 'deadline.step', detail: { kind, at: step.at } });
        taken.add(kind);
        report[COUNTED[step.kind]]++;
      }
    }
    if (breach.personNotice && !breach.personNotice.finishedAt) report.personNoticesSent += await continueMailing(deps, breach);
  }
  return report;
}
