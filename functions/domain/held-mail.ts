import type { PassedFor } from './email/authentication.ts';
import type { SesVerdicts } from './email/types.ts';

/**
 * Why mail was held for the operator instead of making a request or joining one: no check (SPF, DKIM, DMARC) vouched
 * for the sender of what would make a request, or it came past the mail limits (limits.mailRequests…, or for a reply
 * limits.mailReplies…).
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

/**
 * A held reply: the request it names, and whether the checks vouched for it as that request's person's when it
 * arrived — what it joins the request as once admitted (the person's reply, or another sender's mail kept apart).
 */
export interface HeldReply {
  reference: string;
  fromThePerson: boolean;
}

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
  /** Present for a reply naming a request: admitted, it joins that request instead of making one. */
  reply?: HeldReply;
}

/**
 * What became of a held mail: an operator is admitting it (`admitting`, until the request is made or the reply joined —
 * an admission cut short is taken up again by the next), admitted it (`requestId`: the request it made or joined), or
 * dismissed it. Only a mail still held, or being admitted, is on the list.
 */
export type HeldMailResolution =
  | { kind: 'admitting'; by: string; at: string }
  | { kind: 'admitted'; by: string; at: string; requestId: string }
  | { kind: 'dismissed'; by: string; at: string };

/** Held mail an operator admitted: who vouched for it, when, and why intake had held it. */
export interface Admission {
  by: string;
  at: string;
  held: HeldReason;
}
