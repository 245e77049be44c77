import { fieldLabel, localize, type DataSource } from '../config/profile-schema.ts';
import { NO_RESULT_AFTER_RETRIES, type RecordedAuditEvent } from '../domain/audit.ts';
import { PlanOutdatedError } from '../domain/errors.ts';
import { loadMessages, type AnswerText, type Messages } from '../domain/messages.ts';
import { OPEN_STATUSES, type DataSubjectRequest } from '../domain/request.ts';
import { anyType, policyOf, type SourceStep } from '../domain/request-policy.ts';
import type { Language, RequestType } from '../domain/request-types.ts';
import { accessReport, accessText, publishAccessPackage } from './access-package.ts';
import { assertMayChangeData } from './guards.ts';
import { consentSections } from './consent.ts';
import type { Dependencies } from './dependencies.ts';
import { noticeStandings, notifyProcessors } from './fulfilment.ts';
import { erasureFieldsIn, ownRecords, plannedSources, sourceSteps, type OwnRecords } from './fulfilment-plan.ts';
import { alertOperator, notifyPerson } from './notify.ts';
import type { SourceOutcome, SourceResult } from './ports.ts';

/** The request's types a step serves, for naming it to the person. */
function typesServedBy(step: SourceStep, types: readonly RequestType[]): RequestType[] {
  if (step === 'consent_flags') return types.filter((type) => policyOf(type).endsConsents !== 'none');
  // An erasure limited to particular fields is still the erasure the person asked for.
  return types.filter((type) => policyOf(type).sourceStep === (step === 'field_erasure' ? 'erasure' : step));
}

/**
 * How the answer says what each step did: the sentence for records changed, and the one for nothing to change
 * (only where the person asked for exactly that; a withdrawal's own section says the rest). A step that destroys says
 * how each source does it (its `erasure`): destroyed, or anonymised.
 */
const STEP_TEXT: Partial<Record<SourceStep, { done: AnswerText | Record<DataSource['erasure'], AnswerText>; nothing?: AnswerText }>> = {
  rectification: { done: 'rectification', nothing: 'nothingToRectify' },
  blocking: { done: 'blocking', nothing: 'nothingToBlock' },
  unblocking: { done: 'unblocking', nothing: 'nothingToUnblock' },
  erasure: { done: { delete: 'erasure', anonymise: 'erasureAnonymised' }, nothing: 'nothingToErase' },
  marketing_opt_out: { done: 'unsubscribed', nothing: 'notSubscribed' },
};

/** After a withdrawal where the profile erases: destroyed or anonymised, as each source does it. */
const WITHDRAWAL_ERASED = { delete: 'withdrawalErased', anonymise: 'withdrawalAnonymised' } as const;

interface StepReport {
  step: SourceStep;
  done: DataSource[];
  kept: Array<{ source: DataSource; basis: string }>;
  /** Planned somewhere and finished everywhere: only then may the answer say there was nothing to do. */
  complete: boolean;
}

/** What each step did across the sources, from the outcomes kept step by step. */
function stepReports(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest, results: SourceResult[]): StepReport[] {
  const reports = new Map<SourceStep, StepReport>();
  for (const source of deps.profile.sources) {
    const result = results.find((r) => r.sourceId === source.id);
    for (const step of sourceSteps(deps.profile, source, request)) {
      const report = reports.get(step) ?? { step, done: [], kept: [], complete: true };
      reports.set(step, report);
      const outcome: SourceOutcome | undefined = result?.outcomes[step];
      if (!outcome) report.complete = false;
      else if (outcome.status === 'kept') report.kept.push({ source, basis: outcome.basis });
      else if (outcome.affected > 0) report.done.push(source);
    }
  }
  return [...reports.values()];
}

/**
 * The sentences for the sources a step changed: one text for all, or, for a step that destroys, one per way the
 * sources erase (destroyed here, anonymised there).
 */
function doneSections(done: readonly DataSource[], text: AnswerText | Record<DataSource['erasure'], AnswerText>, name: (source: DataSource) => string, m: Messages): string[] {
  if (typeof text === 'string') return done.length ? [m.answer(text, { sources: m.sourceList(done.map(name)) })] : [];
  return (Object.entries(text) as Array<[DataSource['erasure'], AnswerText]>).flatMap(([erasure, byErasure]) => doneSections(done.filter((source) => source.erasure === erasure), byErasure, name, m));
}

/**
 * Where the law keeps the data: the source, the hold's basis, and how long the data are kept where the profile
 * knows the term (else: as long as the law requires).
 */
