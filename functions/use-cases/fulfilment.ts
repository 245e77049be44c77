import { createHash } from 'node:crypto';
import { correctableFields, fieldLabel, localize, type DataSource, type OperatorProfile } from '../config/profile-schema.ts';
import type { AuditEvent, RecordedAuditEvent } from '../domain/audit.ts';
import { NotFoundError } from '../domain/errors.ts';
import { loadMessages } from '../domain/messages.ts';
import type { DataSubjectRequest, RequestStatus } from '../domain/request.ts';
import type { Language, RequestType } from '../domain/request-types.ts';
import { processorNotice } from '../domain/processor-notice.ts';
import { NOTICE_TYPES, type NoticeType, type SourceStep } from '../domain/request-policy.ts';
import type { Dependencies } from './dependencies.ts';
import { consentFlags, destroys, erasureFieldsIn, ownRecords, sourceSteps, type OwnRecords, type ReviewReason } from './fulfilment-plan.ts';
import { assertMayChangeData } from './guards.ts';
import { alertOperator } from './notify.ts';
import type { DataSourceConnector, NoticeDelivery, SourceOutcome, SourceResult, Subject } from './ports.ts';
import type { Processor } from '../config/profile-schema.ts';

/** The reasons as one line in a language (the operator's, or English for the API and the command line). */
export async function describeReasons(reasons: readonly ReviewReason[], language: Language): Promise<string[]> {
  const m = await loadMessages(language);
  return reasons.map((reason) => m.reviewReason(reason.kind, reason.type ? { type: m.kindName(reason.type) } : {}));
}

/**
 * The part of a rectification one source takes: the fields it declares correctable. Where the profile declares none
 * at all, the changes are the operator's (see reviewReasons) and go to every source as stated.
 */
function changesForSource(profile: Pick<OperatorProfile, 'sources'>, source: DataSource, changes: Record<string, string>): Record<string, string> {
  if (!correctableFields(profile).size) return changes;
  return Object.fromEntries(Object.entries(changes).filter(([field]) => source.fields[field]?.correctable));
}

/**
 * A legal duty to keep the data wins over its destruction; the answer names the basis. A source that holds nothing of
 * the person keeps nothing of theirs: it has nothing to destroy, and the answer must not say it keeps their data.
 */
async function keptUnderHold(source: DataSource, connector: DataSourceConnector, subject: Subject, request: DataSubjectRequest): Promise<SourceOutcome | undefined> {
  if (!source.legalHold) return undefined;
  if (!(await connector.find(subject)).length) return { status: 'done', affected: 0 };
  return { status: 'kept', basis: localize(source.legalHold.basis, request.language) };
}

async function runStep(deps: Pick<Dependencies, 'profile'>, step: SourceStep, source: DataSource, connector: DataSourceConnector, subject: Subject, request: DataSubjectRequest, result: SourceResult): Promise<SourceOutcome> {
  switch (step) {
    case 'access':
      result.records = await connector.find(subject);
      return { status: 'done', affected: result.records.length };
    case 'rectification':
      return connector.rectify(subject, changesForSource(deps.profile, source, request.changes ?? {}));
    case 'blocking':
      return connector.block(subject);
    case 'unblocking':
      return connector.unblock(subject);
    case 'consent_flags':
      return connector.withdrawConsent(subject, consentFlags(deps.profile, source, request.types));
    case 'consent_withdrawal':
      return deps.profile.consentWithdrawal.sources === 'block' ? connector.block(subject) : ((await keptUnderHold(source, connector, subject, request)) ?? connector.erase(subject));
    case 'marketing_opt_out':
      // A mailing list holds nothing the law makes us keep: the person leaves it.
      return connector.erase(subject);
    case 'field_erasure':
      return (await keptUnderHold(source, connector, subject, request)) ?? connector.eraseFields(subject, erasureFieldsIn(source, request));
    case 'erasure':
      return (await keptUnderHold(source, connector, subject, request)) ?? connector.erase(subject);
  }
}

/**
 * Before a source's records are destroyed, each confirmed access request of the same person that has not read that
 * source yet keeps them as they stand. A person who asks to see their data and to erase it in two requests, confirmed
 * together, has them run side by side: the access must not find the source already emptied by the erasure.
 */
async function keepForWaitingAccess(deps: Pick<Dependencies, 'profile' | 'requests'>, request: DataSubjectRequest, source: DataSource, records: Array<Record<string, unknown>>): Promise<void> {
  if (!request.personKey) return;
  const waiting = (await deps.requests.findByPerson(request.personKey)).filter(
    (other) => other.id !== request.id && CONFIRMED_OPEN.includes(other.status) && sourceSteps(deps.profile, source, other).includes('access'),
  );
  for (const other of waiting) {
    const read: SourceResult = { sourceId: source.id, records, outcomes: { access: { status: 'done', affected: records.length } }, attempts: 0, readBefore: request.id };
    await deps.requests.putSourceResult(other.id, read, 'unread');
  }
}

