import { domainToASCII } from 'node:url';
import { addressParser, type Header } from 'postal-mime';
import { headerValues } from './headers.ts';
import type { SesVerdicts } from './types.ts';

/** The domain of an address (`x@Mail.Example.kz.` → `mail.example.kz`), in its ASCII form as normaliseAddress gives it. */
function domainOf(address: string): string {
  return domainToASCII(address.slice(address.lastIndexOf('@') + 1).replace(/\.$/, '').toLowerCase());
}

/** The domains the receipt's checks passed for, as held mail names them: SPF's is the envelope sender's domain. */
export interface PassedFor {
  spf: string[];
  /** Always empty: the receipt says a signature passed, never whose, and no header may be read for it (vouchedFor). */
  dkim: string[];
}

/** What held mail may say a check passed for: SPF for the envelope sender SES checked (`mail.source`), if SPF passed. */
export function passedFor(verdicts: SesVerdicts, envelopeSender: string): PassedFor {
  return { spf: verdicts.spf === 'PASS' && envelopeSender.includes('@') ? [domainOf(envelopeSender)] : [], dkim: [] };
}

/**
 * Whether a domain SPF passed for speaks for the From's: the same domain, or one under the other (bounces at
 * `bounce.example.kz`, mail from `mail.example.kz` sent by `example.kz`'s servers) — DMARC's relaxed alignment, without
 * the public suffix list: a parent is at least two labels (`kz` speaks for nobody), and sibling domains do not align.
 */
function aligned(passed: string, from: string): boolean {
  const [shorter, longer] = passed.length <= from.length ? [passed, from] : [from, passed];
  return shorter.includes('.') && (longer === shorter || longer.endsWith(`.${shorter}`));
}

/** What may follow an `@` in a header as a domain: anything up to what ends an address or a word. */
const NAMED_DOMAIN = /@([^\s<>()[\]"',;:\\@]+)/g;

/**
 * Whether a From header names no other domain than its address's, anywhere (`"boss@evil.example" <me@example.kz>`
 * does). SES judges DMARC for the From it reads, intake acts on the one postal-mime reads; where the header could be
 * read as another domain's, the pass may be that domain's.
 */
function namesOnly(value: string, domain: string): boolean {
  return Array.from(value.matchAll(NAMED_DOMAIN), ([, named]) => domainOf(`@${named}`)).every((named) => named === domain);
}

/**
 * Whether SES's receipt vouches for the From address (`sender`, as intake read it from `headers`): DMARC passed —
 * SES checked it for the From's domain, with SPF or a signature aligned to it — or SPF passed for the envelope sender
 * SES checked it on (the event's `mail.source`; none for a bounce, nor for a tool's delivery) and that sender's domain
 * is the From's, its parent or a subdomain; and DMARC does not disown it. Only the event's own fields count: the
 * headers SES writes on the mail (its Authentication-Results among them) repeat the sender's session in the sender's
 * words, and the sender's first line may continue the header above it, so no header says what a check passed for. A
 * signature alone vouches for nothing: the event says one passed, never whose, and `MAIL FROM:<x@evil.example>` with
 * `From: person@example.kz` passes SPF for evil.example. Mail nothing vouches for may come from anyone: a reply to it
 * would go to a stranger whose address was forged, and its words are not the person's.
 */
export function vouchedFor(verdicts: SesVerdicts, headers: readonly Header[], sender: string, envelopeSender: string): boolean {
  const from = headerValues(headers, 'from');
  // RFC 5322 allows one From header: of two, or of two addresses in one, SES may have judged one and intake read
  // another (postal-mime takes the first).
  if (verdicts.dmarc === 'FAIL' || from.length !== 1 || addressParser(from[0]!).length !== 1) return false;
  const domain = domainOf(sender);
  if (verdicts.dmarc === 'PASS' && namesOnly(from[0]!, domain)) return true;
  return verdicts.spf === 'PASS' && envelopeSender.includes('@') && aligned(domainOf(envelopeSender), domain);
}
