import type { AuditEvent, RecordedAuditEvent } from '../domain/audit.ts';
import type { ChainedAuditEvent, ChainHead } from '../domain/audit-chain.ts';
import type { DigestHead, DigestPointer } from '../domain/audit-digest.ts';
import type { AffectedSubject, Breach, DeliveryStatus } from '../domain/breaches/breach.ts';
import type { ReportFacts } from '../domain/report.ts';
import type { RetentionRule } from '../config/profile-schema.ts';
import type { RetentionState } from '../domain/retention.ts';
import type { Channel, DataSubjectRequest, RequestStatus } from '../domain/request.ts';
import type { HeldMail, HeldMailResolution } from '../domain/held-mail.ts';
import type { RequestType } from '../domain/request-types.ts';
import type { SourceStep } from '../domain/request-policy.ts';
import type { ProcessorNotice } from '../domain/processor-notice.ts';
import type { Processor } from '../config/profile-schema.ts';
import type { ExecutionStatus } from '../domain/workflow-steps.ts';

export interface CreateResult {
  request: DataSubjectRequest;
  /** False when an earlier submission with the same idempotency key already made this request. */
  created: boolean;
}

/** A client's key for "this request, once", bound to the request it was first sent with. */
export interface Idempotency {
  key: string;
  /** A keyed hash of the canonical request body: the same key with another body is refused. */
  bodyHash: string;
  /** Where the key came from, named in the refusal (a header, a form field, the mail's Message-ID). */
  field: string;
}

/** What an amendment changes: fields, or fields made from the request as it now stands. */
export type Changes = Partial<DataSubjectRequest> | ((current: DataSubjectRequest) => Partial<DataSubjectRequest>);

/**
 * Which request a change is written to: its id, or the request as the caller holds it from this store (read, or
 * returned by a write). Given the request, the store writes on that reading without reading the item first; the write
 * still holds only if nobody wrote the request since, else the store reads it again and applies the change to that.
 */
export type RequestRef = string | DataSubjectRequest;

export const requestIdOf = (which: RequestRef): string => (typeof which === 'string' ? which : which.id);

export interface RequestStore {
  /**
   * Writes the request, its first audit event and the idempotency marker in one transaction. A key seen before
   * (on the same channel) returns the first request if the body is the same, else IdempotencyKeyReusedError.
   */
  create(request: DataSubjectRequest, event: AuditEvent, idempotency?: Idempotency): Promise<CreateResult>;
  /** Whether a submission on this channel under this idempotency key made a request already (its marker is kept). */
  madeUnder(channel: Channel, key: string): Promise<boolean>;
  get(id: string): Promise<DataSubjectRequest>;
  /**
   * Moves the request from one status to another only if it is still in `from`, and records the change
   * (plus `also`, e.g. verification.confirmed) in the audit trail in the same transaction.
   */
  transition(which: RequestRef, from: RequestStatus, to: RequestStatus, changes?: Partial<DataSubjectRequest>, also?: AuditEvent[]): Promise<DataSubjectRequest>;
  /**
   * Records that the person confirmed the request's link (once): `marked` now, `already` by an earlier confirmation,
   * `closed` if the request no longer waits for one; with the request as it stands after. A request for which
   * `beginsAtOnce` holds (as read for the write) moves to IN_PROGRESS in the same write.
   */
  markVerified(id: string, verifiedAt: string, beginsAtOnce?: (request: DataSubjectRequest) => boolean): Promise<{ outcome: 'marked' | 'already' | 'closed'; request: DataSubjectRequest }>;
  /**
   * Changes fields of a request that is still in `status`, without moving it, with its audit events. `check` sees the
   * request as it is read before each attempt to write (a concurrent change makes another attempt) and throws to refuse.
   * `changes` given as a function is made from the request as read before each attempt: what adds to a list (a
   * reply, a note) then keeps what a concurrent writer added.
   */
  amend(which: RequestRef, status: RequestStatus, changes: Changes, events: AuditEvent[], check?: (current: DataSubjectRequest) => void): Promise<DataSubjectRequest>;
  /** Every request of one address (by its person key), newest first, from the person index (never a scan). */
  findByPerson(personKey: string): Promise<DataSubjectRequest[]>;
  /**
   * One page of open requests, earliest due first, from the due-date index (never a scan); `cursor` is where the
   * next page starts, absent after the last.
   */
  listOpen(page: { limit: number; cursor?: string }): Promise<{ requests: DataSubjectRequest[]; cursor?: string }>;
  /** Every open request, earliest due first, page by page. */
  eachOpen(): AsyncIterable<DataSubjectRequest>;
  /** What the report counts of every request received from `from` to `to` (both included), from the received-date index. */
  receivedBetween(from: Date, to: Date): Promise<ReportFacts[]>;
  /**
   * Claims a once-only step of the request (a watch step such as the delay notice) for this runner: false when
   * another runner holds it or it is done. A claim not completed within a lease (the runner crashed) may be taken
   * again, so the step happens at least once and, while runners live, once.
   */
  claimStep(id: string, step: string, now: Date): Promise<boolean>;
  completeStep(id: string, step: string, now: Date): Promise<void>;
  /**
   * Keeps what a source did for a request. `unread`: only while the request has no read of that source kept (its own
   * access step, or records kept for it before another request destroyed them); false when one was kept first.
   */
  putSourceResult(id: string, result: SourceResult, condition?: 'unread'): Promise<boolean>;
  listSourceResults(id: string): Promise<SourceResult[]>;
}

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
  /**
   * Set when the records were read for this access request by another request of the same person just before it
   * destroyed them (its id): the answer shows them as they stood then.
   */
  readBefore?: string;
}

