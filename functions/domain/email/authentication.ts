import type { Header } from 'postal-mime';
import { headerValues } from './headers.ts';
import type { SesVerdicts, Verdict } from './types.ts';

/**
 * SES puts an Authentication-Results header at the top of every message it receives (in the stored mail and in the
 * event's headers): `amazonses.com; spf=pass (…) client-ip=…; envelope-from=x@domain; helo=…; dkim=pass
 * header.i=@domain; dmarc=none header.from=domain;`. The local front door writes it the same way (sesAuthenticationResults).
 */
const SES_AUTHSERV_ID = 'amazonses.com';

/** The domains SPF and DKIM passed for. */
export interface PassedFor {
  spf: string[];
  dkim: string[];
}

/** The domain of an address or identity (`x@Mail.Example.kz.` → `mail.example.kz`; `@example.kz` → `example.kz`). */
function domainOf(value: string): string {
  const unquoted = value.replace(/^"(.*)"$/, '$1');
  return unquoted.slice(unquoted.lastIndexOf('@') + 1).replace(/\.$/, '').toLowerCase();
}

/**
 * SPF passed for the envelope sender SES checked it on (the event's `mail.source`; none for a bounce, nor for a
 * tool's delivery: then SPF vouches for nothing). DKIM passed for the `header.d`/`header.i` of the segments of the
 * topmost Authentication-Results that each begin with `dkim=pass`, and only when SES wrote it: SES puts its own above
 * every header the sender wrote, and those could say anything (SES's name included). The header also carries what
 * the sender's session said (its HELO, its envelope sender), in whatever words it chose: nothing is read from it
 * across segments, and comments are not removed, so no text of the sender's becomes another property by losing what
 * stood between (`helo=mx(x)envelope-from=ceo@victim.kz`).
 */
export function passedFor(headers: readonly Header[], envelopeSender: string): PassedFor {
  const spf = envelopeSender ? [domainOf(envelopeSender)] : [];
  const [authservId, ...segments] = (headerValues(headers, 'authentication-results')[0] ?? '').split(';').map((segment) => segment.trim().split(/\s+/));
  if (authservId?.[0]?.toLowerCase() !== SES_AUTHSERV_ID) return { spf, dkim: [] };
  const dkim = segments
    .filter(([result]) => result?.toLowerCase() === 'dkim=pass')
    .flatMap((tokens) => tokens.filter((token) => /^header\.[di]=/i.test(token)).map((token) => domainOf(token.slice(token.indexOf('=') + 1))));
  return { spf, dkim };
}

/** A check's verdict, and the domain its result names, if any. */
export interface CheckResult {
  verdict: Verdict;
  domain?: string;
}

/** The word SES's header gives each verdict. */
const RESULT_WORD: Record<Verdict, string> = { PASS: 'pass', FAIL: 'fail', GRAY: 'none', PROCESSING_FAILED: 'temperror', DISABLED: 'none' };

/**
 * One token of the header: nothing that could end a property or the header (space, `;`, a comment's parenthesis,
 * a control character), whatever the sender's session said.
 */
const token = (value: string) => value.replace(/[^!-'*-:<-~]/g, '');

/** SES's Authentication-Results header, as SES writes it, for the local front door to put on the mail it stores. */
export function sesAuthenticationResults(spf: CheckResult & { clientIp: string; envelopeFrom: string; helo: string }, dkim: readonly CheckResult[], dmarc: CheckResult): string {
  const results = [
    `spf=${RESULT_WORD[spf.verdict]} client-ip=${token(spf.clientIp)}; envelope-from=${token(spf.envelopeFrom)}; helo=${token(spf.helo)};`,
    ...(dkim.length ? dkim.map((s) => `dkim=${RESULT_WORD[s.verdict]}${s.domain ? ` header.i=@${token(s.domain)}` : ''};`) : ['dkim=none;']),
    `dmarc=${RESULT_WORD[dmarc.verdict]}${dmarc.domain ? ` header.from=${token(dmarc.domain)}` : ''};`,
  ];
  return `Authentication-Results: ${SES_AUTHSERV_ID}; ${results.join('\r\n ')}\r\n`;
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
