import { dateHolidays } from '../../functions/adapters/holidays/date-holidays.ts';
import { readFileSync, existsSync } from 'node:fs';
import { ProcessorNotifier } from '../../functions/adapters/processors/processor-notifier.ts';
import type { postSigned } from '../../functions/adapters/http/signed-post.ts';
import { RETENTION_MARK } from '../../functions/adapters/sources/dynamodb-retention.ts';
import { ANONYMISED, changesFor, erasedFieldsOf, permittedChanges } from '../../functions/adapters/sources/source-rules.ts';
import { parseProfile } from '../../functions/config/load-profile.ts';
import { mailDomain, type DataSource, type OperatorProfile, type RetentionRule } from '../../functions/config/profile-schema.ts';
import type { AuditEvent, RecordedAuditEvent } from '../../functions/domain/audit.ts';
import { chainEvents, type ChainedAuditEvent, type ChainHead } from '../../functions/domain/audit-chain.ts';
import type { DigestHead, DigestPointer } from '../../functions/domain/audit-digest.ts';
import { sign } from '../../functions/domain/signing.ts';
import { reportFactsOf } from '../../functions/domain/report.ts';
import {
  applyEvents,
  dueEvents,
  grantEvents,
  parseConsentAction,
  stateAt,
  withdrawEvents,
  type ConsentActionInput,
  type ConsentEvent,
  type ConsentLedger,
  type ConsentPolicy,
  type ConsentState,
  type RecordedConsentEvent,
} from '../../functions/domain/consent/index.ts';
import { createDeadlineEngine, loadShippedRules, type RuleDocuments } from '../../functions/domain/deadlines/index.ts';
import { canonicalJson } from '../../functions/domain/canonical.ts';
import { anonymisedRequest } from '../../functions/domain/own-records.ts';
import { emptyState, type RetentionState } from '../../functions/domain/retention.ts';
import { ConflictError, IdempotencyKeyReusedError, InvalidTokenError, NotFoundError, WaitEndedError } from '../../functions/domain/errors.ts';
import { keyedHash, personKey } from '../../functions/domain/person-key.ts';
import { needsWatching, type AffectedSubject, type Breach } from '../../functions/domain/breaches/breach.ts';
import { assertTransition, OPEN_STATUSES, verifiedNow, type Channel, type DataSubjectRequest, type RequestStatus } from '../../functions/domain/request.ts';
import type { Dependencies } from '../../functions/use-cases/dependencies.ts';
import type { HeldMail, HeldMailResolution } from '../../functions/domain/held-mail.ts';
import { SHIPPED_RULES } from '../../functions/domain/deadlines/shipped.ts';
import {
  BLOCKED_ATTRIBUTE,
  type BreachRegister,
  type AttentionStore,
  type AuditChains,
  type AuditLog,
  type InboundMailEvent,
  type HeldMailStore,
  type HeldMailEvent,
  type PendingAttention,
  type DataSourceConnector,
  type DecisionStore,
  type DownloadGrant,
  type DownloadTokens,
  type ExecutionStart,
  type ExecutionStatus,
  type Mailer,
  type MailKey,
  type SentMailLedger,
  type MailClaim,
  MAIL_CLAIM_LEASE_MS,
  type OpenWorkItem,
  type OpenWorkStore,
  type OutgoingMail,
  type PackageStore,
  type PendingDecision,
  type RecordPurge,
  type RetentionLease,
  type RetentionProgress,
  type OwnRecords,
  type RetentionSource,
  type RetentionStates,
  type Changes,
  type Idempotency,
  type RequestRef,
  requestIdOf,
  type RequestStore,
  type SourceOutcome,
  type SourceResult,
  type Subject,
  type SuppressionList,
  MAX_WAITING_PER_LINK,
  type BucketLimit,
  type MailBudgets,
  type HourlyCounter,
  type RateLimiter,
  type Verification,
  type VerificationStore,
  type Workflow,
} from '../../functions/use-cases/ports.ts';

/**
 * The use cases with every port held in memory: the same code that builds and sends mail in the workflow, run with a
 * fixed clock and no AWS. For tests of the use cases and of what people receive (the golden mails), not for the
 * adapters (test/integration tests those against DynamoDB Local).
 */

