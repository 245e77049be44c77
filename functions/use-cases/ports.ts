import type { AuditEvent, RecordedAuditEvent } from '../domain/audit.ts';
import type { AffectedSubject, Breach, DeliveryStatus } from '../domain/breaches/breach.ts';
import type { RetentionRule } from '../config/profile-schema.ts';
import type { RetentionState } from '../domain/retention.ts';
import type { DataSubjectRequest, RequestStatus } from '../domain/request.ts';
import type { RequestType } from '../domain/request-types.ts';

export interface CreateResult {
  request: DataSubjectRequest;
  /** False when an earlier submission with the same idempotency key already made this request. */
  created: boolean;
}

/** A client's key for "this request, once", bound to the request it was first sent with. */
export interface Idempotency {
  key: string;
  /** SHA-256 of the canonical request body: the same key with another body is refused. */
  bodyHash: string;
  /** Where the key came from, named in the refusal (a header, a form field, the mail's Message-ID). */
  field: string;
}

export interface RequestStore {
  /**
   * Writes the request, its first audit event and the idempotency marker in one transaction. A key seen before
   * (on the same channel) returns the first request if the body is the same, else IdempotencyKeyReusedError.
   */
  create(request: DataSubjectRequest, event: AuditEvent, idempotency?: Idempotency): Promise<CreateResult>;
  get(id: string): Promise<DataSubjectRequest>;
  /**
   * Moves the request from one status to another only if it is still in `from`, and records the change
   * (plus `also`, e.g. verification.confirmed) in the audit trail in the same transaction.
   */
  transition(id: string, from: RequestStatus, to: RequestStatus, changes?: Partial<DataSubjectRequest>, also?: AuditEvent[]): Promise<DataSubjectRequest>;
  /** Changes fields of a request that is still in `status`, without moving it, with its audit events. */
  amend(id: string, status: RequestStatus, changes: Partial<DataSubjectRequest>, events: AuditEvent[]): Promise<DataSubjectRequest>;
  /**
   * One page of open requests, earliest due first, from the due-date index (never a scan); `cursor` is where the
   * next page starts, absent after the last.
   */
  listOpen(page: { limit: number; cursor?: string }): Promise<{ requests: DataSubjectRequest[]; cursor?: string }>;
  /** Every open request, earliest due first, page by page. */
  eachOpen(): AsyncIterable<DataSubjectRequest>;
  /**
   * Claims a once-only step of the request (a watch step such as the delay notice) for this runner: false when
   * another runner holds it or it is done. A claim not completed within a lease (the runner crashed) may be taken
   * again, so the step happens at least once and, while runners live, once.
   */
  claimStep(id: string, step: string, now: Date): Promise<boolean>;
  completeStep(id: string, step: string, now: Date): Promise<void>;
  putSourceResult(id: string, result: SourceResult): Promise<void>;
  listSourceResults(id: string): Promise<SourceResult[]>;
}

/**
 * What one source does for a request, in this order: read it (access), change it, block or unblock it, mark the
 * person's consents withdrawn (consent_flags: the profile's consentAttributes), block or destroy it after a
 * withdrawal (consent_withdrawal), take the person off a mailing list (marketing_opt_out), destroy it (erasure).
 */
export const SOURCE_STEPS = ['access', 'rectification', 'unblocking', 'blocking', 'consent_flags', 'consent_withdrawal', 'marketing_opt_out', 'erasure'] as const;
export type SourceStep = (typeof SOURCE_STEPS)[number];

/**
 * What one data source did for one request, kept step by step as each finishes, so that a retried attempt keeps
 * what an earlier one did: the records read (access) and each step's outcome.
 */
export interface SourceResult {
  sourceId: string;
  records: Array<Record<string, unknown>>;
  outcomes: Partial<Record<SourceStep, SourceOutcome>>;
  /**
   * Before a step that destroys, how many records it was about to destroy. If that attempt's answer is lost (a
   * timeout), the retry finds nothing left, yet those records were destroyed: the outcome counts them.
   */
  started?: Partial<Record<SourceStep, number>>;
  /** How many attempts worked on this source. */
  attempts: number;
}

/** A follow-up the operator must do by hand for a request that is otherwise answered (a processor not told). */
export interface OpenWorkItem {
  requestId: string;
  /** Unique within the request, e.g. processor:sellers:erasure. */
  id: string;
  kind: 'processor_notice';
  processorId: string;
  type: RequestType;
  since: string;
}

export interface OpenWorkStore {
  put(item: OpenWorkItem): Promise<void>;
  list(): Promise<OpenWorkItem[]>;
  /** Removes one item once it is done; removing what is not there is no error. */
  remove(requestId: string, id: string): Promise<void>;
}