function keptSection(source: DataSource, basis: string, language: Language, m: Messages): string {
  const term = source.legalHold?.term;
  const values = { source: localize(source.description, language), basis };
  return term ? m.answer('keptFor', { ...values, term: localize(term, language) }) : m.answer('kept', values);
}

/** What was changed, blocked or destroyed where, what was kept and why, and what there was nothing to do for. */
function changeSections(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest, results: SourceResult[], m: Messages): string[] {
  const sections: string[] = [];
  const name = (source: DataSource) => localize(source.description, request.language);
  for (const report of stepReports(deps, request, results)) {
    if (report.step === 'consent_withdrawal') {
      sections.push(...doneSections(report.done, deps.profile.consentWithdrawal.sources === 'block' ? 'withdrawalBlocked' : WITHDRAWAL_ERASED, name, m));
    } else if (report.step === 'consent_flags') {
      // An opt-out alone ends the marketing consents only: the records then say no marketing, not every consent withdrawn.
      const withdrawn = anyType(request.types, (policy) => policy.endsConsents === 'every purpose');
      sections.push(...doneSections(report.done, withdrawn ? 'consentRecorded' : 'marketingRecorded', name, m));
    } else if (report.step === 'rectification' && report.done.length) {
      sections.push(m.answer('rectification', { changes: describeChanges(deps, request, m), sources: m.sourceList(report.done.map(name)) }));
    } else if (report.step === 'field_erasure') {
      if (report.done.length) sections.push(m.answer('fieldErasure', { erased: describeErasedFields(deps, request, report.done, m) }));
      else if (report.complete && !report.kept.length) sections.push(m.answer('nothingToEraseFields'));
    } else {
      const text = STEP_TEXT[report.step];
      if (text && report.done.length) sections.push(...doneSections(report.done, text.done, name, m));
      else if (text?.nothing && report.complete && !report.kept.length) sections.push(m.answer(text.nothing));
    }
    for (const kept of report.kept) sections.push(keptSection(kept.source, kept.basis, request.language, m));
  }
  return sections;
}

/** The corrections as the person reads them: the field's label and the new value. */
function describeChanges(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest, m: Messages): string {
  return Object.entries(request.changes ?? {})
    .map(([field, value]) => m.answer('change', { field: fieldLabel(deps.profile, field, request.language), value }))
    .join('\n');
}

/** A limited erasure as the person reads it: what was erased in each source that held it (labels, never values). */
function describeErasedFields(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest, done: readonly DataSource[], m: Messages): string {
  return done
    .map((source) => {
      const fields = erasureFieldsIn(source, request).map((field) => fieldLabel(deps.profile, field, request.language));
      return m.answer('fieldsErasedIn', { source: localize(source.description, request.language), fields: m.list(fields) });
    })
    .join('\n');
}

/**
 * Who was told of the request (by a notice delivered, or by the operator who marked it done), and who could not be
 * told yet (the operator has it as open work), as the trail leaves each notice; in the profile's order. Where our
 * sources held nothing of the person, they were told in case they hold something: not as those who process their data.
 */
function processorSections(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest, trail: RecordedAuditEvent[], own: OwnRecords, m: Messages): string[] {
  const standings = [...noticeStandings(trail).values()];
  // One the profile no longer lists (changed since its notice) is named by its id, after the others.
  const ids = [...new Set([...deps.profile.processors.map((p) => p.id), ...standings.map((standing) => standing.processorId)])];
  const name = (id: string) => {
    const processor = deps.profile.processors.find((p) => p.id === id);
    return processor ? localize(processor.name, request.language) : id;
  };
  const told: string[] = [];
  const notTold: string[] = [];
  for (const id of ids) {
    const states = standings.filter((standing) => standing.processorId === id).map((standing) => standing.state);
    if (!states.length) continue;
    (states.includes('undelivered') ? notTold : told).push(name(id));
  }
  return [
    ...(told.length ? [m.answer(own.untouched ? 'processorsToldNothingHeld' : 'processorsTold', { processors: m.list(told) })] : []),
    ...(notTold.length ? [m.answer('processorsNotTold', { processors: m.list(notTold) })] : []),
  ];
}

/**
 * The last step: the processors and recipients hear of the changes (each notice delivered once, however often the
 * step runs; within the time the invocation has until `invocationEndsAt`, keeping what the answer needs), then the
 * person is answered. One step rather than two saves a state transition per request; a failure of either reaches the
 * operator as this step's, and resuming it runs both again, telling no one twice.
 */