/**
 * A follow-up the operator must do by hand for a request that is otherwise answered: a processor not told, or the
 * person's mail after the answer to read (and answer if it needs one).
 */
export type OpenWorkItem =
  | {
      requestId: string;
      /** Unique within the request, e.g. processor:sellers:erasure. */
      id: string;
      kind: 'processor_notice';
      processorId: string;
      type: RequestType;
      since: string;
    }
  | {
      requestId: string;
      /** REPLY_WORK_ID: one per request, however many mails the person sends. */
      id: string;
      kind: 'reply';
      /** When the first of the person's mails not yet answered came. */
      since: string;
    };

/** The open work of a person's mail to an answered request. */
export const REPLY_WORK_ID = 'reply';

export interface OpenWorkStore {
  put(item: OpenWorkItem): Promise<void>;
  /** Puts the item unless it is open already since earlier: work open for a while stays dated from its start. */
  putEarliest(item: OpenWorkItem): Promise<void>;
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
  /** What waits, without the tokens: listing never opens them. */
  list(): Promise<Array<Omit<PendingDecision, 'taskToken'>>>;
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
  /**
   * Inbound mail that made or joined no request: kept on a trail of its own, apart from requests' references, once
   * (a delivery of the same SES message again records nothing more).
   */
  appendInboundMail(sesMessageId: string, event: InboundMailEvent): Promise<void>;
  list(requestId: string): Promise<RecordedAuditEvent[]>;
  /**
   * Appends `event` to the trail once per `once` (what the event records: an SES message, the mail that made a
   * request): false, appending nothing, when an event was appended under it before. The mark and the event are one
   * write, so a step retried — or run twice at once — records it once.
   */
  appendOnce(trail: string, once: string, event: AuditEvent): Promise<boolean>;
  /** Whether an event was appended to the trail under `once` (see appendOnce): one keyed read, not the trail's. */
  appendedOnce(trail: string, once: string): Promise<boolean>;
}

export type InboundMailEvent = Extract<AuditEvent, { type: 'mail.received' }>;
/** What an operator made of held mail, on the mail's own trail (INBOUND#<SES id>). */
export type HeldMailEvent = Extract<AuditEvent, { type: 'mail.admitted' | 'mail.dismissed' }>;

/**
 * The operator's list of held mail (domain/held-mail.ts): each mail intake held, until an operator makes it a request
 * or dismisses it, or it expires (HELD_MAIL_KEEP_DAYS). A mail moves only from where it stands: held → admitting →
 * admitted, or held → dismissed; an admission that cannot finish gives the mail back (admitting → held).
 */