class MemoryRequests implements RequestStore {
  readonly requests = new Map<string, DataSubjectRequest>();
  readonly results = new Map<string, Map<string, SourceResult>>();
  constructor(private readonly audit: MemoryAudit) {}
  /** Idempotency markers by channel and key, as the DynamoDB store keeps them. */
  private readonly idempotencyMarkers = new Map<string, { requestId: string; bodyHash: string }>();
  async receivedBetween(from: Date, to: Date) {
    return [...this.requests.values()].filter((r) => Date.parse(r.receivedAt) >= from.getTime() && Date.parse(r.receivedAt) <= to.getTime()).map(reportFactsOf);
  }
  async create(request: DataSubjectRequest, event: AuditEvent, idempotency?: Idempotency) {
    const markerKey = idempotency && `${request.channel}\n${idempotency.key}`;
    const marker = markerKey ? this.idempotencyMarkers.get(markerKey) : undefined;
    if (marker) {
      if (marker.bodyHash !== idempotency!.bodyHash) throw new IdempotencyKeyReusedError(idempotency!.field);
      return { request: await this.get(marker.requestId), created: false };
    }
    if (this.requests.has(request.id)) throw new ConflictError(`request ${request.id} exists`);
    const created = markerKey ? { ...request, idempotencyMarker: markerKey } : request;
    this.requests.set(request.id, structuredClone(created));
    if (markerKey) this.idempotencyMarkers.set(markerKey, { requestId: request.id, bodyHash: idempotency!.bodyHash });
    await this.audit.append(request.id, event);
    return { request: created, created: true };
  }
  async madeUnder(channel: Channel, key: string) {
    return this.idempotencyMarkers.has(`${channel}\n${key}`);
  }
  /** What the anonymisation does with the idempotency key's record. */
  forgetIdempotencyMarker(markerKey: string) {
    this.idempotencyMarkers.delete(markerKey);
  }
  async get(id: string) {
    const request = this.requests.get(id);
    if (!request) throw new NotFoundError(`request ${id} does not exist`);
    return structuredClone(request);
  }
  async transition(which: RequestRef, from: RequestStatus, to: RequestStatus, changes: Partial<DataSubjectRequest> = {}, also: AuditEvent[] = []) {
    const id = requestIdOf(which);
    const current = await this.get(id);
    if (current.status !== from) throw new ConflictError(`request ${id} is ${current.status}, not ${from}`);
    assertTransition(current, to);
    const next = { ...current, ...changes, status: to };
    this.requests.set(id, structuredClone(next));
    for (const event of [...also, { type: 'status.changed', detail: { from, to } } as AuditEvent]) await this.audit.append(id, event);
    return next;
  }
  async markVerified(id: string, verifiedAt: string, beginsAtOnce: (request: DataSubjectRequest) => boolean = () => false) {
    const current = await this.get(id);
    if (current.verifiedAt) return { outcome: 'already' as const, request: current };
    if (current.status !== 'AWAITING_VERIFICATION') return { outcome: 'closed' as const, request: current };
    const { next, events } = verifiedNow(current, verifiedAt, beginsAtOnce);
    this.requests.set(id, structuredClone(next));
    for (const event of events) await this.audit.append(id, event);
    return { outcome: 'marked' as const, request: next };
  }
  async amend(which: RequestRef, status: RequestStatus, changes: Changes, events: AuditEvent[], check?: (current: DataSubjectRequest) => void) {
    const id = requestIdOf(which);
    // Read and written with no await between, as the DynamoDB store's conditional write makes it: nothing is lost to a concurrent amend.
    const stored = this.requests.get(id);
    if (!stored) throw new NotFoundError(`request ${id} does not exist`);
    const current = structuredClone(stored);
    if (current.status !== status) throw new ConflictError(`request ${id} is ${current.status}, not ${status}`);
    check?.(current);
    const next = { ...current, ...(typeof changes === 'function' ? changes(current) : changes), status };
    this.requests.set(id, structuredClone(next));
    for (const event of events) await this.audit.append(id, event);
    return next;
  }
  private open() {
    return [...this.requests.values()].filter((r) => OPEN_STATUSES.includes(r.status)).sort((a, b) => a.deadline.dueAt.localeCompare(b.deadline.dueAt));
  }
  async listOpen(page: { limit: number; cursor?: string }) {
    const start = Number(page.cursor ?? 0);
    const open = this.open();
    const next = start + page.limit;
    return { requests: open.slice(start, next).map((r) => structuredClone(r)), ...(next < open.length ? { cursor: String(next) } : {}) };
  }
  async *eachOpen() {
    for (const request of this.open()) yield structuredClone(request);
  }
  async findByPerson(personKey: string) {
    return [...this.requests.values()].filter((r) => r.personKey === personKey).sort((a, b) => b.receivedAt.localeCompare(a.receivedAt)).map((r) => structuredClone(r));
  }
  private readonly steps = new Map<string, boolean>();
  async claimStep(id: string, step: string) {
    if (this.steps.has(`${id}#${step}`)) return false;
    this.steps.set(`${id}#${step}`, false);
    return true;
  }
  async completeStep(id: string, step: string) {
    this.steps.set(`${id}#${step}`, true);
  }
  async putSourceResult(id: string, result: SourceResult, condition?: 'unread') {
    if (!this.results.has(id)) this.results.set(id, new Map());
    if (condition && this.results.get(id)!.get(result.sourceId)?.outcomes.access) return false;
    this.results.get(id)!.set(result.sourceId, structuredClone(result));
    return true;
  }
  async listSourceResults(id: string) {
    return [...(this.results.get(id)?.values() ?? [])].map((r) => structuredClone(r));
  }
}

/** The trails as the DynamoDB audit log keeps them: each append linked into its trail's chain, the head kept apart. */
class MemoryAudit implements AuditLog, AuditChains {
  readonly events: ChainedAuditEvent[] = [];
  readonly headOf = new Map<string, ChainHead>();
  constructor(private readonly now: () => Date) {}
  async append(requestId: string, event: AuditEvent) {
    const at = this.now().toISOString();
    const [chained] = chainEvents(requestId, this.headOf.get(requestId), [event], at);
    this.events.push(chained!);
    this.headOf.set(requestId, { trail: requestId, seq: chained!.seq, hash: chained!.hash, movedAt: at });
  }
  async appendInboundMail(sesMessageId: string, event: InboundMailEvent) {
    await this.appendOnce(`INBOUND#${sesMessageId}`, 'mail', event);
  }
  readonly marks = new Set<string>();
  async appendOnce(trail: string, once: string, event: AuditEvent) {
    const mark = `${trail}\u0000${once}`;
    if (this.marks.has(mark)) return false;
    this.marks.add(mark);
    await this.append(trail, event);
    return true;
  }
  async appendedOnce(trail: string, once: string) {
    return this.marks.has(`${trail}\u0000${once}`);
  }
  async list(requestId: string): Promise<RecordedAuditEvent[]> {
    return this.events.filter((e) => e.requestId === requestId).map(({ seq: _seq, prev: _prev, hash: _hash, ...event }) => event as RecordedAuditEvent);
  }
  async chain(trail: string) {
    const head = this.headOf.get(trail);
    return { events: this.events.filter((e) => e.requestId === trail), ...(head ? { head } : {}), unchained: [] };
  }
  latest?: DigestPointer;
  readonly anchors = new Map<string, DigestPointer & { seq: number }>();
  async latestDigest() {
    return this.latest;
  }
  async recordDigest(digest: DigestPointer, previous: DigestPointer | undefined, heads: DigestHead[]) {
    for (const head of heads) this.anchors.set(head.trail, { ...digest, seq: head.seq });
    if (this.latest?.key !== previous?.key) return false;
    this.latest = digest;
    return true;
  }
  async anchorOf(trail: string) {
    return this.anchors.get(trail);
  }
  async trails(options: { cursor?: string; limit: number }) {
    const { heads, cursor } = await this.heads(options);
    return { trails: heads.map((head) => head.trail), ...(cursor ? { cursor } : {}) };
  }
  async heads(options: { movedSince?: string; cursor?: string; limit: number }) {
    const all = [...this.headOf.values()].filter((h) => !options.movedSince || h.movedAt >= options.movedSince).sort((a, b) => a.movedAt.localeCompare(b.movedAt) || a.trail.localeCompare(b.trail));
    const start = Number(options.cursor ?? 0);
    const next = start + options.limit;
    return { heads: all.slice(start, next), ...(next < all.length ? { cursor: String(next) } : {}) };
  }
}