/** An open request the person has confirmed: an unconfirmed one may be a stranger's, and is given nothing. */
const CONFIRMED_OPEN: readonly RequestStatus[] = ['IN_PROGRESS', 'AWAITING_DECISION'];

const describeOutcome = (outcome: SourceOutcome) => (outcome.status === 'done' ? `done: ${outcome.affected}` : 'kept');

/**
 * Carries out every step of the request in one source. Each step's outcome is kept as soon as it is known, so an
 * attempt that is retried (after a timeout, a crash) skips what an earlier attempt finished; before destroying, the
 * count of what is about to go is kept too, so a destruction whose answer was lost still counts what it destroyed.
 */
export async function applyToSource(deps: Pick<Dependencies, 'profile' | 'requests' | 'connectorFor' | 'audit'>, requestId: string, sourceId: string): Promise<{ sourceId: string; outcomes: Record<string, string> }> {
  const request = await deps.requests.get(requestId);
  assertMayChangeData(deps, request);
  const source = deps.profile.sources.find((s) => s.id === sourceId);
  if (!source) throw new NotFoundError(`data source ${sourceId} is not in the operator profile`);
  const steps = sourceSteps(deps.profile, source, request);
  // Every source stands ready for a request a person decides on (a claim among them): one it asks nothing of is
  // left alone, and the trail says nothing was done there rather than that it was applied.
  if (!steps.length) return { sourceId, outcomes: {} };
  const connector = deps.connectorFor(source);
  const subject: Subject = { email: request.email, requestId };
  const earlier = (await deps.requests.listSourceResults(requestId)).find((r) => r.sourceId === sourceId);
  const result: SourceResult = {
    sourceId,
    records: earlier?.records ?? [],
    outcomes: { ...earlier?.outcomes },
    started: { ...earlier?.started },
    attempts: (earlier?.attempts ?? 0) + 1,
    // A read kept for it by an erasure stays said so, whatever steps follow.
    ...(earlier?.readBefore && { readBefore: earlier.readBefore }),
  };
  const keep = () => deps.requests.putSourceResult(requestId, result);
  for (const step of steps) {
    if (result.outcomes[step]) continue;
    const counts = destroys(deps.profile, step) && !(step !== 'marketing_opt_out' && source.legalHold);
    if (counts && result.started![step] === undefined) {
      const found = await connector.find(subject);
      await keepForWaitingAccess(deps, request, source, found);
      result.started![step] = found.length;
      await keep();
    }
    const outcome = await runStep(deps, step, source, connector, subject, request, result);
    const before = result.started![step];
    result.outcomes[step] = outcome.status === 'done' && before !== undefined ? { status: 'done', affected: Math.max(outcome.affected, before) } : outcome;
    // A read kept for this request by another that destroyed the records meanwhile wins over this one, which may
    // have found them gone.
    if (step !== 'access') await keep();
    else if (!(await deps.requests.putSourceResult(requestId, result, 'unread'))) {
      const kept = (await deps.requests.listSourceResults(requestId)).find((r) => r.sourceId === sourceId)!;
      Object.assign(result, { records: kept.records, readBefore: kept.readBefore });
      result.outcomes.access = kept.outcomes.access;
      await keep();
    }
  }
  const outcomes = Object.fromEntries(Object.entries(result.outcomes).map(([step, outcome]) => [step, describeOutcome(outcome)]));
  const erasedFields = steps.includes('field_erasure') ? { erasedFields: erasureFieldsIn(source, request) } : {};
  await deps.audit.append(requestId, { type: 'source.applied', detail: { sourceId, attempt: result.attempts, outcomes, ...erasedFields } });
  return { sourceId, outcomes };
}

/**
 * Which processors and recipients hear of which types of this request. A correction that changed nothing is told to
 * nobody: there is no change to tell of, nor current data to ask us for. A request to stop, block, unblock or destroy
 * is told even where our records held nothing: a processor may hold what we no longer do (it received it from us
 * earlier, or collected it for us), and the law's demand reaches it all the same.
 */
function noticesFor(profile: OperatorProfile, request: DataSubjectRequest, own: OwnRecords): Array<{ processor: Processor; type: NoticeType }> {
  return profile.processors.flatMap((processor) =>
    request.types
      .filter((t): t is NoticeType => (NOTICE_TYPES as readonly RequestType[]).includes(t) && processor.notifyOn.includes(t as NoticeType))
      .filter((type) => type !== 'rectification' || own.corrected)
      .map((type) => ({ processor, type })),
  );
}

