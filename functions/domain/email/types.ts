import type { Language, RequestType } from '../request-types.ts';
import type { PassedFor } from './authentication.ts';

/** What SES reports for each receipt check. */
export type Verdict = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED';

export interface SesVerdicts {
  spam: Verdict;
  virus: Verdict;
  spf: Verdict;
  dkim: Verdict;
  dmarc: Verdict;
}

export type AuthCheck = 'spf' | 'dkim' | 'dmarc';

export interface IntakeContext {
  defaultLanguage: Language;
  /** Our own outgoing Message-IDs look like `<DRB-ABCDE-FGHJK.receipt.x7f3…@derbes.local>`; references are `DRB-` + 5 + `-` + 5 Crockford base32 chars. */
  ownMessageIdDomain: string;
  /** Mail from these is our own (loop guard). */
  supportAddresses: string[];
  /** From the operator profile, e.g. I-License's. */
  fixedSubjects: Array<{ subject: string; types: RequestType[] }>;
  maxMessageBytes: number;
  /** Per attachment; larger ones are listed but not kept. */
  maxAttachmentBytes: number;
}

export interface KeptAttachment {
  filename: string;
  contentType: string;
  size: number;
  /** Absent when the attachment is over the limit. */
  content?: Uint8Array;
}

export type DropReason = 'auto_reply' | 'bounce' | 'mailing_list' | 'no_reply' | 'virus' | 'own_message';
export type RejectReason = 'oversized' | 'malformed' | 'no_sender' | 'unmailable_sender';

/** A mail that asks for something new: a request of its own. */
export type RequestDecision = Extract<IntakeDecision, { kind: 'request' }>;

export type IntakeDecision =
  | {
      kind: 'request';
      types: RequestType[];
      triage: boolean;
      /** spam; unclear: no type recognised; particularData: an erasure naming particular data (erasesParticularData). */
      triageReason?: 'unclear' | 'spam' | 'particularData';
      language: Language;
      sender: string;
      senderName?: string;
      subject: string;
      text: string;
      messageId?: string;
      attachments: KeptAttachment[];
      authFailures: AuthCheck[];
      /** Whether a check vouches for the From address (vouchedFor): a pass for another domain does not. */
      vouched: boolean;
      /** The domains SPF and DKIM passed for: held mail names them, so a pass for another domain reads as such. */
      passedFor: PassedFor;
    }
  | {
      kind: 'reply';
      reference: string;
      sender: string;
      /** As a request's: the operator's list shows them for a held reply. */
      senderName?: string;
      subject: string;
      text: string;
      messageId?: string;
      attachments: KeptAttachment[];
      authFailures: AuthCheck[];
      /** As a request's: without it, the reply is not the person's, whatever its From says. */
      vouched: boolean;
      /** The domain SPF passed for, as for a request: a held reply names it. */
      passedFor: PassedFor;
    }
  | { kind: 'drop'; reason: DropReason; messageId?: string }
  | { kind: 'reject'; reason: RejectReason; detail: string; messageId?: string };
