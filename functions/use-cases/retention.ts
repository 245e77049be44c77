import type { OperatorActor } from '../domain/operator-identity.ts';
import { createHash } from 'node:crypto';
import { localize, mailDomain, type DataSource, type RetentionRule } from '../config/profile-schema.ts';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { ownRecordsCutoff, ownRecordsTerm } from '../domain/own-records.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { OWN_RECORDS, retentionCutoff, ruleFingerprint, type RetentionState } from '../domain/retention.ts';
import { awaitingApprovalMail } from '../domain/retention-texts.ts';
import type { Dependencies } from './dependencies.ts';
import { amendAsItStands } from './amend-as-it-stands.ts';
import type { RetentionLease, RetentionSource } from './ports.ts';

type Deps = Pick<Dependencies, 'profile' | 'deadlines' | 'retentionStates' | 'audit' | 'clock' | 'keyedHash' | 'mailer' | 'ownRecords'> & {
  retentionSourceFor: Dependencies['retentionSourceFor'];
};

const PAGE = 100;
const trail = (source: string) => `RETENTION#${source}`;

/** One retention rule: a data source's, or derbes' own records' (named OWN_RECORDS). */
interface Rule {
  id: string;
  rule: RetentionRule;
  erasure: DataSource['erasure'];
  fingerprint: string;
  /** Records whose date is before this are past their term. */
  cutoff: string;
  /** A legal hold on the whole source keeps every record; named by its basis. */
  sourceHold?: string;
  records(): RetentionSource;
}

/**
 * What decides how derbes' own records are anonymised, beyond the term: a change here (more fields, more kinds of
 * record) makes a new rule the operator approves again.
 */
const OWN_RECORDS_ANONYMISATION = ['request:email,name,changes,decision.reason,decision.answer,decision.basis.text,gpc', 'sourceResults:deleted', 'rawMail:deleted', 'attachments:deleted'];

function rules(deps: Pick<Deps, 'profile' | 'deadlines' | 'clock' | 'ownRecords' | 'retentionSourceFor'>): Rule[] {
  const now = deps.clock.now();
  const zone = deps.deadlines.timeZone(deps.profile.jurisdiction);
  const sources = deps.profile.retentionSchedule.sources.map((rule): Rule => {
    const source = deps.profile.sources.find((s) => s.id === rule.source)!; // the profile schema checked it exists
    return {
      id: source.id,
      rule,
      erasure: source.erasure,
      fingerprint: ruleFingerprint(rule, source),
      cutoff: retentionCutoff(rule, now, zone),
      ...(source.legalHold && { sourceHold: localize(source.legalHold.basis, deps.profile.defaultLanguage) }),
      records: () => deps.retentionSourceFor(source),
    };
  });
  const term = ownRecordsTerm(deps.profile.jurisdiction, now, zone, deps.profile.retentionSchedule.ownRecords);
  if (!term) return sources;
  const rule: RetentionRule = { source: OWN_RECORDS, keepFor: term.keepFor, from: 'closedAt', basis: term.basis };
  const own: Rule = {
    id: OWN_RECORDS,
    rule,
    erasure: 'anonymise',
    fingerprint: createHash('sha256').update(JSON.stringify({ rule, anonymisation: OWN_RECORDS_ANONYMISATION })).digest('hex').slice(0, 16),
    cutoff: ownRecordsCutoff(term.keepFor, now, zone),
    records: () => deps.ownRecords,
  };
  return [...sources, own];
}

function ruleFor(deps: Pick<Deps, 'profile' | 'deadlines' | 'clock' | 'ownRecords' | 'retentionSourceFor'>, sourceId: string): Rule {
  const all = rules(deps);
  const found = all.find((r) => r.id === sourceId);
  if (!found) throw new NotFoundError(`no retention rule for source '${sourceId}' (rules: ${all.map((r) => r.id).join(', ') || 'none'})`);
  return found;
}

/** A rule as the operator reads it: what it keeps, from when, how it erases, and whether this version is approved. */
function ruleView({ id, rule, erasure, fingerprint, cutoff }: Rule, state: RetentionState) {
  return { source: id, keepFor: rule.keepFor, from: rule.from, cutoff, erasure, fingerprint, approved: state.approvedFingerprint === fingerprint };
}

export interface PlanChunk {
  source: string;
  basis: string;
  keepFor: RetentionRule['keepFor'];
  from: string;
  cutoff: string;
  erasure: DataSource['erasure'];
  fingerprint: string;
  approved: boolean;
  /** Records past their term that would go, in this chunk. */
  expired: number;
  /** Records past their term that are kept, per hold, in this chunk. */
  held: Record<string, number>;
  /** Continue the count here; absent when the source has been read to its end. */
  cursor?: string;
}