export interface HeldMailStore {
  /** Lists the mail until `expiresAt`; a mail already listed or settled under this SES id (a delivery again) stays as it is. */
  hold(mail: HeldMail, expiresAt: Date): Promise<void>;
  /** The held mail with what became of it; NotFoundError when none was held under this id, or it has expired. */
  get(sesMessageId: string): Promise<HeldMail & { resolution?: HeldMailResolution }>;
  /**
   * One page of the mail still on the list, the latest first, from the held-mail index (never a scan): at most `limit`,
   * none that arrived before `since` (expired, though not yet deleted); `cursor` is where the next page starts.
   */
  list(page: { limit: number; cursor?: string; since: Date }): Promise<{ mails: Array<HeldMail & { resolution?: HeldMailResolution }>; cursor?: string }>;
  /** How many mails are on the list (arrived since `since`), counted from the index. */
  count(since: Date): Promise<number>;
  /** Takes the mail for admission (from held, or from an admission cut short); false where it stands elsewhere. */
  startAdmission(sesMessageId: string, resolution: Extract<HeldMailResolution, { kind: 'admitting' }>): Promise<boolean>;
  /** Gives back a mail whose admission cannot finish: held again. */
  abandonAdmission(sesMessageId: string): Promise<void>;
  /**
   * Settles the mail — admitted (from admitting) or dismissed (from held) — and takes it off the list, with the sender's
   * address, name and subject (the request made of it keeps them, if any), its event appended to the mail's own trail in
   * the same write; false, writing nothing, where it stands elsewhere.
   */
  settle(sesMessageId: string, resolution: Exclude<HeldMailResolution, { kind: 'admitting' }>, event: HeldMailEvent): Promise<boolean>;
}

/** The trails as hash chains, for verifying them and anchoring their heads. */
export interface AuditChains {
  /**
   * A trail's stored events in the order the store keeps them (by number), and its head; `unchained`: events
   * written before trails were chained (no number, no hash), oldest first.
   */
  chain(trail: string): Promise<{ events: ChainedAuditEvent[]; head?: ChainHead; unchained: RecordedAuditEvent[] }>;
  /** Every trail's name, a page at a time, by the day its head moved on: the index's keys alone, no head read. */
  trails(options: { cursor?: string; limit: number }): Promise<{ trails: string[]; cursor?: string }>;
  /** Every trail's head (or those moved since an instant), a page at a time, by the day it moved on. */
  heads(options: { movedSince?: string; cursor?: string; limit: number }): Promise<{ heads: ChainHead[]; cursor?: string }>;
  /** The last digest written, as the next one names it. */
  latestDigest(): Promise<DigestPointer | undefined>;
  /**
   * Records a written digest: each head it lists gets an anchor (which digest, at what number), then the pointer to
   * the latest digest moves from `previous` — false if another run moved it first.
   */
  recordDigest(digest: DigestPointer, previous: DigestPointer | undefined, heads: DigestHead[]): Promise<boolean>;
  /** The latest digest that anchored this trail, and the number it anchored it at. */
  anchorOf(trail: string): Promise<(DigestPointer & { seq: number }) | undefined>;
}

/**
 * More waiting requests than this on one link is a flood: the next request makes (and budgets) a link of its own —
 * once in the address's budget window; after that, requests wait for the address's next link (see verification.ts).
 */
export const MAX_WAITING_PER_LINK = 100;

/**
 * One confirmation link for one address, and the requests that wait on it: the first request's step makes it and
 * mails it; later requests for the address join it instead of mailing again, and one confirmation releases them all.
 */
export interface Verification {
  /** SHA-256 of the code in the link: the code itself is never stored. */
  codeHash: string;
  /** Keyed hash of the address (see personKey): which address this link belongs to. */
  recipientKey: string;
  createdAt: string;
  expiresAt: string;
  /** The request whose step made the link and mails it. */
  owner: string;
  /** The requests this link confirms. */
  waiting: string[];
  /** Made because the address's link before it was full: a full link opens one more only once a budget window. */
  overflowAt?: string;
  mailedAt?: string;
  /** The mail was not sent: a budget was spent. Nobody has the code; a later request makes a new link for all. */
  withheldAt?: string;
  /** Replaced by a newer link that carries its waiting requests; its code no longer works. */
  supersededAt?: string;
  /** The first confirmation; its work (releasing every waiting request) may be finished by a repeated one. */
  confirmedAt?: string;
  completedAt?: string;
}

