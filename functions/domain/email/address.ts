import { domainToASCII } from 'node:url';

const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The comparable form of a mailbox: trimmed, lower case, the domain in its ASCII (punycode) form so
 * `Пример.Қаз` and `xn--e1afmkfd.xn--80ao21a` are one person. Undefined when it is not an address.
 */
export function normaliseAddress(address: string): string | undefined {
  const trimmed = address.trim().replace(/^<(.*)>$/s, '$1').normalize('NFC');
  const at = trimmed.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = trimmed.slice(0, at).toLowerCase();
  const domain = domainToASCII(trimmed.slice(at + 1).toLowerCase());
  const labels = domain.split('.');
  const valid =
    local.length <= 64 &&
    isLocalPart(local) &&
    labels.length >= 2 &&
    labels.every((label) => DOMAIN_LABEL.test(label)) &&
    !/^\d+$/.test(labels.at(-1) ?? '');
  const normalised = `${local}@${domain}`;
  return valid && normalised.length <= 254 ? normalised : undefined;
}

/** Printable ASCII: all SES carries before the @ (it refuses an address with other letters there). */
const ASCII_LOCAL_PART = /^[!-~]+$/;

/**
 * The one check of an address a person gives us, by the form or as the sender of a mail: its comparable form
 * (normaliseAddress: a domain such as `пример.kz` in its punycode form) when derbes can mail it, else undefined. A
 * local part in letters other than ASCII (`почта@…`) is an address SES cannot send to: a request from it could never
 * be receipted, confirmed or answered.
 */
export function mailableAddress(address: string): string | undefined {
  const normalised = normaliseAddress(address);
  return normalised !== undefined && ASCII_LOCAL_PART.test(localPart(normalised)) ? normalised : undefined;
}

/** A dot-atom local part (RFC 5322 §3.4.1), letters and digits of any script allowed (RFC 6532). */
export function isLocalPart(local: string): boolean {
  return LOCAL_PART.test(local);
}

/** The part before the last `@`, lower case; works on addresses too broken to normalise. */
export function localPart(address: string): string {
  const at = address.lastIndexOf('@');
  return (at < 0 ? address : address.slice(0, at)).trim().toLowerCase();
}

/** How a provider that delivers several spellings to one mailbox reads them: the domain it delivers to, the login. */
interface ProviderSpelling {
  domain: string;
  login: (local: string) => string;
}

/** Gmail ignores dots in a login, and takes googlemail.com for gmail.com. */
const GMAIL: ProviderSpelling = { domain: 'gmail.com', login: (local) => local.replaceAll('.', '') };
/** Yandex reads a dot and a hyphen in a login alike, and delivers every one of its domains to one mailbox. */
const YANDEX: ProviderSpelling = { domain: 'yandex.ru', login: (local) => local.replaceAll('.', '-') };

const PROVIDER_SPELLINGS: Record<string, ProviderSpelling> = {
  'gmail.com': GMAIL,
  'googlemail.com': GMAIL,
  ...Object.fromEntries(['yandex.ru', 'yandex.kz', 'yandex.com', 'yandex.by', 'yandex.ua', 'ya.ru', 'narod.ru'].map((domain) => [domain, YANDEX])),
};

/**
 * The mailbox an address is delivered to, where providers deliver several spellings to one: a sub-address
 * (`name+tag@domain`) to `name@domain`; at Gmail any placement of dots and googlemail.com alike; at Yandex a dot or a
 * hyphen and any of its domains (yandex.kz, ya.ru, …) alike. Mail to unconfirmed addresses is budgeted for these
 * spellings together as well, so that they do not multiply what one mailbox may be sent unasked. Takes a normalised
 * (lower-case) address.
 */
export function mailboxOf(address: string): string {
  const at = address.lastIndexOf('@');
  let local = address.slice(0, at);
  let domain = address.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  const provider = PROVIDER_SPELLINGS[domain];
  if (provider) {
    local = provider.login(local);
    domain = provider.domain;
  }
  return `${local}@${domain}`;
}