/** The follow-up of a notice not delivered, as the operator marks it done: processor:<id>:<type>. */
export function noticeWorkId(processorId: string, type: string): string {
  return `processor:${processorId}:${type}`;
}

/**
 * Where one notice stands by the trail. Its last recorded delivery decides, unless the operator marked its follow-up
 * done after it failed (they told them by hand, and only a delivery recorded later changes that). `since`: when it came to stand so; for a notice not delivered, its
 * first failure since it last stood otherwise. `alerted`: for a notice not delivered, whether an operator's alert
 * about notices not told was recorded since that first failure.
 */
export interface NoticeStanding {
  processorId: string;
  type: string;
  state: 'delivered' | 'told by hand' | 'undelivered';
  since: string;
  alerted: boolean;
}

/** Every notice of a request as its trail leaves it, by its follow-up's id (noticeWorkId). */
export function noticeStandings(trail: readonly RecordedAuditEvent[]): Map<string, NoticeStanding> {
  const standings = new Map<string, NoticeStanding>();
  for (const event of trail) {
    if (event.type === 'processor.notified') {
      const { processorId, noticeType: type, delivered } = event.detail;
      const id = noticeWorkId(processorId, type);
      // Told by hand stays told: a failure recorded after it is a try that was already out when the operator marked it.
      if (!delivered && standings.get(id)?.state === 'told by hand') continue;
      const failing = standings.get(id)?.state === 'undelivered' ? standings.get(id)! : undefined;
      standings.set(
        id,
        delivered
          ? { processorId, type, state: 'delivered', since: event.at, alerted: false }
          : { processorId, type, state: 'undelivered', since: failing?.since ?? event.at, alerted: failing?.alerted ?? false },
      );
    } else if (event.type === 'open-work.done') {
      const standing = standings.get(event.detail.id);
      if (standing?.state === 'undelivered') standings.set(event.detail.id, { ...standing, state: 'told by hand', since: event.at });
    } else if (event.type === 'operator.alerted' && event.detail.alert === 'processorsNotTold') {
      // The alert names the notices not delivered when it went out: every failure recorded before it.
      for (const [id, standing] of standings) if (standing.state === 'undelivered') standings.set(id, { ...standing, alerted: true });
    }
  }
  return standings;
}

/**
 * What must still fit in the invocation once the notices are done: recording them, the operator's alert and the
 * answer to the person (read, composed, mailed, the request closed).
 */
export const AFTER_NOTICES_MS = 20_000;

/** Less time than this is no fair try of a notice: it is recorded as not delivered without one. */
const SHORTEST_NOTICE_MS = 1_000;

/**
 * Tells each processor and recipient of the changes that concern them, in their language; every delivery is an audit
 * event. The notices go out side by side, within the time the invocation has left before `invocationEndsAt` but for
 * what must follow them (AFTER_NOTICES_MS): a processor that does not answer costs the others nothing, and none
 * holds up the answer. A notice not delivered — refused, unanswered in time, or with no time left to try — is left
 * to the operator as open work, with an alert, and the answer says it has not been done.
 *
 * When the step runs again (a retry, a resume), the trail decides: a notice delivered, or one the operator marked
 * done, is not sent again; one not delivered is tried again (processors tell a repeat by the notice's request id
 * and type), and its follow-up closes if it gets through. The operator is alerted once about a notice's failure,
 * however often it fails again. Once the request is answered, nothing is sent: what was not delivered is the
 * operator's. A notice that throws fails the step, but only once every other has been sent and recorded.
 */