export interface VerificationStore {
  /** Keeps the callback task token a request's workflow now waits with (sealed); a later wait's token replaces it. */
  putTask(requestId: string, taskToken: string, expiresAt: string): Promise<void>;
  /** The token the request's workflow waits with, if it still waits. */
  task(requestId: string): Promise<string | undefined>;
  /** The address's current link (the pointer to it, and the link itself while it is kept). */
  current(recipientKey: string): Promise<{ codeHash: string; verification?: Verification } | undefined>;
  /**
   * Stores a new link and makes it the address's current one — only if the current one is still `replacing` (or
   * there is none); false if another request got there first.
   */
  open(verification: Verification, replacing?: string): Promise<boolean>;
  /** Adds waiting requests to a link that is still open to joining; false if it no longer is (confirmed, full, …). */
  join(codeHash: string, waiting: string[], now: Date): Promise<boolean>;
  /** Closes a link that was never mailed to joining and to confirmation; its final state, or undefined if it was mailed meanwhile. */
  supersede(codeHash: string, now: Date): Promise<Verification | undefined>;
  markMailed(codeHash: string, at: Date): Promise<void>;
  markWithheld(codeHash: string, at: Date): Promise<void>;
  /**
   * The confirmation: the first one before the link expires, or a repeat of one whose work did not complete (a crash
   * mid-way). Anything else — unknown, superseded, expired, completed — is InvalidTokenError.
   */
  claim(codeHash: string, now: Date): Promise<Verification>;
  /** The link a claim would accept now, read without claiming it (the confirmation page names its requests). */
  peek(codeHash: string, now: Date): Promise<Verification>;
  complete(codeHash: string, at: Date): Promise<void>;
}

/** A token bucket: `burst` at once, refilled at `perMinute`. */
export interface BucketLimit {
  burst: number;
  perMinute: number;
}

/** Request rates shared by every function instance (kept in DynamoDB, not in memory). */
export interface RateLimiter {
  /** Takes one token from the named bucket; 0 if there was one, else the seconds until there is. */
  take(bucket: string, limit: BucketLimit, now: Date): Promise<number>;
}

/** How much mail may go to addresses that have not confirmed a link. */
export interface MailBudgets {
  /** Spends one mail to this address within its rolling window; false when the window's budget is spent. */
  spendRecipient(recipientKey: string, budget: { max: number; windowHours: number }, now: Date): Promise<boolean>;
  /** A confirmed link shows the mailbox wants our mail: what it spent is given back. */
  refundRecipient(recipientKey: string): Promise<void>;
  /** Gives back the one mail spendRecipient spent at `spentAt`: a budget after it refused that mail. */
  returnRecipient(recipientKey: string, spentAt: Date): Promise<void>;
  /**
   * Counts one under the counter for the clock hour, if it has counted fewer than `max` (HourlyCounter);
   * `firstRefusal` is true once per hour and counter, for one alert.
   */
  spendHourly(counter: HourlyCounter, max: number, now: Date): Promise<{ allowed: boolean; firstRefusal: boolean }>;
  /** True for the first call of the clock hour under this name, false after: one alert an hour, however many causes. */
  firstThisHour(name: string, now: Date): Promise<boolean>;
}

/**
 * The shares of the hour's mails to unconfirmed addresses, counted apart so that a flood through one channel cannot
 * starve the other: receipts of requests made by mail, and those of every other channel (the web form, operators).
 */
export type HourlyPool = 'email' | 'other';
/**
 * What is counted per clock hour: mail to unconfirmed addresses in a share of the hour (HourlyPool) and at one
 * recipient domain (by its keyed hash); the operator's alerts about mail from other senders.
 */
export type HourlyCounter = HourlyPool | `domain:${string}` | 'third-party-alerts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Our own Message-ID, so that replies can be joined to the request. */
  messageId: string;
  /** The mail this one answers (In-Reply-To), and the thread it belongs to, its first mail first (References). */
  inReplyTo?: string;
  references?: string[];
  /** The company's name as the From shows it, in the mail's language; else the mailer's own (the default language's). */
  fromName?: string;
  /** Answers the law requires are transactional; marketing mail is never sent to a suppressed address. */
  category?: 'transactional' | 'marketing';
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<'sent' | 'suppressed'>;
}

