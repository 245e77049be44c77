import type { Header } from 'postal-mime';
import { headerValues, type ContentType } from './headers.ts';

export type AutomatedMailReason = 'auto_reply' | 'bounce' | 'mailing_list' | 'no_reply';

export interface MailTraits {
  headers: readonly Header[];
  contentType: ContentType;
  /** Lower-case local part of From, when there is one. */
  senderLocalPart?: string;
}

const BOUNCE_SENDERS = new Set(['mailer-daemon', 'postmaster']);
const NO_REPLY_SENDER = /^(?:no|do[-_.]?not)[-_.]?reply/;
/** X-Auto-Response-Suppress values Exchange sets on its own automatic mail. */
const SUPPRESSED_AUTO_RESPONSES = new Set(['all', 'autoreply', 'oof']);

/**
 * Answering automatic mail starts loops, so it is recognised and dropped. Rules run in order:
 * a delivery report often also says Auto-Submitted, and is a bounce first.
 */
const RULES: ReadonlyArray<{ reason: AutomatedMailReason; applies: (mail: MailTraits) => boolean }> = [
  {
    reason: 'bounce',
    applies: ({ contentType, senderLocalPart }) =>
      (contentType.mediaType === 'multipart/report' &&
        contentType.parameters.get('report-type')?.toLowerCase() === 'delivery-status') ||
      BOUNCE_SENDERS.has(senderLocalPart ?? ''),
  },
  {
    reason: 'auto_reply',
    applies: ({ headers, contentType }) =>
      // Any other report is machine-made too: read receipts, abuse feedback.
      contentType.mediaType === 'multipart/report' ||
      headerValues(headers, 'auto-submitted').some((value) => firstToken(value) !== 'no') ||
      precedence(headers).includes('auto_reply') ||
      headerValues(headers, 'x-autoreply').length > 0 ||
      headerValues(headers, 'x-autorespond').length > 0 ||
      headerValues(headers, 'x-auto-response-suppress').some((value) =>
        value.split(/[\s,]+/).some((token) => SUPPRESSED_AUTO_RESPONSES.has(token.toLowerCase())),
      ),
  },
  {
    // The null reverse-path is reserved for delivery notifications (RFC 5321 §4.5.5).
    reason: 'bounce',
    applies: ({ headers }) => headerValues(headers, 'return-path').some((value) => /^<\s*>$|^$/.test(value)),
  },
  {
    reason: 'mailing_list',
    applies: ({ headers }) =>
      headerValues(headers, 'list-id').length > 0 ||
      headerValues(headers, 'list-unsubscribe').length > 0 ||
      precedence(headers).some((value) => value === 'bulk' || value === 'junk' || value === 'list'),
  },
  {
    reason: 'no_reply',
    applies: ({ senderLocalPart }) => NO_REPLY_SENDER.test(senderLocalPart ?? ''),
  },
];

/** Why this message must not be answered, or undefined when a person wrote it. */
export function recogniseAutomatedMail(mail: MailTraits): AutomatedMailReason | undefined {
  return RULES.find((rule) => rule.applies(mail))?.reason;
}

function precedence(headers: readonly Header[]): string[] {
  return headerValues(headers, 'precedence').map(firstToken);
}

function firstToken(value: string): string {
  return (value.split(/[\s;(]/)[0] ?? '').toLowerCase();
}