/** A dry run over a few pages of one source: how many records would go and how many holds keep — counts, no personal data. */
export async function planChunk(deps: Deps, sourceId: string, cursor?: string): Promise<PlanChunk> {
  const planned = ruleFor(deps, sourceId);
  const { id, rule, cutoff, sourceHold } = planned;
  const state = await deps.retentionStates.get(id);
  const chunk: PlanChunk = { ...ruleView(planned, state), basis: localize(rule.basis, deps.profile.defaultLanguage), expired: 0, held: {} };
  let next = cursor;
  for (let page = 0; page < deps.profile.retentionSchedule.pagesPerRun; page++) {
    const found = await planned.records().expired(rule, cutoff, { cursor: next, limit: PAGE });
    for (const { hold } of found.records) {
      const keptBy = sourceHold ?? hold;
      if (keptBy) chunk.held[keptBy] = (chunk.held[keptBy] ?? 0) + 1;
      else chunk.expired++;
    }
    next = found.cursor;
    if (!next) break;
  }
  return { ...chunk, ...(next && { cursor: next }) };
}

/** The rules with their approval and the last pass, for `derbes retention plan` to walk. */
export async function retentionRules(deps: Deps) {
  return Promise.all(
    rules(deps).map(async (rule) => {
      const state = await deps.retentionStates.get(rule.id);
      const view = ruleView(rule, state);
      return {
        ...view,
        approvedAt: view.approved ? state.approvedAt : undefined,
        lastPassFinishedAt: state.lastPassFinishedAt,
        passInProgress: Boolean(state.cursor),
      };
    }),
  );
}

/** The operator approves the first real run of a rule as it now stands (after reading its plan). */
export async function approveRule(deps: Deps, sourceId: string, plan: { expired: number; held: Record<string, number> }): Promise<RetentionState> {
  const { id, fingerprint } = ruleFor(deps, sourceId);
  await deps.retentionStates.approve(id, fingerprint, deps.clock.now().toISOString());
  await deps.audit.append(trail(id), { type: 'retention.approved', detail: { source: id, fingerprint, expired: plan.expired, held: plan.held } });
  return deps.retentionStates.get(id);
}

export interface PurgeReport {
  purged: number;
  held: number;
  /** Requests closed before the closed-date index existed, given their place in it by this run (a one-time back-fill). */
  indexed: number;
  awaitingApproval: string[];
  passesFinished: string[];
}

/**
 * The scheduled purge: for each approved rule, a few pages further into the source (never the whole table in one
 * run), erasing what has passed its term as the source's erasure rule says, keeping what a legal hold keeps. A rule
 * not yet approved (or changed since) only tells the operator, once, that it waits.
 */
export async function purgeExpired(deps: Deps): Promise<PurgeReport> {
  const report: PurgeReport = { purged: 0, held: 0, indexed: 0, awaitingApproval: [], passesFinished: [] };
  const now = deps.clock.now();
  const all = rules(deps);
  if (all.some((rule) => rule.id === OWN_RECORDS)) await backfillClosedIndex(deps, now, report);
  for (const rule of all) {
    // Runs may overlap (a slow run, a retried schedule): each rule is worked by one run at a time. Should a run
    // outlive its lease, its writes fail and each record's purge is conditional, so nothing is purged or recorded twice.
    const lease = await deps.retentionStates.claim(rule.id, now, new Date(now.getTime() + LEASE_MS));
    if (!lease) continue;
    try {
      await purgeRule(deps, rule, lease, now, report);
    } finally {
      await deps.retentionStates.release(lease);
    }
  }
  return report;
}

/** A run holds a rule at most this long; the function's timeout is shorter, so a crashed run's hold runs out. */
const LEASE_MS = 10 * 60_000;

/** The back-fill's progress, kept beside the rules' (never a rule: it changes no personal data and needs no approval). */
const CLOSED_INDEX_BACKFILL = `${OWN_RECORDS}#closed-index-backfill`;
/** Items read per back-fill page: the requests table holds results and steps beside requests, all read past. */
const BACKFILL_PAGE = 1000;

/**
 * Requests closed before the closed-date index existed are in no index, so the own-records purge would never find
 * them: each scheduled run gives a few pages of them their place (resumable, one run at a time), until the table has
 * been read to its end once; from then on every closing write sets the attributes itself.
 */
async function backfillClosedIndex(deps: Deps, now: Date, report: PurgeReport): Promise<void> {
  const state = await deps.retentionStates.get(CLOSED_INDEX_BACKFILL);
  if (state.lastPassFinishedAt) return;
  const lease = await deps.retentionStates.claim(CLOSED_INDEX_BACKFILL, now, new Date(now.getTime() + LEASE_MS));
  if (!lease) return;
  try {
    const startedAt = state.passStartedAt ?? now.toISOString();
    let cursor = state.cursor;
    for (let page = 0; page < deps.profile.retentionSchedule.pagesPerRun; page++) {
      const done = await deps.ownRecords.indexClosedPage({ cursor, limit: BACKFILL_PAGE });
      report.indexed += done.indexed;
      cursor = done.cursor;
      const saved = await deps.retentionStates.saveProgress(lease, undefined, { cursor, passStartedAt: startedAt, ...(!cursor && { lastPassFinishedAt: now.toISOString() }) });
      if (!saved) return;
      if (!cursor) {
        await deps.audit.append(trail(OWN_RECORDS), { type: 'retention.index_backfilled', detail: { startedAt } });
        return;
      }
    }
  } finally {
    await deps.retentionStates.release(lease);
  }
}

