import { randomBytes, randomInt } from 'node:crypto';
import type { AuditEvent } from './audit.ts';
import { ConflictError } from './errors.ts';
import type { Deadline } from './deadlines/index.ts';
import { localDateOf, parseInstant } from './deadlines/local-time.ts';
import type { Admission } from './held-mail.ts';
import type { Language, RequestType } from './request-types.ts';

export const REQUEST_STATUSES = ['RECEIVED', 'AWAITING_VERIFICATION', 'IN_PROGRESS', 'AWAITING_DECISION', 'COMPLETED', 'REFUSED', 'CLOSED_UNVERIFIED', 'NOT_A_REQUEST'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** The only status changes the workflow may make; anything else is a ConflictError. */
const ALLOWED_TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  RECEIVED: ['AWAITING_VERIFICATION'],
  AWAITING_VERIFICATION: ['IN_PROGRESS', 'CLOSED_UNVERIFIED'],
  IN_PROGRESS: ['AWAITING_DECISION', 'COMPLETED'],
  AWAITING_DECISION: ['IN_PROGRESS', 'REFUSED', 'NOT_A_REQUEST'],
  COMPLETED: [],
  REFUSED: [],
  CLOSED_UNVERIFIED: [],
  NOT_A_REQUEST: [],
};

/**
 * Where each status leaves the person: still owed an answer (open), answered (the answer or a reasoned refusal went
 * out), abandoned (the address never confirmed its link, so no answer was owed), or not a request (an operator read
 * the mail and found nothing in it the law asks an answer to: spam, a general question). Whatever counts requests —
 * the report, the inbox, the deadline watch, the own-records retention — reads it here: a status added without its
 * place does not compile.
 */
export const STATUS_STANDINGS = {
  RECEIVED: 'open',
  AWAITING_VERIFICATION: 'open',
  IN_PROGRESS: 'open',
  AWAITING_DECISION: 'open',
  COMPLETED: 'answered',
  REFUSED: 'answered',
  CLOSED_UNVERIFIED: 'abandoned',
  NOT_A_REQUEST: 'notARequest',
} as const satisfies Record<RequestStatus, 'open' | 'answered' | 'abandoned' | 'notARequest'>;

export const OPEN_STATUSES: readonly RequestStatus[] = REQUEST_STATUSES.filter((status) => STATUS_STANDINGS[status] === 'open');

/** The legal basis of a refusal: one of the jurisdiction's refusal grounds (rules/refusal-grounds), or the operator's words. */
export type RefusalBasis = { ground: string } | { text: string };

/** What the operator decided where the rules ask for a human. */
export interface Decision {
  approved: boolean;
  decidedAt: string;
  /** Which operator key made it (its id, see operator-key.ts), until operators sign in as people. */
  decidedBy?: string;
  /** Required for a refusal: told to the person. */
  reason?: string;
  /** Required for a refusal: cited to the person (a plain string on decisions recorded before grounds were data). */
  basis?: RefusalBasis | string;
  /** The operator's answer to a claim, or a note for the person. */
  answer?: string;
}

/**
 * An operator read a request nobody could classify and found it is none (spam, a general question): who, when, and
 * the words they wrote to the person, if any (mailed once; none for spam).
 */
export interface NotARequest {
  by: string;
  at: string;
  text?: string;
}

/** How a request reached the company: the form or API, mail, or an operator who entered one received otherwise. */
export const CHANNELS = ['web', 'email', 'phone', 'post', 'in_person'] as const;
export type Channel = (typeof CHANNELS)[number];
/** The channels an operator enters a request for: received by phone, by post or in person. */
export const ENTERED_CHANNELS = ['phone', 'post', 'in_person'] as const satisfies readonly Channel[];
export type EnteredChannel = (typeof ENTERED_CHANNELS)[number];
export const isEnteredChannel = (channel: Channel): channel is EnteredChannel => (ENTERED_CHANNELS as readonly Channel[]).includes(channel);

/** The most a person's message holds (the form, the API, and the text kept from a request's mail). */
export const MAX_MESSAGE_CHARS = 5000;

/** How many messages operators may write to the person about one request, each of at most MAX_MESSAGE_CHARS: the request stays one stored item. */
export const MAX_OPERATOR_MESSAGES = 20;

/** How many replies keep their words with the request (each at most MAX_MESSAGE_CHARS): the request stays one stored item. */
export const MAX_KEPT_REPLIES = 20;

/** A reply of the person's, as the operator reads it. */
export interface PersonReply {
  at: string;
  /** The stored raw message it came as. */
  sesMessageId: string;
  text: string;
}

/** When an operator last wrote to the person about the request: their latest message, the decision, or the close as not a request. */
export function lastOperatorWord(request: Pick<DataSubjectRequest, 'operatorMessages' | 'decision' | 'notARequest'>): string | undefined {
  return [request.operatorMessages?.at(-1)?.at, request.decision?.decidedAt, request.notARequest?.at].filter((at): at is string => at !== undefined).sort().at(-1);
}

