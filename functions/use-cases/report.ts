import { isLocalDate, lastMillisecondOfLocalDay, startOfLocalDay } from '../domain/deadlines/local-time.ts';
import { ValidationError, type FieldProblem } from '../domain/errors.ts';
import { evidenceTexts } from '../domain/evidence/texts.ts';
import { fill, loadMessages } from '../domain/messages.ts';
import { buildReport, reportSvg, type PeriodReport } from '../domain/report.ts';
import { NOTICE_TYPES } from '../domain/request-policy.ts';
import type { Language, RequestType } from '../domain/request-types.ts';
import type { Dependencies } from './dependencies.ts';
import { noticeStandings } from './fulfilment.ts';

/**
 * The report of requests received from `from` to `to` (days of the operator's jurisdiction, both included), from the
 * received-date index; processors told are counted from the trails of the requests whose types tell processors.
 */
export async function periodReport(deps: Pick<Dependencies, 'requests' | 'audit' | 'profile' | 'deadlines' | 'clock'>, input: { from?: string; to?: string }): Promise<PeriodReport> {
  const zone = deps.deadlines.timeZone(deps.profile.jurisdiction);
  const problems: FieldProblem[] = [];
  const day = (field: 'from' | 'to') => {
    const value = input[field];
    if (value && isLocalDate(value)) return value;
    problems.push({ field, message: 'must be a day written YYYY-MM-DD' });
    return undefined;
  };
  const from = day('from');
  const to = day('to');
  if (from && to && from > to) problems.push({ field: 'to', message: 'must not be before from' });
  if (problems.length || !from || !to) throw new ValidationError(problems, 'report period');
  const facts = await deps.requests.receivedBetween(startOfLocalDay(from, zone), lastMillisecondOfLocalDay(to, zone));
  const tells = (types: readonly RequestType[]) => types.some((type) => (NOTICE_TYPES as readonly string[]).includes(type));
  let processorsTold = 0;
  for (const request of facts.filter((f) => tells(f.types))) {
    // A notice delivered counts once, however often an earlier version of the step recorded it.
    processorsTold += [...noticeStandings(await deps.audit.list(request.id)).values()].filter((notice) => notice.state === 'delivered').length;
  }
  // Each request's days are counted in the jurisdiction it was received under, which a later deployment may have changed.
  await deps.deadlines.load(facts.map((fact) => fact.jurisdiction));
  return buildReport({ from: input.from!, to: input.to! }, facts, processorsTold, (jurisdiction, date) => deps.deadlines.isWorkingDay(jurisdiction, date), deps.clock.now());
}

/** The report's chart in one language (labels from rules/messages, section `evidence.report`). */
export async function reportChart(report: PeriodReport, language: Language): Promise<string> {
  const m = await loadMessages(language);
  const t = evidenceTexts(language).report;
  const values = {
    from: m.day(report.from),
    to: m.day(report.to),
    requests: String(report.requests),
    onTime: String(report.answered.onTime),
    late: String(report.answered.late),
    open: String(report.open.total),
    abandoned: String(report.verificationAbandoned),
    notARequest: String(report.notARequest),
  };
  return reportSvg(report, {
    title: fill(t.title, values),
    description: fill(t.description, values),
    byType: t.byType,
    outcomes: t.outcomes,
    typeName: m.kindName,
    onTime: t.onTime,
    late: t.late,
    open: t.open,
    abandoned: t.abandoned,
    notARequest: t.notARequest,
  });
}