export async function notifyProcessors(
  deps: Pick<Dependencies, 'profile' | 'requests' | 'publicUrl' | 'processorNotifier' | 'openWork' | 'mailer' | 'sentMail' | 'audit' | 'clock'>,
  request: DataSubjectRequest,
  invocationEndsAt: Date,
): Promise<{ notified: number; failed: number }> {
  const requestId = request.id;
  const own = ownRecords(deps.profile, request, await deps.requests.listSourceResults(requestId));
  const notices = noticesFor(deps.profile, request, own);
  if (!notices.length) return { notified: 0, failed: 0 };
  const standings = noticeStandings(await deps.audit.list(requestId));
  const settled = (id: string) => standings.get(id)?.state === 'delivered' || standings.get(id)?.state === 'told by hand';
  const toTell = request.status === 'IN_PROGRESS' ? notices.filter(({ processor, type }) => !settled(noticeWorkId(processor.id, type))) : [];
  const noticesEndAt = invocationEndsAt.getTime() - AFTER_NOTICES_MS;
  // The trail takes one event after another: each delivery is recorded as soon as it is known, in turn, and an
  // append that fails leaves the next ones to be written all the same.
  let recording = Promise.resolve();
  const record = (event: AuditEvent) => {
    const appended = recording.then(() => deps.audit.append(requestId, event));
    recording = appended.catch(() => undefined);
    return appended;
  };
  // Every notice comes to its end before the step goes on or fails: one still running after a failure would be sent
  // again by the retry, which reads the trail without it.
  const outcomes = await Promise.allSettled(toTell.map(({ processor, type }) => tell(deps, request, processor, type, own, noticesEndAt - deps.clock.now().getTime(), record)));
  // Read again: what this run recorded, and a follow-up the operator marked done while the notices were out.
  const after = noticeStandings(await deps.audit.list(requestId));
  const tried = new Set(toTell.map(({ processor, type }) => noticeWorkId(processor.id, type)));
  const unalerted: Array<{ id: string; processor: Processor; since: string }> = [];
  let notified = 0;
  for (const { processor, type } of notices) {
    const id = noticeWorkId(processor.id, type);
    const standing = after.get(id);
    if (standing?.state === 'undelivered' && tried.has(id)) {
      // A notice that failed again keeps the date its follow-up was first opened.
      await deps.openWork.put({ requestId, id, kind: 'processor_notice', processorId: processor.id, type, since: standing.since });
      if (!standing.alerted) unalerted.push({ id, processor, since: standing.since });
    } else if (standing && standing.state !== 'undelivered') {
      // Delivered, or told by hand: a follow-up left open (a run that failed before closing it) is nobody's any more.
      await deps.openWork.remove(requestId, id);
      notified++;
    }
  }
  if (unalerted.length) {
    const language = deps.profile.defaultLanguage;
    const names = [...new Set(unalerted.map(({ processor }) => localize(processor.name, language)))];
    // One alert per set of failures not yet alerted, each by its first failure: a run that repeats the alert's
    // failures (its alert lost on the way) sends it once, and a repeat after the alert is recorded sends none.
    const round = createHash('sha256').update(unalerted.map(({ id, since }) => `${id}@${since}`).sort().join('\n')).digest('hex').slice(0, 32);
    await alertOperator(deps, request, 'processorsNotTold', { processors: (await loadMessages(language)).list(names) }, unalerted.map(({ id }) => id), round);
  }
  const thrown = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (thrown) throw thrown.reason;
  return { notified, failed: notices.length - notified };
}

/**
 * Sends one notice within `withinMs` and records its delivery in the trail through `record`. With less than a fair try's time left it is recorded as not delivered, with no attempt.
 */
async function tell(
  deps: Pick<Dependencies, 'profile' | 'processorNotifier'>,
  request: DataSubjectRequest,
  processor: Processor,
  type: NoticeType,
  own: OwnRecords,
  withinMs: number,
  record: (event: AuditEvent) => Promise<void>,
): Promise<void> {
  const requestId = request.id;
  const language = processor.language ?? deps.profile.defaultLanguage;
  const m = await loadMessages(language);
  // An erasure limited to particular data is told as that: which fields go, and that the rest stays.
  const erasureFields = type === 'erasure' ? request.erasureFields : undefined;
  const notice = processorNotice({ requestId, type, submittedAt: request.receivedAt, email: request.email, controllerName: deps.profile.operator.legalName, erasureFields });
  const action = erasureFields ? m.processorFieldErasure(m.list(erasureFields.map((field) => `${fieldLabel(deps.profile, field, language)} (${field})`))) : m.processorAction(type);
  const mail = m.mail('processorNotice', {
    reference: requestId,
    controller: localize(deps.profile.operator.name, language),
    action: [action, ...(own.untouched ? [m.processorNothingHeld] : [])].join('\n\n'),
    type: m.kindName(type),
    submittedAt: m.date(request.receivedAt, request.deadline.timeZone),
    email: request.email,
    contact: deps.profile.operator.contactEmail,
  });
  const delivery: Omit<NoticeDelivery, 'processorId'> =
    withinMs >= SHORTEST_NOTICE_MS ? await deps.processorNotifier.notify(processor, notice, mail, withinMs) : { channel: processor.notify.kind, delivered: false, attempts: 0 };
  await record({
    type: 'processor.notified',
    detail: {
      processorId: processor.id,
      noticeType: type,
      channel: delivery.channel,
      delivered: delivery.delivered,
      attempts: delivery.attempts,
      ...(delivery.signature && { signature: delivery.signature }),
    },
  });
}