async function purgeRule(deps: Deps, ruleToPurge: Rule, lease: RetentionLease, now: Date, report: PurgeReport): Promise<void> {
  const { id, rule, erasure, fingerprint, cutoff, sourceHold } = ruleToPurge;
  const state = await deps.retentionStates.get(id);
  if (state.approvedFingerprint !== fingerprint) {
    report.awaitingApproval.push(id);
    if (state.announcedFingerprint !== fingerprint) {
      await announce(deps, ruleToPurge);
      await deps.retentionStates.saveProgress(lease, state.approvedAt, { announcedFingerprint: fingerprint });
    }
    return;
  }
  const pass = state.cursor ? { startedAt: state.passStartedAt ?? now.toISOString(), purged: state.purged, held: state.held } : { startedAt: now.toISOString(), purged: 0, held: {} as Record<string, number> };
  const connector = ruleToPurge.records();
  let cursor = state.cursor;
  for (let page = 0; page < deps.profile.retentionSchedule.pagesPerRun; page++) {
    const found = await connector.expired(rule, cutoff, { cursor, limit: PAGE });
    for (const { record, hold } of found.records) {
      const keptBy = sourceHold ?? hold;
      if (keptBy) {
        pass.held[keptBy] = (pass.held[keptBy] ?? 0) + 1;
        report.held++;
        continue;
      }
      const hash = await deps.keyedHash('record', JSON.stringify(await connector.keyOf(record)));
      const event = { type: 'retention.purged' as const, detail: { source: id, erasure, cutoff, record: hash } };
      // The erasure and its audit entry in one write, only if the record is still there as found: once, whatever overlaps.
      if (await connector.purge({ rule, record, at: deps.clock.now(), audit: { trail: trail(id), event } })) {
        pass.purged++;
        report.purged++;
      }
    }
    cursor = found.cursor;
    const finished = !cursor;
    // Saved after every page: a crash repeats at most one page, and a purged record is not found again.
    const saved = await deps.retentionStates.saveProgress(lease, state.approvedAt, {
      cursor,
      passStartedAt: pass.startedAt,
      purged: pass.purged,
      held: pass.held,
      ...(finished && { lastPassFinishedAt: now.toISOString() }),
    });
    if (!saved) return; // the lease ran out and another run took the rule, or it was approved anew: that run goes on
    if (finished) {
      await deps.audit.append(trail(id), { type: 'retention.pass_finished', detail: { source: id, cutoff, purged: pass.purged, held: pass.held, startedAt: pass.startedAt } });
      report.passesFinished.push(id);
      return;
    }
  }
}

async function announce(deps: Deps, { id, rule, fingerprint }: Rule): Promise<void> {
  const language = deps.profile.defaultLanguage;
  await deps.mailer.send({
    to: deps.profile.operator.contactEmail,
    ...(await awaitingApprovalMail(language, { source: id, keepFor: rule.keepFor, from: rule.from, basis: localize(rule.basis, language), fingerprint })),
    messageId: `<retention.${id}.${fingerprint}@${mailDomain(deps.profile)}>`,
  });
  await deps.audit.append(trail(id), { type: 'retention.awaiting_approval', detail: { source: id, fingerprint } });
}

/**
 * The operator keeps one request's own records past their term (a dispute, a court case, an inspection) with the
 * basis named in the plan, or lifts the hold (`basis` null); the next pass then anonymises it if its term has passed.
 */
export async function holdRequest(deps: Pick<Dependencies, 'requests'>, requestId: string, input: { basis?: unknown }, actor: OperatorActor): Promise<DataSubjectRequest> {
  const { basis } = input;
  if (basis !== null && (typeof basis !== 'string' || !basis.trim() || basis.length > 300)) {
    throw new ValidationError([{ field: 'basis', message: 'the legal basis that keeps the request, as a short text (null lifts the hold)' }], 'legal hold');
  }
  // Checked on every read the write is based on: the purge may begin between the operator's read and the write; the
  // workflow moving an open request to its next step meanwhile changes nothing.
  const holdable = (current: DataSubjectRequest) => {
    if (current.anonymised) throw new ConflictError(`request ${requestId} was anonymised at ${current.anonymised.at}; there is nothing left to hold`);
    if (current.anonymising) throw new ConflictError(`request ${requestId} is being anonymised (its term has passed and its raw mail and results are being removed); it can no longer be held`);
  };
  const request = await deps.requests.get(requestId);
  holdable(request);
  const held = typeof basis === 'string' ? basis.trim() : undefined;
  return amendAsItStands(
    deps.requests,
    request,
    { legalHold: held },
    [{ type: 'retention.hold', detail: { held: Boolean(held), ...(held && { basis: held }), operator: actor } }],
    holdable,
  );
}