class MemoryTokens<T> {
  readonly items = new Map<string, { value: T; expiresAt: string; used?: boolean }>();
  put(hash: string, value: T, expiresAt: string) {
    this.items.set(hash, { value, expiresAt });
  }
  peek(hash: string, now: Date) {
    const item = this.items.get(hash);
    if (!item || item.used || item.expiresAt <= now.toISOString()) throw new InvalidTokenError('token is unknown, used or expired');
    return item;
  }
  consume(hash: string, now: Date) {
    const item = this.peek(hash, now);
    item.used = true;
    return item;
  }
}

/** Confirmation links as the DynamoDB store keeps them: one current link per address, requests waiting on it. */
class MemoryVerifications implements VerificationStore {
  private readonly links = new Map<string, Verification>();
  private readonly pointers = new Map<string, string>();
  private readonly tasks = new Map<string, string>();
  async putTask(requestId: string, taskToken: string) {
    this.tasks.set(requestId, taskToken);
  }
  async task(requestId: string) {
    return this.tasks.get(requestId);
  }
  async current(recipientKey: string) {
    const codeHash = this.pointers.get(recipientKey);
    if (!codeHash) return undefined;
    const link = this.links.get(codeHash);
    return { codeHash, ...(link ? { verification: structuredClone(link) } : {}) };
  }
  async open(verification: Verification, replacing?: string) {
    if (this.pointers.get(verification.recipientKey) !== replacing) return false;
    this.links.set(verification.codeHash, structuredClone(verification));
    this.pointers.set(verification.recipientKey, verification.codeHash);
    return true;
  }
  async join(codeHash: string, waiting: string[], now: Date) {
    const link = this.links.get(codeHash);
    if (!link || link.expiresAt <= now.toISOString() || link.confirmedAt || link.supersededAt || link.withheldAt || link.waiting.length >= MAX_WAITING_PER_LINK) return false;
    link.waiting = [...new Set([...link.waiting, ...waiting])];
    return true;
  }
  async supersede(codeHash: string, now: Date) {
    const link = this.links.get(codeHash);
    if (!link || link.mailedAt || link.confirmedAt || link.supersededAt) return undefined;
    link.supersededAt = now.toISOString();
    return structuredClone(link);
  }
  private mark(codeHash: string, attribute: 'mailedAt' | 'withheldAt' | 'completedAt', at: Date) {
    const link = this.links.get(codeHash);
    if (!link) throw new NotFoundError(`no link ${codeHash}`);
    link[attribute] = at.toISOString();
  }
  async markMailed(codeHash: string, at: Date) {
    this.mark(codeHash, 'mailedAt', at);
  }
  async markWithheld(codeHash: string, at: Date) {
    this.mark(codeHash, 'withheldAt', at);
  }
  async complete(codeHash: string, at: Date) {
    this.mark(codeHash, 'completedAt', at);
  }
  async peek(codeHash: string, now: Date) {
    const link = this.links.get(codeHash);
    if (!link || link.completedAt || link.supersededAt || (!link.confirmedAt && link.expiresAt <= now.toISOString())) throw new InvalidTokenError('verification code is unknown, used or expired');
    return structuredClone(link);
  }
  async claim(codeHash: string, now: Date) {
    const link = await this.peek(codeHash, now);
    this.links.get(codeHash)!.confirmedAt ??= now.toISOString();
    return { ...link, confirmedAt: this.links.get(codeHash)!.confirmedAt };
  }
}

/** Token buckets and mail budgets as counters: every request admitted, every mail counted against its budget. */
export class MemoryLimits implements RateLimiter, MailBudgets {
  private readonly recipients = new Map<string, string[]>();
  private readonly hours = new Map<string, number>();
  /** The buckets' GCRA times ("full again at"), as the DynamoDB limiter keeps them. */
  readonly buckets = new Map<string, number>();
  async take(bucket: string, limit: BucketLimit, now: Date) {
    const interval = 60_000 / limit.perMinute;
    const tolerance = interval * (limit.burst - 1);
    const tat = Math.max(this.buckets.get(bucket) ?? 0, now.getTime());
    if (tat > now.getTime() + tolerance) return Math.max(1, Math.ceil((tat - tolerance - now.getTime()) / 1000));
    this.buckets.set(bucket, tat + interval);
    return 0;
  }
  async spendRecipient(recipientKey: string, budget: { max: number; windowHours: number }, now: Date) {
    const since = new Date(now.getTime() - budget.windowHours * 3_600_000).toISOString();
    const spent = (this.recipients.get(recipientKey) ?? []).filter((at) => at > since);
    if (spent.length >= budget.max) return false;
    this.recipients.set(recipientKey, [...spent, now.toISOString()]);
    return true;
  }
  async refundRecipient(recipientKey: string) {
    this.recipients.delete(recipientKey);
  }
  async returnRecipient(recipientKey: string, spentAt: Date) {
    const sent = this.recipients.get(recipientKey) ?? [];
    const spent = sent.indexOf(spentAt.toISOString());
    if (spent >= 0) this.recipients.set(recipientKey, sent.toSpliced(spent, 1));
  }
  async spendHourly(counter: HourlyCounter, max: number, now: Date) {
    const hour = `${now.toISOString().slice(0, 13)}#${counter}`;
    const before = this.hours.get(hour) ?? 0;
    if (before < max) {
      this.hours.set(hour, before + 1);
      return { allowed: true, firstRefusal: false };
    }
    const alerted = this.once.has(`refused#${hour}`);
    this.once.add(`refused#${hour}`);
    return { allowed: false, firstRefusal: !alerted };
  }
  private readonly once = new Set<string>();
  async firstThisHour(name: string, now: Date) {
    const key = `${now.toISOString().slice(0, 13)}#${name}`;
    if (this.once.has(key)) return false;
    this.once.add(key);
    return true;
  }
}