export async function notifyAndAnswer(
  deps: Parameters<typeof notifyProcessors>[0] & Parameters<typeof answerRequest>[0],
  requestId: string,
  invocationEndsAt: Date,
  ranOn?: readonly string[],
): Promise<void> {
  // One read serves the plan's check and the notices; the answer reads the request again, as the operator may have
  // changed it while the notices were out.
  const request = await deps.requests.get(requestId);
  if (ranOn) assertPlanCurrent(deps, request, ranOn);
  await notifyProcessors(deps, request, invocationEndsAt);
  await answerRequest(deps, requestId);
}

/**
 * Before anyone is told: the sources the fulfilment ran on (`ranOn`, the Map's list) include every source the
 * request needs under the profile as it is now. One added since its execution started (a request that began as it
 * was confirmed takes its sources from the start) was never asked: PlanOutdatedError, and the workflow plans it again.
 */
function assertPlanCurrent(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest, ranOn: readonly string[]): void {
  if (request.status !== 'IN_PROGRESS') return; // answered already, or refused below
  const missing = plannedSources(deps.profile, request).filter((source) => !ranOn.includes(source.id));
  if (missing.length) throw new PlanOutdatedError(`request ${request.id} needs sources its fulfilment did not run on: ${missing.map((s) => s.id).join(', ')}`);
}

/**
 * The answer to the person: one section per thing asked, what was kept and why, which sources could not finish in
 * time (the operator is alerted about those), and who else was told. Closes the request.
 */
export async function answerRequest(
  deps: Pick<Dependencies, 'profile' | 'requests' | 'audit' | 'mailer' | 'sentMail' | 'clock' | 'suppressInSes' | 'consent' | 'personKey' | 'packages' | 'downloads' | 'publicUrl'>,
  requestId: string,
): Promise<void> {
  const request = await deps.requests.get(requestId);
  if (!OPEN_STATUSES.includes(request.status)) return; // already answered before a restart
  // The answer discloses what was found: only to a confirmed address, and past a decision where one is needed. An
  // open request that is not in progress (a release forged with a leaked token) fails here, to the operator.
  assertMayChangeData(deps, request);
  const m = await loadMessages(request.language);
  const results = await deps.requests.listSourceResults(requestId);
  // Only what was planned and has no outcome failed: a withdrawal that asks nothing of a source leaves it alone.
  const unfinished = deps.profile.sources
    .map((source) => ({ source, steps: sourceSteps(deps.profile, source, request).filter((step) => !results.find((r) => r.sourceId === source.id)?.outcomes[step]) }))
    .filter((entry) => entry.steps.length);
  const sections: string[] = [];
  const report = anyType(request.types, (policy) => policy.sourceStep === 'access') ? await accessReport(deps, request, results) : undefined;
  if (report) sections.push(accessText(report, m));
  // One read of the trail serves the consent and the processor sections; so does what our own sources held.
  const trail = await deps.audit.list(requestId);
  const own = ownRecords(deps.profile, request, results);
  sections.push(...(await consentSections(deps, request, trail, own)), ...changeSections(deps, request, results, m));
  const answer = request.decision?.approved ? request.decision.answer : undefined;
  if (answer) sections.push(anyType(request.types, (policy) => policy.answerSection === 'claim') ? m.answer('claim', { decision: answer }) : m.answer('operatorAnswer', { answer }));
  sections.push(...processorSections(deps, request, trail, own, m));
  for (const { source, steps } of unfinished) {
    await deps.audit.append(requestId, { type: 'source.failed', detail: { sourceId: source.id, error: NO_RESULT_AFTER_RETRIES, steps } });
    const types = [...new Set(steps.flatMap((step) => typesServedBy(step, request.types)))];
    sections.push(m.answer('sourceFailed', { source: localize(source.description, request.language), types: m.typeNames(types) }));
  }
  // The links to the copy come last: everything the copy holds has been said above.
  if (report) sections.push(await publishAccessPackage(deps, request, report));
  await notifyPerson(deps, request, 'answer', { sections: sections.join('\n\n') });
  // Only now that the person has the confirmation: SES' own list would stop it too (see sesAccountSuppression).
  if (anyType(request.types, (policy) => policy.endsConsents === 'marketing') && deps.profile.sesAccountSuppression) await deps.suppressInSes(request.email);
  if (unfinished.length) {
    const language = deps.profile.defaultLanguage;
    await alertOperator(deps, request, 'partialAnswer', { sources: (await loadMessages(language)).list(unfinished.map(({ source }) => `${localize(source.description, language)} (${source.id})`)) });
  }
  await deps.requests.transition(request, 'IN_PROGRESS', 'COMPLETED', { closedAt: deps.clock.now().toISOString() });
}