/** The person's kept replies written after the operator's last word, oldest first. */
export function unansweredReplies(request: Pick<DataSubjectRequest, 'replies' | 'operatorMessages' | 'decision' | 'notARequest'>): PersonReply[] {
  const lastWord = lastOperatorWord(request);
  return (request.replies ?? []).filter((reply) => !lastWord || reply.at > lastWord);
}

/** How many internal notes one request keeps (each at most MAX_MESSAGE_CHARS): the request stays one stored item. */
export const MAX_NOTES = 30;

/** An operator's internal note on a request: for other operators, never mailed. */
export interface OperatorNote {
  id: string;
  at: string;
  /** Which operator wrote it. */
  by: string;
  text: string;
}

/** A request an operator entered (received by phone, post or in person): who entered it and how identity was checked. */
export interface Entry {
  by: string;
  at: string;
  /** `mail`: the person confirms a link mailed to the address, as on the web; `attested`: the operator checked it. */
  identity: 'mail' | 'attested';
  /** For `attested`: how (a document shown, a call back to a known number). */
  attestation?: string;
  /**
   * Entered too late to answer within the term the law counts from the day received (already past, or within the
   * safety margin of it): when the receipt promised the answer instead — the same term, counted from the day entered.
   */
  promisedBy?: string;
}

/** A message an operator wrote to the person. */
export interface OperatorMessage {
  at: string;
  /** The mail it went out as. */
  messageId: string;
  /** Which operator key wrote it (its id). */
  by: string;
  text: string;
}

/** The mail that made a request: what a reply to it needs. */
export interface FirstMail {
  /** Its Message-ID, as <id@host>. */
  messageId: string;
  subject: string;
  /**
   * Its From passed DMARC, and intake took the pass as its From's (vouchedFor): the domain vouched for the sender. Only
   * then may its subject be repeated to the address before the address confirms a link — else a forged sender could
   * make derbes mail a stranger's words to anyone.
   */
  authenticated: boolean;
}

/** Where and how a request's workflow stopped: a step name and an error code, never an error's text. */
export interface Attention {
  step: string;
  code: string;
  since: string;
}

export interface DataSubjectRequest {
  /** Also the reference the person sees and the Step Functions execution name. */
  id: string;
  types: RequestType[];
  status: RequestStatus;
  channel: Channel;
  email: string;
  name?: string;
  /**
   * Keyed hash of the address (person-key.ts): a person's requests are found by address through an index of it,
   * never by reading the table. Absent on requests written before it was kept, and once anonymised.
   */
  personKey?: string;
  language: Language;
  receivedAt: string;
  /** Set on a request an operator entered: who, and how the person's identity was checked. */
  entry?: Entry;
  /**
   * Set on a request made of mail that intake held (no check vouched for its sender, or it came past the mail limits)
   * and an operator vouched for: who, when, and why it had been held. It was received when the mail arrived.
   */
  admitted?: Admission;
  /** The earliest due date of the request's types, with the rule that set it (kept whole: it is the evidence). */
  deadline: Deadline;
  /** For a rectification: field → new value, as the person (or the operator) gave them. */
  changes?: Record<string, string>;
  /**
   * An erasure the operator limited to particular data (what the person asked to delete): the personal fields erased
   * (names, never values), each in the sources that declare it personal. Everything else the person's records hold stays.
   */
  erasureFields?: string[];
  /**
   * The person's own words: the form's or the API's message, or the text of the mail that made the request (quoted
   * history stripped, at most MAX_MESSAGE_CHARS; the raw message stays in the mail archive). Never mailed to anyone.
   */
  message?: string;
  /**
   * The words of the person's later mail joined to the request (replies), oldest first, each as kept for the
   * request's message; past MAX_KEPT_REPLIES only the trail records a reply (its text stays in the raw mail).
   */
  replies?: PersonReply[];
  /** Internal notes of operators, oldest first (at most MAX_NOTES): never mailed. */
  notes?: OperatorNote[];
  /** What operators wrote to the person, oldest first (at most MAX_OPERATOR_MESSAGES). */
  operatorMessages?: OperatorMessage[];
  /** For a request made by mail: the mail it answers, so that what derbes sends threads under it in the person's client. */
  firstMail?: FirstMail;
  /**
   * The person asks to destroy particular data (a phone number, a photo), not everything held, or limits what they ask
   * ("only my phone number", «тек телефон нөмірімді»): an operator reads it before anything is destroyed, and is told
   * why. Mail worded so is left unclassified (no types); a form keeps the types ticked.
   */
  particularData?: true;
  /** The Message-ID of the person's latest mail joined to the request: what derbes sends next answers it. */
  latestMail?: string;
  /** When the person confirmed the link mailed to the address: every step that changes data checks it. */
  verifiedAt?: string;
  /**
   * The browser sent a Global Privacy Control signal (Sec-GPC: 1) with the request; it takes effect once the address
   * is verified. Client details only as keyed hashes, as consent evidence.
   */
  gpc?: { ipHash?: string; userAgentHash?: string };
  decision?: Decision;
  /**
   * Set when an operator closes a request nobody could classify as not a request: the workflow then closes it
   * (NOT_A_REQUEST) and mails their words, if any. The later of this and `decision` is the operator's last act.
   */
  notARequest?: NotARequest;
  /** The reason the operator gave the person for extending the deadline (the trail records the extension, not the words). */
  extensionReason?: string;
  /** Set while the request's workflow is stopped on a failure that survived its retries; cleared on resume. */
  attention?: Attention;
  closedAt?: string;
  /**
   * Set when the retention of derbes' own records anonymised the request (domain/own-records.ts): when, and a keyed
   * hash of what it held (the request and its source results, canonically encoded) so a copy can still be checked.
   */
  anonymised?: { at: string; digest: string };
  /**
   * Set by the own-records purge with its first write, before it removes anything: what it will record. From then on
   * no legal hold can be set (the request's raw mail and results are going); anonymising replaces it.
   */
  anonymising?: { digest: string; sourceResults: number };
  /**
   * Where the record of the idempotency key that made the request is kept (a storage key, nothing personal), so the
   * anonymisation removes it with the rest: it ties the key to this request and the body it carried.
   */
  idempotencyMarker?: string;
  /**
   * A legal hold the operator set (a dispute, a court case, an inspection): the request is kept past derbes' own
   * term, named by this basis in the retention plan, until the operator lifts it.
   */
  legalHold?: string;
}