class MemoryDownloads implements DownloadTokens {
  private readonly tokens = new MemoryTokens<DownloadGrant>();
  async put(tokenHash: string, grant: DownloadGrant, expiresAt: string) {
    this.tokens.put(tokenHash, grant, expiresAt);
  }
  async consume(tokenHash: string, now: Date) {
    return this.tokens.consume(tokenHash, now).value;
  }
}

class MemoryDecisions implements DecisionStore {
  readonly pending = new Map<string, PendingDecision>();
  async put(pending: PendingDecision) {
    this.pending.set(pending.requestId, pending);
  }
  async list() {
    return [...this.pending.values()];
  }
  async take(requestId: string) {
    const pending = this.pending.get(requestId);
    if (!pending) throw new NotFoundError(`no decision is pending for request ${requestId}`);
    this.pending.delete(requestId);
    return pending;
  }
}

class MemoryAttention implements AttentionStore {
  readonly pending = new Map<string, PendingAttention>();
  async put(pending: PendingAttention) {
    this.pending.set(pending.requestId, pending);
  }
  async take(requestId: string) {
    const pending = this.pending.get(requestId);
    if (!pending) throw new NotFoundError(`request ${requestId} waits for no resume`);
    this.pending.delete(requestId);
    return pending;
  }
}

class MemoryOpenWork implements OpenWorkStore {
  readonly items = new Map<string, OpenWorkItem>();
  async put(item: OpenWorkItem) {
    this.items.set(`${item.requestId}#${item.id}`, item);
  }
  async putEarliest(item: OpenWorkItem) {
    const open = this.items.get(`${item.requestId}#${item.id}`);
    if (!open || open.since > item.since) await this.put(item);
  }
  async list() {
    return [...this.items.values()];
  }
  async remove(requestId: string, id: string) {
    this.items.delete(`${requestId}#${id}`);
  }
}

/** The held-mail list as the DynamoDB store keeps it: listed from held until settled, the latest first, moved only from where it stands. */
export class MemoryHeldMail implements HeldMailStore {
  constructor(private readonly audit: MemoryAudit) {}
  readonly mails = new Map<string, HeldMail & { resolution?: HeldMailResolution; expiresAt: Date }>();
  async hold(mail: HeldMail, expiresAt: Date) {
    if (!this.mails.has(mail.sesMessageId)) this.mails.set(mail.sesMessageId, structuredClone({ ...mail, expiresAt }));
  }
  async get(sesMessageId: string) {
    const stored = this.mails.get(sesMessageId);
    if (!stored) throw new NotFoundError(`no held mail ${sesMessageId}`);
    const { expiresAt: _expires, ...mail } = structuredClone(stored);
    return mail;
  }
  private listed(since: Date) {
    return [...this.mails.values()]
      .filter((m) => (!m.resolution || m.resolution.kind === 'admitting') && m.arrivedAt >= since.toISOString())
      .sort((a, b) => `${b.arrivedAt}#${b.sesMessageId}`.localeCompare(`${a.arrivedAt}#${a.sesMessageId}`));
  }
  async list(page: { limit: number; cursor?: string; since: Date }) {
    const all = this.listed(page.since);
    const start = Number(page.cursor ?? 0);
    const next = start + page.limit;
    return { mails: all.slice(start, next).map(({ expiresAt: _expires, ...mail }) => structuredClone(mail)), ...(next < all.length ? { cursor: String(next) } : {}) };
  }
  async count(since: Date) {
    return this.listed(since).length;
  }
  async startAdmission(sesMessageId: string, resolution: Extract<HeldMailResolution, { kind: 'admitting' }>) {
    const mail = this.mails.get(sesMessageId);
    if (!mail || (mail.resolution && mail.resolution.kind !== 'admitting')) return false;
    mail.resolution = resolution;
    return true;
  }
  async abandonAdmission(sesMessageId: string) {
    const mail = this.mails.get(sesMessageId);
    if (mail?.resolution?.kind === 'admitting') delete mail.resolution;
  }
  async settle(sesMessageId: string, resolution: Exclude<HeldMailResolution, { kind: 'admitting' }>, event: HeldMailEvent) {
    const mail = this.mails.get(sesMessageId);
    if (!mail || (resolution.kind === 'admitted' ? mail.resolution?.kind !== 'admitting' : mail.resolution !== undefined)) return false;
    const { sender: _sender, senderName: _name, subject: _subject, ...rest } = mail;
    this.mails.set(sesMessageId, { ...rest, resolution } as HeldMail & { resolution: HeldMailResolution; expiresAt: Date });
    await this.audit.append(`INBOUND#${sesMessageId}`, event);
    return true;
  }
}

class MemoryPackages implements PackageStore {
  readonly objects = new Map<string, { body: string; contentType: string }>();
  async put(key: string, body: string, contentType: string) {
    this.objects.set(key, { body, contentType });
  }
  async read(key: string) {
    const object = this.objects.get(key);
    if (!object) throw new NotFoundError(`no object ${key}`);
    return object.body;
  }
}

/** derbes' own records in memory: closed requests past their term, anonymised as the DynamoDB adapter does. */
class MemoryOwnRecords implements OwnRecords {
  constructor(
    private readonly requests: MemoryRequests,
    private readonly audit: AuditLog,
    private readonly digestOf: (canonical: string) => string,
  ) {}
  async expired(_rule: RetentionRule, before: string, options: { cursor?: string; limit: number }) {
    const closed = [...this.requests.requests.values()]
      .filter((r) => !OPEN_STATUSES.includes(r.status) && r.closedAt && !r.anonymised && new Date(r.closedAt).toISOString() < before)
      .sort((a, b) => a.closedAt!.localeCompare(b.closedAt!) || a.id.localeCompare(b.id));
    const start = Number(options.cursor ?? 0);
    const page = closed.slice(start, start + options.limit);
    return {
      records: page.map((r) => ({ record: structuredClone(r) as unknown as Record<string, unknown>, ...(r.legalHold && { hold: r.legalHold }) })),
      ...(start + options.limit < closed.length ? { cursor: String(start + options.limit) } : {}),
    };
  }
  async purge({ record, at, audit }: RecordPurge) {
    const current = this.requests.requests.get(String(record.id));
    if (!current || current.anonymised || current.legalHold || current.closedAt !== record.closedAt) return false;
    const results = [...(this.requests.results.get(current.id)?.values() ?? [])];
    const digest = this.digestOf(canonicalJson({ request: current, results }));
    this.requests.results.delete(current.id);
    if (current.idempotencyMarker) this.requests.forgetIdempotencyMarker(current.idempotencyMarker);
    this.requests.requests.set(current.id, anonymisedRequest(current, at.toISOString(), digest));
    await this.audit.append(audit.trail, audit.event);
    await this.audit.append(current.id, { type: 'retention.anonymised', detail: { digest, sourceResults: results.length, objects: 0 } });
    return true;
  }
  async keyOf(record: Record<string, unknown>) {
    return { requestId: record.id };
  }
  /** In memory every closed request is found by `expired` already: nothing to back-fill. */
  async indexClosedPage() {
    return { indexed: 0 };
  }
}