/** A request waiting for an operator, with the token that releases its workflow. */
export interface PendingDecision {
  requestId: string;
  taskToken: string;
  reasons: string[];
  requestedAt: string;
}

export interface DecisionStore {
  put(pending: PendingDecision): Promise<void>;
  list(): Promise<PendingDecision[]>;
  /** Removes and returns the pending decision, once: a second operator gets NotFoundError. */
  take(requestId: string): Promise<PendingDecision>;
}

/** A request whose workflow waits for the operator after a failure, with the token that resumes it. */
export interface PendingAttention {
  requestId: string;
  taskToken: string;
  step: string;
  code: string;
  since: string;
}

export interface AttentionStore {
  put(pending: PendingAttention): Promise<void>;
  /** Removes and returns the waiting resume, once: a second operator gets NotFoundError. */
  take(requestId: string): Promise<PendingAttention>;
}

export interface AuditLog {
  append(requestId: string, event: AuditEvent): Promise<void>;
  list(requestId: string): Promise<RecordedAuditEvent[]>;
}

export interface VerificationRecord {
  codeHash: string;
  requestId: string;
  taskToken: string;
  expiresAt: string;
}

export interface VerificationStore {
  put(record: VerificationRecord): Promise<void>;
  /** The record of an unused, unexpired code without using it (the confirmation page); otherwise InvalidTokenError. */
  peek(codeHash: string, now: Date): Promise<VerificationRecord>;
  /** Marks the code used if it is unused and unexpired; otherwise InvalidTokenError. */
  consume(codeHash: string, now: Date): Promise<VerificationRecord>;
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Our own Message-ID, so that replies can be joined to the request. */
  messageId: string;
  /** Answers the law requires are transactional; marketing mail is never sent to a suppressed address. */
  category?: 'transactional' | 'marketing';
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<'sent' | 'suppressed'>;
}

/** Addresses that opted out of marketing; derbes' mailer and the company's own systems consult it. */
export interface SuppressionList {
  add(email: string, evidence: { requestId: string }): Promise<void>;
  has(email: string): Promise<boolean>;
}

/** Where a request's execution stands, as Step Functions says; MISSING when it was never started. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE' | 'MISSING';

export interface Workflow {
  /** Starts the execution named after the request; a second start for the same request is a no-op. */
  start(requestId: string): Promise<void>;
  completeTask(taskToken: string, output: Record<string, unknown>): Promise<void>;
  /** The names (request ids) of every running execution, page after page. */
  running(): Promise<Set<string>>;
  status(requestId: string): Promise<ExecutionStatus>;
}

export interface Clock {
  now(): Date;
}

/**
 * Who a data-source operation is about; the e-mail address is normalised (trimmed, lower case). `requestId` names
 * the request it is done for, so a company service can answer a repeated call for the same request as it did the
 * first time.
 */
export interface Subject {
  email: string;
  requestId?: string;
}

/** Set on every record of a blocked person (DynamoDB, S3 JSON); the company's own code must skip records that carry it. */
export const BLOCKED_ATTRIBUTE = 'processingBlocked';

/** What a changing operation did in one source: done (how many records), or kept for a legal reason. */
export type SourceOutcome = { status: 'done'; affected: number } | { status: 'kept'; basis: string };

/**
 * One of the company's data sources (DynamoDB table, S3 prefix, HTTP service), as the workflow uses it.
 * Blocking sets a flag that stops processing; erasure deletes or anonymises, as the profile says per source.
 * Errors are thrown (and retried by the workflow); a refusal with a legal basis is an outcome, not an error.
 */
export interface DataSourceConnector {
  /** Every record the source holds about the person, and nothing about anyone else. */
  find(subject: Subject): Promise<Array<Record<string, unknown>>>;
  rectify(subject: Subject, changes: Record<string, string>): Promise<SourceOutcome>;
  block(subject: Subject): Promise<SourceOutcome>;
  unblock(subject: Subject): Promise<SourceOutcome>;
  erase(subject: Subject): Promise<SourceOutcome>;
  /**
   * Sets each named attribute to false on every record of the person that has it: the consents the person has
   * withdrawn, as the profile maps purposes to attributes (consentAttributes). Records without it stay as they are.
   */
  withdrawConsent(subject: Subject, attributes: string[]): Promise<SourceOutcome>;
}

/** Stored access packages (the person's data as a file and a page). */
export interface PackageStore {
  put(key: string, body: string, contentType: string): Promise<void>;
  read(key: string): Promise<string>;
}

/** Single-use, expiring download tokens, held only as hashes. */
export interface DownloadTokens {
  put(tokenHash: string, grant: { requestId: string; objectKey: string; contentType: string; filename: string }, expiresAt: string): Promise<void>;
  consume(tokenHash: string, now: Date): Promise<{ requestId: string; objectKey: string; contentType: string; filename: string }>;
}