/**
 * One mail a request sends: its kind (a template, or an operator template with its alert) and its round, which
 * tells apart mails of one kind a request may get more than once (an escalation's number, a watch step's instant,
 * the failed task an alert is about).
 */
export interface MailKey {
  requestId: string;
  kind: string;
  round: number | string;
}

/**
 * How long a claim keeps a mail for the attempt that took it. Longer than an attempt takes to send and confirm it (a
 * send is at most three SES calls of SES_REQUEST_TIMEOUT_MS), so two attempts at once never both send it; shorter than
 * the retries of a step or of a mail's intake take to come back, so an attempt that ended without confirming or
 * releasing its claim (it crashed, or timed out) leaves the mail to the next one.
 */
export const MAIL_CLAIM_LEASE_MS = 45_000;

/**
 * A claim on one mail: this attempt's to send (`ours`; `token` releases it), already sent, or held by another attempt
 * that claimed it less than MAIL_CLAIM_LEASE_MS ago and may be sending it now. The Message-ID is the first claim's.
 */
export type MailClaim = { state: 'ours'; messageId: string; token: string; first: boolean } | { state: 'sent'; messageId: string } | { state: 'held'; messageId: string };

/**
 * What each request has sent, so a step that runs again (a retry, a restart) or runs at the same moment as another
 * (two deliveries of one mail) finds its mail and does not send it twice. A mail is claimed (a conditional write)
 * before it goes out and confirmed after.
 */
export interface SentMailLedger {
  /**
   * Claims the mail with this Message-ID; if it was claimed before, the earlier claim's Message-ID: sent, held, or
   * taken over for this attempt when it was released or its lease lapsed (`first`: false then).
   */
  claim(key: MailKey, messageId: string): Promise<MailClaim>;
  /** Gives up this attempt's claim (`token`) on a mail it did not send: the next attempt takes it at once. */
  release(key: MailKey, messageId: string, token: string): Promise<void>;
  /** Confirms the claimed mail went out, with the audit event that records it, in one write. */
  confirm(key: MailKey, messageId: string, event: AuditEvent): Promise<void>;
}

/** Addresses that opted out of marketing; derbes' mailer and the company's own systems consult it. */
export interface SuppressionList {
  add(email: string, evidence: { requestId: string }): Promise<void>;
  has(email: string): Promise<boolean>;
}

/** Where a request's execution stands, as Step Functions says; MISSING when it was never started. */
export type { ExecutionStatus };

/**
 * What a request's execution starts with: identifiers and timings, never personal data (Step Functions keeps it in
 * the execution history). Its first step waits for verification until `verificationExpiresAt`, and no longer than
 * `verificationTimeoutSeconds` from the start (see startWorkflow, the one function that makes it).
 */
export interface ExecutionStart {
  requestId: string;
  /** When the confirmation link stops working; the wait times out no earlier. */
  verificationExpiresAt: string;
  verificationTimeoutSeconds: number;
  /**
   * Where a request that begins as it is confirmed goes: its sources, and whether it has consent to record before
   * them. Known at the start: a request's types change only by an operator's decision, which comes after. The
   * sources follow the profile as it was then; the Answer step checks them against the profile as it is (see
   * PlanOutdatedError).
   */
  sourceIds: string[];
  recordsConsent: boolean;
}

/**
 * What the release of a request's wait for verification hands its execution (kept at `$.Payload.verification`): when
 * it was confirmed, and whether it began then (see beginsOnConfirmation).
 */
export type VerificationRelease = { verifiedAt: string; begun?: true };