class MemoryBreaches implements BreachRegister {
  private readonly breaches = new Map<string, Breach>();
  private readonly keys = new Map<string, string>();
  private readonly subjects = new Map<string, Map<string, AffectedSubject>>();
  constructor(private readonly audit: AuditLog) {}
  async create(breach: Breach, event: AuditEvent, idempotencyKey?: string) {
    const earlier = idempotencyKey ? this.keys.get(idempotencyKey) : undefined;
    if (earlier) return { breach: structuredClone(this.breaches.get(earlier)!), created: false };
    if (this.breaches.has(breach.id)) throw new ConflictError(`breach ${breach.id} exists`);
    this.breaches.set(breach.id, structuredClone(breach));
    if (idempotencyKey) this.keys.set(idempotencyKey, breach.id);
    await this.audit.append(breach.id, event);
    return { breach: structuredClone(breach), created: true };
  }
  async get(id: string) {
    const breach = this.breaches.get(id);
    if (!breach) throw new NotFoundError(`no breach ${id}`);
    return structuredClone(breach);
  }
  async update(next: Breach, events: AuditEvent[]) {
    if (this.breaches.get(next.id)?.version !== next.version) throw new ConflictError(`breach ${next.id} was changed meanwhile; read it again`);
    const written = { ...structuredClone(next), version: next.version + 1 };
    this.breaches.set(next.id, written);
    for (const event of events) await this.audit.append(next.id, event);
    return structuredClone(written);
  }
  async list() {
    return [...this.breaches.values()].map((b) => structuredClone(b));
  }
  async listOpen() {
    return (await this.list()).filter(needsWatching);
  }
  async addSubject(breachId: string, subject: AffectedSubject) {
    if (!this.subjects.has(breachId)) this.subjects.set(breachId, new Map());
    const listed = this.subjects.get(breachId)!;
    if (listed.has(subject.key)) return false;
    listed.set(subject.key, structuredClone(subject));
    return true;
  }
  async listSubjects(breachId: string, options: { cursor?: string; limit: number; delivery?: AffectedSubject['delivery']['status'] }) {
    const all = [...(this.subjects.get(breachId)?.values() ?? [])].filter((s) => !options.delivery || s.delivery.status === options.delivery);
    const start = Number(options.cursor ?? 0);
    const next = start + options.limit;
    return { subjects: all.slice(start, next).map((s) => structuredClone(s)), ...(next < all.length ? { cursor: String(next) } : {}) };
  }
  async setDelivery(breachId: string, key: string, from: AffectedSubject['delivery']['status'], delivery: AffectedSubject['delivery']) {
    const subject = this.subjects.get(breachId)?.get(key);
    if (!subject || subject.delivery.status !== from) return false;
    subject.delivery = structuredClone(delivery);
    return true;
  }
}

class MemorySuppressions implements SuppressionList {
  readonly emails = new Set<string>();
  async add(email: string) {
    this.emails.add(email);
  }
  async has(email: string) {
    return this.emails.has(email);
  }
}

/** The consent ledger's rules over a map: state and history per person and purpose. */
export class MemoryConsentLedger implements ConsentLedger {
  private readonly states = new Map<string, ConsentState>();
  private readonly histories = new Map<string, RecordedConsentEvent[]>();
  constructor(
    private readonly policy: ConsentPolicy,
    private readonly now: () => Date,
  ) {}
  private change(personKey: string, purposeId: string, events: ConsentEvent[]) {
    const key = `${personKey}|${purposeId}`;
    const before = this.states.get(key);
    const state = applyEvents(before, events);
    const history = this.histories.get(key) ?? [];
    events.forEach((event, i) => history.push({ ...event, seq: (before?.version ?? 0) + i + 1, recordedAt: this.now().toISOString() }));
    this.histories.set(key, history);
    if (state) this.states.set(key, state);
    return { state, recorded: events };
  }
  async grant(input: ConsentActionInput) {
    const action = parseConsentAction(input);
    return this.change(action.personKey, action.purposeId, grantEvents(this.states.get(`${action.personKey}|${action.purposeId}`), action, this.policy));
  }
  async withdraw(input: ConsentActionInput) {
    const action = parseConsentAction(input);
    return this.change(action.personKey, action.purposeId, withdrawEvents(this.states.get(`${action.personKey}|${action.purposeId}`), action, this.policy));
  }
  async current(personKey: string, now: Date) {
    return [...this.states.entries()].filter(([key]) => key.startsWith(`${personKey}|`)).map(([, state]) => stateAt(state, now));
  }
  async history(personKey: string) {
    return [...this.histories.entries()]
      .filter(([key]) => key.startsWith(`${personKey}|`))
      .flatMap(([, events]) => events)
      .sort((a, b) => a.at.localeCompare(b.at) || a.purposeId.localeCompare(b.purposeId) || a.seq - b.seq);
  }
  async due(now: Date) {
    return [...this.states.entries()].filter(([, state]) => dueEvents(state, now).length).map(([key, state]) => ({ personKey: key.split('|')[0]!, state }));
  }
  async applyDue(now: Date) {
    const applied = { prolonged: 0, expired: 0 };
    for (const [key, state] of [...this.states.entries()]) {
      const events = dueEvents(state, now);
      const [person, purpose] = key.split('|') as [string, string];
      this.change(person, purpose, events);
      for (const event of events) if (event.type === 'prolonged' || event.type === 'expired') applied[event.type]++;
    }
    return applied;
  }
}