/**
 * The raw-mail archive: messages as SES stored them, and the attachments of a request's mail (documents for a
 * rectification, say), kept for the operator.
 */
export interface MailArchive {
  /** The raw message SES (or the local SMTP front door) stored under its message id. */
  read(sesMessageId: string): Promise<Uint8Array>;
  /** Stores one attachment (a third party's in the request's quarantine folder); returns where it is kept. */
  keep(requestId: string, attachment: { filename: string; contentType: string; content: Uint8Array }, folder?: 'quarantine'): Promise<string>;
  /** One kept attachment of the request, or NotFoundError. */
  fetch(requestId: string, key: string): Promise<{ contentType: string; content: Uint8Array }>;
}

/** One page of a breach's affected people; `cursor` continues the list where there are more. */
export interface SubjectPage {
  subjects: AffectedSubject[];
  cursor?: string;
}

/** The operator's register of personal-data breaches, with each breach's affected people. */
export interface BreachRegister {
  /** Writes the breach and its first audit event; a repeated Idempotency-Key returns the breach it made. */
  create(breach: Breach, event: AuditEvent, idempotencyKey?: string): Promise<{ breach: Breach; created: boolean }>;
  get(id: string): Promise<Breach>;
  /** Writes the breach only if it is still at the version read (ConflictError otherwise), with its audit events. */
  update(next: Breach, events: AuditEvent[]): Promise<Breach>;
  /** Every breach in the register. */
  list(): Promise<Breach[]>;
  /** Breaches with an unfiled notice, from the due-date index. */
  listOpen(): Promise<Breach[]>;
  /** False when this person (same keyed hash) is already listed for the breach. */
  addSubject(breachId: string, subject: AffectedSubject): Promise<boolean>;
  listSubjects(breachId: string, options: { cursor?: string; limit: number; delivery?: DeliveryStatus }): Promise<SubjectPage>;
  /** Moves one person's delivery on only from `from` (a claim before sending); false if someone else moved it. */
  setDelivery(breachId: string, key: string, from: DeliveryStatus, delivery: AffectedSubject['delivery']): Promise<boolean>;
}

/** One page of records past their term; `hold` names a record-level legal hold that keeps it. */
export interface ExpiredPage {
  records: Array<{ record: Record<string, unknown>; hold?: string }>;
  cursor?: string;
}

/** One record's purge: the record as the page found it, and the audit entry that records it. */
export interface RecordPurge {
  rule: RetentionRule;
  record: Record<string, unknown>;
  at: Date;
  audit: { trail: string; event: AuditEvent };
}

/** A data source as the retention purge uses it. */
export interface RetentionSource {
  /** Records whose `rule.from` date is before `before` (a local date) and that no pass has purged yet, one page. */
  expired(rule: RetentionRule, before: string, options: { cursor?: string; limit: number }): Promise<ExpiredPage>;
  /**
   * Erases one record as the source's erasure rule says (delete, or anonymise and mark) together with its audit entry,
   * all or nothing, and only if the record is still as the page found it (there, its date and hold unchanged, not yet
   * purged). False when it was not: another run purged it, or the company changed it — nothing written.
   */
  purge(purge: RecordPurge): Promise<boolean>;
  keyOf(record: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** A run's hold on one rule; `token` fences off a run whose lease ran out while another took the rule. */
export interface RetentionLease {
  source: string;
  token: string;
}

/** What a run writes about its pass (a key present with `undefined` is removed, e.g. the cursor at a pass's end). */
export type RetentionProgress = Partial<Pick<RetentionState, 'announcedFingerprint' | 'cursor' | 'passStartedAt' | 'purged' | 'held' | 'lastPassFinishedAt'>>;

/** Approval and progress of each retention rule between runs. */
export interface RetentionStates {
  get(source: string): Promise<RetentionState>;
  /** One run at a time per rule: a lease until `until` (a crashed run's lease runs out), or undefined if another run holds it. */
  claim(source: string, now: Date, until: Date): Promise<RetentionLease | undefined>;
  /**
   * Writes a run's progress only while it still holds `lease` and the rule is still approved as it was when the run read
   * it (`approvedAt`; omitted for a rule not approved). False when either changed: the run stops working the rule.
   */
  saveProgress(lease: RetentionLease, approvedAt: string | undefined, progress: RetentionProgress): Promise<boolean>;
  /** Records an approval (a new pass starts); never touches a running pass's lease. */
  approve(source: string, fingerprint: string, at: string): Promise<void>;
  release(lease: RetentionLease): Promise<void>;
}