export interface Workflow {
  /** Starts the execution named after the request; a second start for the same request is a no-op. */
  start(input: ExecutionStart): Promise<void>;
  /** Releases a waiting task; WaitEndedError when the workflow no longer waits on it (timed out, ended). */
  completeTask(taskToken: string, output: Record<string, unknown>): Promise<void>;
  /**
   * Ends a waiting task with a failure the state machine catches by its `error` (a code of derbes's own, nothing
   * personal in `cause`); WaitEndedError when the workflow no longer waits on it.
   */
  failTask(taskToken: string, error: string, cause: string): Promise<void>;
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
   * An erasure the operator limited to particular data: overwrites each named field with ANONYMISED on every record
   * of the person that holds it, as an anonymising erasure does, whatever the source's `erasure`; every other field
   * and record stays. `affected`: the records that held one of the fields.
   */
  eraseFields(subject: Subject, fields: string[]): Promise<SourceOutcome>;
  /**
   * Sets each named attribute to false on every record of the person that has it: the consents the person has
   * withdrawn, as the profile maps purposes to attributes (consentAttributes). Records without it stay as they are.
   */
  withdrawConsent(subject: Subject, attributes: string[]): Promise<SourceOutcome>;
}

/** Stored access packages (the person's data as a file and a page). */
export interface PackageStore {
  put(key: string, body: string, contentType: string): Promise<void>;
  /** Throws NotFoundError when nothing is stored under the key. */
  read(key: string): Promise<string>;
}

/** Single-use, expiring download tokens, held only as hashes. */
// A type alias (not an interface) so it fits the token store's Record<string, unknown> bound.
export type DownloadGrant = {
  requestId: string;
  objectKey: string;
  contentType: string;
  filename: string;
  /** Which rendering of the stored access package (see publishAccessPackage); absent, the object is the file itself. */
  part?: 'json' | 'html';
};

export interface DownloadTokens {
  put(tokenHash: string, grant: DownloadGrant, expiresAt: string): Promise<void>;
  consume(tokenHash: string, now: Date): Promise<DownloadGrant>;
}

/**
 * The raw-mail archive: messages as SES stored them, and the attachments of a request's mail (documents for a
 * rectification, say), kept for the operator.
 */
export interface MailArchive {
  /** The raw message SES (or the local SMTP front door) stored under its message id. */
  read(sesMessageId: string): Promise<Uint8Array>;
  /**
   * Stores one attachment (a third party's in the request's quarantine folder) with its file name; returns where it
   * is kept, a key that does not contain the name.
   */
  keep(requestId: string, attachment: { filename: string; contentType: string; content: Uint8Array }, folder?: 'quarantine'): Promise<string>;
  /** A link that downloads one kept attachment of the request under the name it came with, or NotFoundError. */
  attachmentLink(requestId: string, key: string): Promise<DownloadLink>;
  /** A link that downloads the raw message of this SES message id under `filename`, or NotFoundError. */
  rawMailLink(sesMessageId: string, filename: string): Promise<DownloadLink>;
}

/**
 * A short-lived link that downloads one stored file straight from storage, always as an attachment of bytes (never
 * rendered), to whoever holds it until `expiresAt`: a bearer credential, never logged. Files go this way because a
 * function's answer is held to 6 MB (Lambda) and a person's scan or mail is often larger.
 */
export interface DownloadLink {
  url: string;
  expiresAt: string;
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

/** How one notice to a processor went. */
export interface NoticeDelivery {
  processorId: string;
  channel: 'webhook' | 'email';
  delivered: boolean;
  /** The HTTP status of the last webhook attempt, when there was an answer. */
  status?: number;
  attempts: number;
  error?: string;
  /** The signature header of the last webhook attempt (domain/signing.ts): what the processor can check the notice by. */
  signature?: string;
}

/**
 * Tells a processor or recipient of a request, by signed webhook (the notice) or by mail (the text the caller wrote in
 * the processor's language), as the profile says for each. One that cannot be reached is a result, not an error; a
 * webhook's retries end within `withinMs`.
 */
export interface ProcessorNotices {
  notify(processor: Processor, notice: ProcessorNotice, mail: { subject: string; text: string }, withinMs: number): Promise<NoticeDelivery>;
}

/**
 * derbes' own records: a retention source, found through the closed-date index — and the one-time back-fill of that
 * index for requests closed before it existed, which no query can find.
 */
export interface OwnRecords extends RetentionSource {
  /**
   * Reads one page of the requests table (at most `limit` items, never the whole table) and gives every closed request
   * not yet anonymised that lacks the index attributes its place in the index; `cursor` continues, absent at the end.
   */
  indexClosedPage(options: { cursor?: string; limit: number }): Promise<{ indexed: number; cursor?: string }>;
}