/**
 * The term the request is answered to: its deadline, or for a request entered too late to keep it, the same term
 * counted from the day it was entered, ending on the date its receipt promised (Entry.promisedBy). The workflow's
 * waits, the deadline watch's reminders and the person's later mails keep to it.
 */
export function answerTerm(request: Pick<DataSubjectRequest, 'deadline' | 'entry'>): Deadline {
  const { deadline, entry } = request;
  const promised = entry?.promisedBy;
  if (!promised || Date.parse(promised) <= Date.parse(deadline.dueAt)) return deadline;
  const entered = new Date(entry.at);
  return {
    ...deadline,
    dueAt: promised,
    dueLocalDate: localDateOf(parseInstant(promised), deadline.timeZone),
    receivedAt: entered.toISOString(),
    receivedLocalDate: localDateOf(entered, deadline.timeZone),
  };
}

/** When the person was told to expect the answer (answerTerm). */
export function answerDueAt(request: Pick<DataSubjectRequest, 'deadline' | 'entry'>): string {
  return answerTerm(request).dueAt;
}

export function assertTransition(request: Pick<DataSubjectRequest, 'id' | 'status' | 'verifiedAt'>, to: RequestStatus): void {
  if (!ALLOWED_TRANSITIONS[request.status].includes(to)) {
    throw new ConflictError(`request ${request.id} cannot move from ${request.status} to ${to}`);
  }
  // Checked on the request as the store writes it: a confirmation that lands as the wait ends is never closed over.
  if (to === 'CLOSED_UNVERIFIED' && request.verifiedAt !== undefined) {
    throw new ConflictError(`request ${request.id} was confirmed; it cannot be closed as unconfirmed`);
  }
}

/**
 * The request as the person's confirmation leaves it, with what its trail records: verified and, where
 * `beginsAtOnce` holds for it, in progress — a step that would only move it costs the workflow a state transition.
 */
export function verifiedNow(
  request: DataSubjectRequest,
  verifiedAt: string,
  beginsAtOnce: (request: DataSubjectRequest) => boolean,
): { next: DataSubjectRequest; events: AuditEvent[] } {
  const verified = { ...request, verifiedAt };
  const confirmed: AuditEvent = { type: 'verification.confirmed', detail: {} };
  if (!beginsAtOnce(verified)) return { next: verified, events: [confirmed] };
  assertTransition(verified, 'IN_PROGRESS');
  return { next: { ...verified, status: 'IN_PROGRESS' }, events: [confirmed, { type: 'status.changed', detail: { from: request.status, to: 'IN_PROGRESS' } }] };
}

/**
 * Our Message-ID for a mail about a request: it starts with the reference, so a reply can be joined to the
 * request even when the subject was changed.
 */
export function requestMessageId(requestId: string, kind: string, domain: string): string {
  return `<${requestId}.${kind}.${randomBytes(6).toString('hex')}@${domain}>`;
}

/**
 * The Message-ID of a request's receipt where the person did not write (the form, an operator's entry): the first
 * mail of the request's thread, named by the reference alone, so every later mail of the request names it without
 * storing it. A request gets one receipt at most (a link, or an entered request's registration).
 */
export function receiptMessageId(requestId: string, domain: string): string {
  return `<${requestId}.receipt@${domain}>`;
}

// Crockford base32 without I, L, O, U: readable over the phone, no accidental words.
const REFERENCE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const REFERENCE_PATTERN = /DRB-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}/;

/** A new reference, e.g. DRB-7K3F9-Q2M4X: 50 random bits; creation is a conditional write, so a clash fails loudly. */
export function newReference(): string {
  const block = () => Array.from({ length: 5 }, () => REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)]).join('');
  return `DRB-${block()}-${block()}`;
}
