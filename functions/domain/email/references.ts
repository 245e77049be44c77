/** Crockford base32 without I, L, O, U. */
const SYMBOL = '[0-9A-HJKMNP-TV-Z]';
const REFERENCE = `DRB-${SYMBOL}{5}-${SYMBOL}{5}`;
/** A reference a person typed or kept in the subject; they may have changed its case. */
const REFERENCE_IN_TEXT = new RegExp(`(?<![0-9A-Z])${REFERENCE}(?![0-9A-Z])`, 'i');
/** Our Message-IDs start with the reference: `DRB-ABCDE-FGHJK.receipt.x7f3…`. */
const REFERENCE_AT_START = new RegExp(`^${REFERENCE}(?=[.@]|$)`, 'i');

export interface ReplyTraits {
  subject: string;
  inReplyTo?: string;
  references?: string;
}

/**
 * The request a message answers: In-Reply-To first, then the newest of References, then the
 * subject. Header IDs count only when their domain is ours, so a stranger's look-alike does not.
 */
export function findReference(mail: ReplyTraits, ownMessageIdDomain: string): string | undefined {
  const ownDomain = ownMessageIdDomain.toLowerCase();
  const ids = [...messageIds(mail.inReplyTo), ...messageIds(mail.references).reverse()];
  for (const id of ids) {
    const at = id.lastIndexOf('@');
    if (at < 0 || id.slice(at + 1).toLowerCase() !== ownDomain) continue;
    const reference = REFERENCE_AT_START.exec(id.slice(0, at))?.[0];
    if (reference) return reference.toUpperCase();
  }
  return REFERENCE_IN_TEXT.exec(mail.subject)?.[0].toUpperCase();
}

/** True when a Message-ID was minted by us (our own mail coming back). */
export function isOwnMessageId(messageId: string | undefined, ownMessageIdDomain: string): boolean {
  const id = messageIds(messageId)[0];
  return id !== undefined && id.toLowerCase().endsWith(`@${ownMessageIdDomain.toLowerCase()}`);
}

function messageIds(header: string | undefined): string[] {
  if (!header) return [];
  const bracketed = [...header.matchAll(/<([^<>]*)>/g)].map((match) => (match[1] ?? '').trim());
  return bracketed.length > 0 ? bracketed : header.split(/\s+/).filter(Boolean);
}
