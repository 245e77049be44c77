import type { SesVerdicts } from './email/types.ts';
import type { HeldReason } from './held-mail.ts';
import type { OperatorActor } from './operator-identity.ts';
import type { RequestStatus } from './request.ts';
import type { ReviewReasonKind } from './messages.ts';
import type { RequestType } from './request-types.ts';

/**
 * One entry of a request's append-only trail. `detail` holds facts for the regulator (statuses, rule ids,
 * message ids, counts), never the person's data itself. Any event written while an operator acts (through the
 * operator API or the console) names them in `detail.operator` (see use-cases/on-behalf-of.ts).
 */
export type AuditEvent = NamingTheOperator<AuditEventOfAnyone>;

/** Every event's detail may name the operator on whose call it was written; some always do. */
type NamingTheOperator<E extends { type: string; detail: object }> = E extends unknown ? { type: E['type']; detail: E['detail'] & { operator?: OperatorActor } } : never;

type AuditEventOfAnyone =
  /**
   * `enteredBy`: the operator who entered a request received by phone, post or in person; `identity`, how it is checked.
   * `admittedBy`: the operator who vouched for held mail, and why intake had held it (`held`).
   */
  | { type: 'request.received'; detail: { channel: string; types: string[]; dueAt: string; ruleId: string; enteredBy?: string; identity?: 'mail' | 'attested'; admittedBy?: string; held?: HeldReason } }
  | { type: 'status.changed'; detail: { from: RequestStatus; to: RequestStatus } }
  /** `sha256`: of the message as derbes composed it (recipient, subject, text, Message-ID), canonically encoded. */
  | { type: 'mail.sent'; detail: { template: string; messageId: string; sha256: string } }
  | { type: 'verification.requested'; detail: { expiresAt: string; joined: boolean } }
  /** `round`: a receipt mailed again after the hour's budget withheld it (see retryWithheldReceipt). */
  | { type: 'mail.withheld'; detail: { template: string; reason: string; round?: string } }
  | { type: 'verification.confirmed'; detail: Record<never, never> }
  /**
   * The address's link was used with this request left unticked: its wait ends, and it closes unconfirmed with no mail
   * (the page said it would; a mail per request a stranger made in the address's name would be spam).
   */
  | { type: 'verification.left_unticked'; detail: Record<never, never> }
  /**
   * The address's link was used with "None of these are mine": the mailbox's owner said this request is not theirs.
   * Its wait ends, and it closes unconfirmed with no mail, as one left unticked does.
   */
  | { type: 'verification.disowned'; detail: Record<never, never> }
  /** Files the person attached on the web form, each kept beside the request's mail attachments; names only on the files. */
  | { type: 'form.attachments'; detail: { attachments: Array<{ size: number; key: string }> } }
  /** `erasedFields`: for an erasure limited to particular data, the fields it erased in this source (names, never values). */
  | { type: 'source.applied'; detail: { sourceId: string; attempt: number; outcomes: Record<string, string>; erasedFields?: string[] } }
  | { type: 'source.failed'; detail: { sourceId: string; error: string; steps: string[] } }
  // `reasons` in English, as the trail keeps text; `kinds`, what they were, so each reader says them in their language.
  | { type: 'decision.requested'; detail: { reasons: string[]; kinds?: Array<{ kind: ReviewReasonKind; type?: RequestType }> } }
  /**
   * `ground`: the refusal ground's id, or 'written' when the operator wrote the basis out. `erasedFields`: the fields
   * an approved erasure is limited to (names, never values).
   */
  | { type: 'decision.made'; detail: { approved: boolean; ground?: string; erasedFields?: string[]; operator: OperatorActor } }
  /** Mail nobody could read as a known request, given its types by an operator. */
  | { type: 'request.classified'; detail: { types: string[]; operator: OperatorActor } }
  /** Mail nobody could classify, found by an operator to be no request (spam, a general question); `messaged`: their words go to the person. */
  | { type: 'request.not_a_request'; detail: { messaged: boolean; operator: OperatorActor } }
  | { type: 'decision.escalated'; detail: { round: number } }
  /** `signature`: the signature header a webhook notice carried (t=…,v1=HMAC-SHA256), so the processor's copy can be matched. */
  | { type: 'processor.notified'; detail: { processorId: string; noticeType: string; channel: string; delivered: boolean; attempts: number; signature?: string } }
  | { type: 'operator.alerted'; detail: { alert: string } }
  | { type: 'open-work.done'; detail: { id: string; operator: OperatorActor } }
  | { type: 'deadline.step'; detail: { kind: string; at: string } }
  | { type: 'consent.withdrawn'; detail: { purposes: string[] } }
  | { type: 'deadline.extended'; detail: { from: string; to: string; citation: string; operator: OperatorActor } }
  /** The operator wrote to the person (the words are kept with the request, not in the trail). */
  | { type: 'operator.wrote'; detail: { messageId: string; operator: OperatorActor } }
  /** An internal note (kept with the request, not in the trail; never mailed). */
  | { type: 'operator.noted'; detail: { noteId: string; operator: OperatorActor } }
  // A breach in the register (the trail's key is the breach reference, BRC-…).
  | { type: 'breach.recorded'; detail: { detectedAt: string; notices: Array<{ jurisdiction: string; dueAt: string; ruleId: string }> } }
  | { type: 'breach.subjects_added'; detail: { via: 'operator' | 'sources'; added: number; alreadyListed: number; notFound: number } }
  | { type: 'breach.notice_produced'; detail: { jurisdiction: string; language: string; format: string; sha256: string; missing: string[] } }
  | { type: 'breach.notice_filed'; detail: { jurisdiction: string; filedAt: string; filingReference?: string } }
  | { type: 'breach.person_notice_approved'; detail: { languages: string[]; sha256: Record<string, string> } }
  /** `subject` is the affected person's keyed hash, never an identifier. */
  | { type: 'breach.person_notified'; detail: { subject: string; language: string; messageId: string } }
  | { type: 'breach.person_notice_failed'; detail: { subject: string; error: string } }
  /** The person's per-address mail budget was spent: their notice waits for the next run (recorded on the first wait). */
  | { type: 'breach.person_notice_held'; detail: { subject: string; reason: 'recipient_budget' } }
  /** A workflow step failed after its retries (or the watch found the workflow stopped): a code, nothing personal. */
  | { type: 'workflow.failed'; detail: { step: string; code: string } }
  | { type: 'workflow.resumed'; detail: { step: string } }
  // The people who sign in to the console (the trail's key is OPERATORS); `email` is the operator's work address.
  | { type: 'operator.added'; detail: { email: string; role: string; operator: OperatorActor } }
  | { type: 'operator.removed'; detail: { email: string; operator: OperatorActor } }
  /** The watch started the workflow of a request that had none (a crash between persisting and starting it). */
  | { type: 'workflow.started'; detail: { by: 'deadline-watch' } }
  // The retention purge (the trail's key is RETENTION#<source id>); records are named by keyed hashes of their keys.
  | { type: 'retention.awaiting_approval'; detail: { source: string; fingerprint: string } }
  | { type: 'retention.approved'; detail: { source: string; fingerprint: string; expired: number; held: Record<string, number> } }
  /** One record erased (written with the erasure itself); `record` is the keyed hash of its key. */
  | { type: 'retention.purged'; detail: { source: string; erasure: string; cutoff: string; record: string } }
  /**
   * Written before derbes asks the company's service to purge one record: should the run end between the service's
   * answer and `retention.purged`, the trail still shows the purge asked for (the service erases once per purgeId).
   */
  | { type: 'retention.purge_requested'; detail: { source: string; record: string; cutoff: string; purgeId: string } }
  /** The service did not purge it: purged already under this purgeId, or changed since it was listed (a hold, a newer date). */
  | { type: 'retention.purge_declined'; detail: { source: string; record: string; purgeId: string } }
  /**
   * On the request's own trail: its personal fields were anonymised after derbes' own term (the source results and
   * raw mail removed); `digest` is the keyed hash of what it held, canonically encoded.
   */
  | { type: 'retention.anonymised'; detail: { digest: string; sourceResults: number; objects: number } }
  /** The operator set (basis given) or lifted a legal hold on the request's own records. */
  | { type: 'retention.hold'; detail: { held: boolean; basis?: string; operator: OperatorActor } }
  /** Every request closed before the closed-date index existed now has its place in it (a one-time back-fill, from `startedAt`). */
  | { type: 'retention.index_backfilled'; detail: { startedAt: string } }
  | { type: 'retention.pass_finished'; detail: { source: string; cutoff: string; purged: number; held: Record<string, number>; startedAt: string } }
  | {
      type: 'mail.received';
      detail: {
        sesMessageId: string;
        messageId?: string;
        /** Of the raw message as it arrived (kept in the raw-mail bucket): what arrived, provably, without its content. */
        sha256: string;
        /** SES' spam, virus, SPF, DKIM and DMARC verdicts on it. */
        verdicts: SesVerdicts;
        outcome: string;
        reason?: string;
        /**
         * Where each attachment is kept (or, over the size limit, only its size: it stays in the raw mail). File names
         * are personal and this trail outlives the request's term: a name is kept on its file only.
         */
        attachments?: Array<{ size: number; key?: string }>;
        /** Attachments of mail that is not the person's (a third party's reply): kept apart for the operator, not theirs. */
        quarantined?: Array<{ size: number; key?: string }>;
        /**
         * How many attachments the mail held beyond those listed (MAX_LISTED_ATTACHMENTS, in `attachments` or
         * `quarantined`; for a third party's, no more than the request's quarantine had room for,
         * MAX_QUARANTINED_PER_REQUEST): neither kept nor listed, they are in the raw mail only. Absent when there were
         * none more.
         */
        moreAttachments?: number;
        authFailures?: string[];
        /**
         * The mail was held (why), and made the request or joined it only once an operator vouched for it: recorded
         * then, not on arrival.
         */
        held?: HeldReason;
        /** When a held reply arrived (a held mail that made the request arrived when the request was received). */
        arrivedAt?: string;
      };
    }
  /** On a held mail's own trail (INBOUND#<SES id>): an operator vouched for it, and it made this request. */
  | { type: 'mail.admitted'; detail: { requestId: string; operator: OperatorActor } }
  /** On a held mail's own trail: an operator read it and dismissed it; it makes no request. */
  | { type: 'mail.dismissed'; detail: { operator: OperatorActor } };

/**
 * Why a mail to the person was not sent (`mail.withheld`): the budgets of unconfirmed addresses, the wait ended, or
 * the address's links were full (`link_full`: the request waits for the address's next link, see verification.ts).
 */
export const WITHHELD_REASONS = ['recipient_budget', 'domain_budget', 'hourly_budget', 'not_mailed_before', 'wait_over', 'link_full'] as const;
export type WithheldReason = (typeof WITHHELD_REASONS)[number];

/** The error `source.failed` records when a planned source gave no result by the answer (answer.ts). */
export const NO_RESULT_AFTER_RETRIES = 'no result after retries';

/** An event as the trail holds it: still a union by `type`, so a reader that checks the type reads its detail typed. */
export type RecordedAuditEvent = AuditEvent & {
  requestId: string;
  at: string;
};

/** The events of one type in a trail, each with the detail that type carries. */
export function eventsOfType<T extends AuditEvent['type']>(trail: RecordedAuditEvent[], type: T): Array<Extract<RecordedAuditEvent, { type: T }>> {
  return trail.filter((event): event is Extract<RecordedAuditEvent, { type: T }> => event.type === type);
}
