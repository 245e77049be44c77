import type { PassedFor } from './email/authentication.ts';
import type { SesVerdicts } from './email/types.ts';

/**
 * Why mail that would make a request was held for the operator instead: no check (SPF, DKIM, DMARC) vouched for its
 * sender, or it came past the mail limits (limits.mailRequests…).
 */
export const HELD_REASONS = ['unauthenticated', 'rate_limited'] as const;
export type HeldReason = (typeof HELD_REASONS)[number];

/**
 * How long held mail stays on the operator's list: longer than every base term of the shipped rules for a request
 * (the longest, CCPA's 45 days and a KZ claim's 30 working days, about six weeks), so a genuine request the operator
 * finds late can still be admitted and answered within its term; and no longer, since what the list keeps is a
 * stranger's address, name and subject — often forged — about mail that made no request. The raw mail itself stays
 * in the mail bucket (3 years) and its record on its own trail; only the list's entry goes.
 */
export const HELD_MAIL_KEEP_DAYS = 60;

/** The first instant a mail still listed arrived at: an older one has expired, though its deletion (TTL) may lag. */
export const heldSince = (now: Date) => new Date(now.getTime() - HELD_MAIL_KEEP_DAYS * 86_400_000);

/** One held mail as the operator's list keeps it: what to judge it by, and where the raw mail is. */
export interface HeldMail {
  /** The SES message id: the mail's name in the mail bucket and on its own trail, and its id on the list. */
  sesMessageId: string;
  /** When intake held it: a request made of it counts its deadline from then. */
  arrivedAt: string;
  reason: HeldReason;
  /** The From address and name, as a request made of it would keep them. */
  sender: string;
  senderName?: string;
  subject: string;
  /** The mail server's checks: why no check vouched for the sender, where that is the reason. */
  verdicts: SesVerdicts;
  /**
   * The domains SPF and DKIM passed for (the envelope's, a signature's): a pass shown beside "no check vouched for
   * the sender" names the domain it was for. Absent on mail held before they were kept.
   */
  passedFor?: PassedFor;
  /** The raw message's size in bytes: the operator sees what the download is before asking for it. */
  size: number;
}

/**
 * What became of a held mail: an operator is making it a request (`admitting`, until the request is made — an
 * admission cut short is taken up again by the next), made it one, or dismissed it. Only a mail still held, or being
 * admitted, is on the list.
 */
export type HeldMailResolution =
  | { kind: 'admitting'; by: string; at: string }
  | { kind: 'admitted'; by: string; at: string; requestId: string }
  | { kind: 'dismissed'; by: string; at: string };

/** A request made of held mail: the operator who vouched for it, when, and why intake had held it. */
export interface Admission {
  by: string;
  at: string;
  held: HeldReason;
}