/** A company table held in memory, keyed by the source's address attribute (and recordId), as the demo tables are. */
export class MemorySource implements DataSourceConnector {
  /** Steps that throw, to show what the person reads when a source cannot be reached. */
  failing = false;
  constructor(
    private readonly source: DataSource,
    readonly records: Array<Record<string, unknown>>,
    private readonly now: () => Date,
  ) {}
  private keyOf(source: DataSource) {
    return source.kind === 'dynamodb' ? source.keyAttribute : 'email';
  }
  private mine(subject: Subject) {
    if (this.failing) throw new Error(`source ${this.source.id} is down`);
    return this.records.filter((r) => r[this.keyOf(this.source)] === subject.email);
  }
  async find(subject: Subject) {
    return this.mine(subject).map((r) => structuredClone(r));
  }
  private each(subject: Subject, change: (record: Record<string, unknown>) => boolean): SourceOutcome {
    let affected = 0;
    for (const record of this.mine(subject)) if (change(record)) affected++;
    return { status: 'done', affected };
  }
  async rectify(subject: Subject, changes: Record<string, string>) {
    const permitted = permittedChanges(this.source, changes);
    return this.each(subject, (record) => {
      const fields = changesFor(record, permitted);
      Object.assign(record, fields);
      return Object.keys(fields).length > 0;
    });
  }
  async block(subject: Subject) {
    return this.each(subject, (record) => {
      Object.assign(record, { [BLOCKED_ATTRIBUTE]: true, [`${BLOCKED_ATTRIBUTE}At`]: this.now().toISOString() });
      return true;
    });
  }
  async unblock(subject: Subject) {
    return this.each(subject, (record) => {
      if (!record[BLOCKED_ATTRIBUTE]) return false;
      delete record[BLOCKED_ATTRIBUTE];
      delete record[`${BLOCKED_ATTRIBUTE}At`];
      return true;
    });
  }
  async withdrawConsent(subject: Subject, attributes: string[]) {
    return this.each(subject, (record) => {
      const held = attributes.filter((a) => a in record && record[a] !== false);
      held.forEach((a) => (record[a] = false));
      return held.length > 0;
    });
  }
  async eraseFields(subject: Subject, fields: string[]) {
    return this.each(subject, (record) => {
      const erased = erasedFieldsOf(record, fields);
      Object.assign(record, erased);
      return Object.keys(erased).length > 0;
    });
  }
  async erase(subject: Subject) {
    const mine = this.mine(subject);
    for (const record of mine) {
      if (this.source.erasure === 'delete') this.records.splice(this.records.indexOf(record), 1);
      else for (const field of [...this.source.personalFields, this.keyOf(this.source)]) if (field in record) record[field] = ANONYMISED;
    }
    return { status: 'done', affected: mine.length } as const;
  }
}

/** Approval and progress of each retention rule, with the leases' contract: one run per rule, writes under its own lease. */
export class MemoryRetentionStates implements RetentionStates {
  readonly states = new Map<string, RetentionState & { leaseUntil?: string; leaseToken?: string }>();
  private serial = 0;
  private stored(source: string) {
    return this.states.get(source) ?? { ...emptyState(source) };
  }
  async get(source: string): Promise<RetentionState> {
    const { leaseUntil: _until, leaseToken: _token, ...state } = structuredClone(this.stored(source));
    return state;
  }
  async claim(source: string, now: Date, until: Date) {
    const state = this.stored(source);
    if (state.leaseUntil && state.leaseUntil >= now.toISOString()) return undefined;
    const token = `lease-${++this.serial}`;
    this.states.set(source, { ...state, leaseUntil: until.toISOString(), leaseToken: token });
    return { source, token };
  }
  async saveProgress(lease: RetentionLease, approvedAt: string | undefined, progress: RetentionProgress) {
    const state = this.stored(lease.source);
    if (state.leaseToken !== lease.token || state.approvedAt !== approvedAt) return false;
    const next = { ...state, ...structuredClone(progress) };
    for (const [name, value] of Object.entries(progress)) if (value === undefined) delete next[name as keyof RetentionProgress];
    this.states.set(lease.source, next);
    return true;
  }
  async approve(source: string, fingerprint: string, at: string) {
    const { cursor: _cursor, passStartedAt: _started, ...state } = this.stored(source);
    this.states.set(source, { ...state, approvedFingerprint: fingerprint, approvedAt: at, purged: 0, held: {} });
  }
  async release(lease: RetentionLease) {
    const state = this.stored(lease.source);
    if (state.leaseToken !== lease.token) return;
    const { leaseUntil: _until, leaseToken: _token, ...rest } = state;
    this.states.set(lease.source, rest);
  }
}

/**
 * A company table as the retention purge reads it: records past their term in pages (the cursor is a position), a
 * purge only of a record still as the page found it, with its audit entry, anonymised records marked.
 */
