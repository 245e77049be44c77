import type { Header } from 'postal-mime';
import { headerValues } from './headers.ts';
import type { SesVerdicts } from './types.ts';

/**
 * The receipt's verdicts say only whether SPF and DKIM passed, not for which domain: SES names the domains in the
 * Authentication-Results header it puts at the top of every message it receives (in the stored mail and in the
 * event's headers), as `amazonses.com; spf=pass (…) client-ip=…; envelope-from=x@domain; helo=…; dkim=pass
 * header.i=@domain; dmarc=none header.from=domain;`. The local front door writes the same header.
 */
const SES_AUTHSERV_ID = 'amazonses.com';

/** The domains SPF and DKIM passed for, as SES's header names them. */
export interface PassedFor {
  spf: string[];
  dkim: string[];
}

/** The domain of an address or identity (`x@Mail.Example.kz.` → `mail.example.kz`; `@example.kz` → `example.kz`). */
function domainOf(value: string): string {
  const unquoted = value.replace(/^"(.*)"$/, '$1');
  return unquoted.slice(unquoted.lastIndexOf('@') + 1).replace(/\.$/, '').toLowerCase();
}

/** A header value without its comments, nested ones too: "(spfCheck: domain of _spf.google.com designates …)". */
function withoutComments(value: string): string {
  let text = value;
  for (let before = ''; before !== text; ) [before, text] = [text, text.replace(/\([^()]*\)/g, ' ')];
  return text;
}

/**
 * Reads the topmost Authentication-Results header, and only as SES's: SES puts its own above every header the sender
 * wrote, and those could say anything (SES's name included).
 */
export function passedFor(headers: readonly Header[]): PassedFor {
  const passed: PassedFor = { spf: [], dkim: [] };
  const [top] = headerValues(headers, 'authentication-results');
  // A comment is prose, naming no result (that SPF comment names an included record's domain, not the checked one).
  const [authservId, ...segments] = withoutComments(top ?? '').split(';').map((segment) => segment.trim());
  if (authservId?.split(/\s+/)[0]?.toLowerCase() !== SES_AUTHSERV_ID) return passed;
  // SES puts an SPF result's properties in segments of their own (`spf=pass; client-ip=…; envelope-from=…;`): each
  // property belongs to the result before it.
  let current: { method: string; result: string } | undefined;
  for (const segment of segments) {
    for (const token of segment.split(/\s+/).filter(Boolean)) {
      const equals = token.indexOf('=');
      if (equals < 1) continue;
      const name = token.slice(0, equals).toLowerCase();
      const value = token.slice(equals + 1);
      if (name === 'spf' || name === 'dkim' || name === 'dmarc') current = { method: name, result: value.toLowerCase() };
      else if (current?.result === 'pass' && current.method === 'spf' && (name === 'envelope-from' || name === 'smtp.mailfrom')) passed.spf.push(domainOf(value));
      else if (current?.result === 'pass' && current.method === 'dkim' && (name === 'header.d' || name === 'header.i')) passed.dkim.push(domainOf(value));
    }
  }
  return passed;
}

/**
 * Whether a domain a check passed for speaks for the From's: the same domain, or one under the other (bounces at
 * `bounce.example.kz`, a signature of `example.kz` on `mail.example.kz`) — DMARC's relaxed alignment, without the
 * public suffix list: a parent is at least two labels (`kz` speaks for nobody), and sibling domains do not align.
 */
function aligned(passed: string, from: string): boolean {
  const [shorter, longer] = passed.length <= from.length ? [passed, from] : [from, passed];
  return shorter.includes('.') && (longer === shorter || longer.endsWith(`.${shorter}`));
}

/**
 * Whether a check vouches for the From address: DMARC passed (it checks alignment itself), or SPF or DKIM passed
 * for the From's domain — and DMARC does not disown it. A pass for any other domain proves only that someone owns
 * that domain: `MAIL FROM:<x@evil.example>` with `From: person@example.kz` passes SPF for evil.example. Mail no check
 * vouches for may come from anyone: a reply to it would go to a stranger whose address was forged, and its words
 * are not the person's.
 */
export function vouchedFor(verdicts: SesVerdicts, sender: string, passed: PassedFor): boolean {
  if (verdicts.dmarc === 'FAIL') return false;
  if (verdicts.dmarc === 'PASS') return true;
  const from = domainOf(sender);
  return (verdicts.spf === 'PASS' && passed.spf.some((domain) => aligned(domain, from))) || (verdicts.dkim === 'PASS' && passed.dkim.some((domain) => aligned(domain, from)));
}