export class MemoryRetentionSource implements RetentionSource {
  constructor(
    private readonly source: DataSource,
    private readonly records: Array<Record<string, unknown>>,
    private readonly audit: Pick<AuditLog, 'append'>,
  ) {}
  async expired(rule: RetentionRule, before: string, options: { cursor?: string; limit: number }) {
    // In key order, continuing after the cursor's key (as a DynamoDB scan does, whether or not that record is still there).
    const position = (record: Record<string, unknown>) => JSON.stringify([record[this.keyAttribute], record.recordId]);
    const due = this.records
      .filter((r) => typeof r[rule.from] === 'string' && (r[rule.from] as string) < before && !(RETENTION_MARK in r))
      .filter((r) => options.cursor === undefined || position(r) > options.cursor)
      .sort((a, b) => position(a).localeCompare(position(b)));
    const page = due.slice(0, options.limit);
    const hold = (record: Record<string, unknown>) => {
      const value = rule.holdAttribute ? record[rule.holdAttribute] : undefined;
      return value === undefined || value === null || value === '' || value === false ? undefined : String(value);
    };
    return {
      records: page.map((record) => ({ record: structuredClone(record), hold: hold(record) })),
      ...(due.length > options.limit ? { cursor: position(page.at(-1)!) } : {}),
    };
  }
  async purge({ rule, record, at, audit }: RecordPurge) {
    const key = await this.keyOf(record);
    const current = this.records.find((r) => Object.entries(key).every(([name, value]) => r[name] === value));
    const holdOf = (r: Record<string, unknown>) => (rule.holdAttribute ? r[rule.holdAttribute] : undefined);
    if (!current || current[rule.from] !== record[rule.from] || RETENTION_MARK in current || holdOf(current) !== holdOf(record)) return false;
    if (this.source.erasure === 'delete') this.records.splice(this.records.indexOf(current), 1);
    else {
      for (const field of this.source.personalFields) if (field in current) current[field] = ANONYMISED;
      current[RETENTION_MARK] = at.toISOString();
    }
    await this.audit.append(audit.trail, audit.event);
    return true;
  }
  private get keyAttribute() {
    return this.source.kind === 'dynamodb' ? this.source.keyAttribute : 'email';
  }
  async keyOf(record: Record<string, unknown>) {
    return { [this.keyAttribute]: record[this.keyAttribute], ...('recordId' in record ? { recordId: record.recordId } : {}) };
  }
}

/**
 * The sent-mail ledger's contract in memory: a claim per key, held by one attempt (its token) until it is released,
 * lapses (MAIL_CLAIM_LEASE_MS on the real clock) or is confirmed with its audit event once sent.
 */
export class MemorySentMail implements SentMailLedger {
  readonly entries = new Map<string, { messageId: string; sent: boolean; hold?: { token: string; at: number } }>();
  private tokens = 0;
  constructor(private readonly audit: Pick<AuditLog, 'append'>) {}
  private id(key: MailKey) {
    return `${key.requestId}/${key.kind}/${key.round}`;
  }
  async claim(key: MailKey, messageId: string): Promise<MailClaim> {
    const earlier = this.entries.get(this.id(key));
    if (earlier?.sent) return { state: 'sent', messageId: earlier.messageId };
    if (earlier?.hold && Date.now() - earlier.hold.at <= MAIL_CLAIM_LEASE_MS) return { state: 'held', messageId: earlier.messageId };
    const token = `hold-${++this.tokens}`;
    const claimed = earlier?.messageId ?? messageId;
    this.entries.set(this.id(key), { messageId: claimed, sent: false, hold: { token, at: Date.now() } });
    return { state: 'ours', messageId: claimed, token, first: !earlier };
  }
  async release(key: MailKey, messageId: string, token: string) {
    const entry = this.entries.get(this.id(key));
    if (entry && !entry.sent && entry.hold?.token === token) this.entries.set(this.id(key), { messageId, sent: false });
  }
  async confirm(key: MailKey, messageId: string, event: AuditEvent) {
    if (this.entries.get(this.id(key))?.sent) return;
    this.entries.set(this.id(key), { messageId, sent: true });
    await this.audit.append(key.requestId, event);
  }
}

/**
 * The executions of the requests, as Step Functions would report them: every request in the store runs unless a test
 * stops it (a failure outside any Catch) or ends a wait (completing its task then fails as Step Functions' does).
 */
export class MemoryWorkflow implements Workflow {
  readonly started: string[] = [];
  /** What each start carried, in order (the wait for verification it starts with). */
  readonly starts: ExecutionStart[] = [];
  readonly completed: Array<{ taskToken: string; output: Record<string, unknown> }> = [];
  private readonly stopped = new Map<string, ExecutionStatus>();
  /** Task tokens whose wait has ended (timed out): completing them fails. */
  readonly ended = new Set<string>();
  constructor(private readonly requests: MemoryRequests) {}
  async start(input: ExecutionStart) {
    this.started.push(input.requestId);
    this.starts.push(input);
    this.stopped.delete(input.requestId);
  }
  async completeTask(taskToken: string, output: Record<string, unknown>) {
    if (this.ended.has(taskToken)) throw new WaitEndedError('the workflow no longer waits on this task');
    this.completed.push({ taskToken, output });
  }
  readonly failed: Array<{ taskToken: string; error: string }> = [];
  async failTask(taskToken: string, error: string) {
    if (this.ended.has(taskToken)) throw new WaitEndedError('the workflow no longer waits on this task');
    this.failed.push({ taskToken, error });
  }
  async running() {
    return new Set([...this.requests.requests.keys()].filter((id) => !this.stopped.has(id)));
  }
  async status(requestId: string) {
    return this.stopped.get(requestId) ?? 'RUNNING';
  }
  /** The request's execution is no longer running (failed outside any Catch, say), or was never started (MISSING). */
  stop(requestId: string, status: Exclude<ExecutionStatus, 'RUNNING'> = 'FAILED') {
    this.stopped.set(requestId, status);
  }
}

export class CapturingMailer implements Mailer {
  readonly sent: OutgoingMail[] = [];
  /** Addresses whose delivery fails, as a relay that refuses them would. */
  readonly refused = new Set<string>();
  async send(mail: OutgoingMail) {
    if (this.refused.has(mail.to)) {
      const { DependencyError } = await import('../../functions/domain/errors.ts');
      throw new DependencyError(`mail delivery failed: 550 ${mail.to} unavailable`);
    }
    this.sent.push(mail);
    return 'sent' as const;
  }
}

export interface MemorySystem {
  deps: Dependencies;
  mailer: CapturingMailer;
  sources: Map<string, MemorySource>;
  requests: MemoryRequests;
  audit: MemoryAudit;
  openWork: MemoryOpenWork;
  heldMail: MemoryHeldMail;
  /** The mail bucket's raw messages by SES id, as the SES S3 action stores them (a test puts what it delivers). */
  rawMail: Map<string, Uint8Array>;
  packages: MemoryPackages;
  /** The locked bucket of the audit digests. */
  digests: MemoryPackages;
  consent: MemoryConsentLedger;
  workflow: MemoryWorkflow;
  decisions: MemoryDecisions;
  attention: MemoryAttention;
  suppressions: MemorySuppressions;
  /** Addresses handed to SES' account-level suppression. */
  sesSuppressed: string[];
  retentionStates: MemoryRetentionStates;
  limits: MemoryLimits;
  /** Moves the clock every use case reads. */
  setNow(at: Date): void;
}

/** The profile file and its demo data (`<profile>.data.json`), with everything else in memory. */
export function memorySystem(
  profileOrPath: string | OperatorProfile,
  options: { now: Date; publicUrl?: string; data?: Record<string, Array<Record<string, unknown>>>; webhook?: 'delivered' | 'fails' } ,
): MemorySystem {
  const profile = typeof profileOrPath === 'string' ? parseProfile(JSON.parse(readFileSync(profileOrPath, 'utf8')), profileOrPath) : profileOrPath;
  const dataFile = typeof profileOrPath === 'string' ? profileOrPath.replace(/\.json$/, '.data.json') : undefined;
  const data: Record<string, Array<Record<string, unknown>>> =
    options.data ?? (dataFile && existsSync(dataFile) ? (JSON.parse(readFileSync(dataFile, 'utf8')) as Record<string, Array<Record<string, unknown>>>) : {});
  let now = options.now;
  const clock = { now: () => now };
  const audit = new MemoryAudit(clock.now);
  const requests = new MemoryRequests(audit);
  const mailer = new CapturingMailer();
  const openWork = new MemoryOpenWork();
  const heldMail = new MemoryHeldMail(audit);
  const rawMail = new Map<string, Uint8Array>();
  const packages = new MemoryPackages();
  const digests = new MemoryPackages();
  // As a function's engine: the rules of the profile's jurisdictions, and any other shipped one loaded when a use case
  // meets it (a request received under a jurisdiction the deployment has since changed), not all five up front.
  const deadlines = createDeadlineEngine({ calendarOverrides: profile.calendarOverrides, baseHolidays: dateHolidays() }, rulesOfProfile(profile), async (codes) => ({
    documents: await loadShippedRules(codes, Object.keys(profile.calendarOverrides ?? {})),
  }));
  const consent = new MemoryConsentLedger({ timeZone: deadlines.timeZone(profile.jurisdiction), purposes: profile.purposes }, clock.now);
  const sources = new Map(
    profile.sources.map((source) => [source.id, new MemorySource(source, structuredClone(source.kind === 'dynamodb' ? (data[source.tableName] ?? []) : []), clock.now)]),
  );
  const webhook: typeof postSigned = async (_url, payload, key) => {
    const signature = sign(JSON.stringify(payload), key, clock.now());
    return options.webhook === 'fails' ? { ok: false, attempts: 3, status: 503, error: 'answered HTTP 503', signature } : { ok: true, attempts: 1, status: 202, body: '{}', signature };
  };
  const secret = 'memory-system-secret-of-at-least-32-bytes!';
  const workflow = new MemoryWorkflow(requests);
  const decisions = new MemoryDecisions();
  const attention = new MemoryAttention();
  const suppressions = new MemorySuppressions();
  const sesSuppressed: string[] = [];
  const retentionStates = new MemoryRetentionStates();
  const limits = new MemoryLimits();
  const deps: Dependencies = {
    profile,
    deadlines,
    requests,
    audit,
    auditChains: audit,
    auditDigests: digests,
    verifications: new MemoryVerifications(),
    limits,
    decisions,
    attention,
    openWork,
    heldMail,
    packages,
    mailArchive: {
      read: async (sesMessageId) => rawMail.get(sesMessageId) ?? new Uint8Array(),
      keep: async () => 'attachments/none',
      attachmentLink: async () => {
        throw new NotFoundError('no attachments in memory');
      },
      rawMailLink: async (sesMessageId, filename) => {
        if (!rawMail.has(sesMessageId)) throw new NotFoundError(`no raw mail ${sesMessageId} in memory`);
        return { url: `memory:raw-mail/${encodeURIComponent(sesMessageId)}?filename=${encodeURIComponent(filename)}`, expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() };
      },
    },
    consent,
    suppressions,
    suppressInSes: async (email) => void sesSuppressed.push(email),
    personKey: async (email) => personKey(email, secret),
    keyedHash: async (kind, value) => keyedHash(kind, value, secret),
    breaches: new MemoryBreaches(audit),
    retentionStates,
    retentionSourceFor: (source) => new MemoryRetentionSource(source, sources.get(source.id)!.records, audit),
    ownRecords: new MemoryOwnRecords(requests, audit, (canonical) => keyedHash('own-records', canonical, secret)),
    downloads: new MemoryDownloads(),
    processorNotifier: new ProcessorNotifier(mailer, async () => secret, mailDomain(profile), { attempts: 1, baseDelayMs: 0, timeoutMs: 10 }, webhook),
    secret: async () => secret,
    mailer,
    sentMail: new MemorySentMail(audit),
    workflow,
    clock,
    publicUrl: options.publicUrl ?? 'https://privacy.example',
    connectorFor: (source) => sources.get(source.id)!,
  };
  return { deps, mailer, sources, requests, audit, digests, openWork, heldMail, rawMail, packages, consent, workflow, decisions, attention, suppressions, sesSuppressed, retentionStates, limits, setNow: (at) => (now = at) };
}

/** The release's rule documents a function starts with (composition.ts, rulesFor): its profile's jurisdictions and their calendars. */
function rulesOfProfile(profile: OperatorProfile): RuleDocuments {
  const codes = [profile.jurisdiction, ...profile.breaches.alsoUnder].filter((code) => code in SHIPPED_RULES.jurisdictions);
  const jurisdictions = Object.fromEntries(codes.map((code) => [code, SHIPPED_RULES.jurisdictions[code]!]));
  const calendarCodes = new Set([...Object.values(jurisdictions).map(({ document }) => (document as { calendar: string }).calendar), ...Object.keys(profile.calendarOverrides ?? {})]);
  const calendars = Object.fromEntries([...calendarCodes].filter((code) => code in SHIPPED_RULES.calendars).map((code) => [code, SHIPPED_RULES.calendars[code]!]));
  return { calendars, jurisdictions };
}
