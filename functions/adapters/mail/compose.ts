import { domainToASCII } from 'node:url';
import { isLocalPart } from '../../domain/email/address.ts';
import { MailRejected, ValidationError } from '../../domain/errors.ts';
import type { OutgoingMail } from '../../use-cases/ports.ts';

/** Who derbes' mail comes from: the support address, with the company's name for people to see. */
export interface MailSender {
  address: string;
  name: string;
}

/**
 * Builds the MIME message once, whatever carries it (SES, an SMTP relay, the local outbox): one text/plain part in
 * UTF-8, quoted-printable (RFC 2045), non-ASCII header text in encoded words (RFC 2047), every line within 78
 * characters. Every mail derbes sends has this one shape, so it is composed here rather than by nodemailer's
 * MailComposer, whose loading alone cost a mailing function 25–40 ms of CPU on its first mail (bench:cold-start).
 * Auto-Submitted tells other robots not to answer us (RFC 3834), which breaks mail loops at their end too.
 */
export function composeMessage(mail: OutgoingMail, from: MailSender, date = new Date()): Buffer {
  const threadedUnder = mail.inReplyTo ? firstMessageId(mail.inReplyTo) : undefined;
  // The thread, its first mail first, ending with the one this answers (RFC 5322 §3.6.4).
  const references = threadedUnder ? [...new Set([...(mail.references ?? []).flatMap((id) => firstMessageId(id) ?? []), threadedUnder])] : [];
  const headers = [
    header('From', `${phrase(mail.fromName ?? from.name, 'From')} <${address(from.address, 'from')}>`),
    header('To', address(mail.to, 'to')),
    header('Subject', unstructured(mail.subject, 'Subject')),
    header('Date', rfc5322Date(date)),
    header('Message-ID', ownMessageId(mail.messageId)),
    ...(threadedUnder ? [header('In-Reply-To', threadedUnder), header('References', references.join(' '))] : []),
    header('Auto-Submitted', 'auto-replied'),
    header('X-Auto-Response-Suppress', 'All'),
    header('MIME-Version', '1.0'),
    header('Content-Type', 'text/plain; charset=utf-8'),
    header('Content-Transfer-Encoding', 'quoted-printable'),
  ];
  return Buffer.from(`${headers.join(CRLF)}${CRLF}${CRLF}${quotedPrintable(mail.text)}`, 'utf8');
}

const CRLF = '\r\n';
/** RFC 5322's recommended line length, and quoted-printable's limit for an encoded line (RFC 2045 §6.7). */
const HEADER_LINE = 78;
const BODY_LINE = 76;
/** An encoded word is at most 75 characters (RFC 2047 §2): `=?UTF-8?B?` and `?=` leave 63 for base64, 45 bytes of text; 39 keeps the first line, after its header's name, within 78. */
const ENCODED_WORD_BYTES = 39;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** RFC 5322's atext, as a character class's contents. */
const ATEXT = "A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~";
/** Words of atext separated by single spaces: a display name that needs no quoting. */
const ATOMS = new RegExp(`^[${ATEXT}]+(?: [${ATEXT}]+)*$`);
/** A Message-ID, at most 998 characters with its header's name, as RFC 5322 allows a line. */
const MESSAGE_ID = /<[\x21-\x3b\x3d\x3f-\x7e]{1,900}>/;
const OWN_MESSAGE_ID = new RegExp(`^${MESSAGE_ID.source}$`);

/** `Name: value`, folded at its spaces (RFC 5322 §2.2.3) where one line would be longer than 78 characters. */
function header(name: string, value: string): string {
  let folded = `${name}:`;
  let line = folded;
  let lineHasWord = false;
  for (const word of value.split(' ')) {
    if (lineHasWord && line.length + 1 + word.length > HEADER_LINE) {
      folded += CRLF;
      line = '';
    }
    folded += ` ${word}`;
    line += ` ${word}`;
    lineHasWord = true;
  }
  return folded;
}

/** Control characters (a line break echoed from someone's subject among them) read as one space, as a header cannot hold them. */
function withoutControls(text: string): string {
  return text.replace(/[\x00-\x1f\x7f\u2028\u2029]+/g, ' ');
}

/** Text as it is when it is printable ASCII whose words each fit a line and that looks like no encoded word; else encoded. */
function asPlainAscii(text: string, name: string): boolean {
  return PRINTABLE_ASCII.test(text) && !text.includes('=?') && text.split(' ').every((word) => name.length + 2 + word.length <= HEADER_LINE);
}

/** Text for Subject. */
function unstructured(text: string, name: string): string {
  const clean = withoutControls(text);
  return asPlainAscii(clean, name) ? clean : encodedWords(clean);
}

/** A display name: bare atoms, a quoted string, or encoded words (which may not sit inside quotes). */
function phrase(text: string, name: string): string {
  const clean = withoutControls(text);
  if (!asPlainAscii(clean, name)) return encodedWords(clean);
  return ATOMS.test(clean) ? clean : `"${clean.replace(/(["\\])/g, '\\$1')}"`;
}

/** Base64 encoded words of whole characters (a word may not split one, RFC 2047 §5), separated by spaces. */
function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const character of text) {
    if (Buffer.byteLength(chunk + character) > ENCODED_WORD_BYTES) {
      words.push(chunk);
      chunk = '';
    }
    chunk += character;
  }
  words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word).toString('base64')}?=`).join(' ');
}

/**
 * An address as the header carries it: a dot-atom local part (RFC 5322 §3.4.1; no comment, group or quoted form a
 * reader could take for another recipient) and its domain in ASCII (IDNA). A local part in other letters is
 * refused as SES refuses it: SES carries only 7-bit ASCII before the @.
 */
function address(value: string, field: string): string {
  const at = value.lastIndexOf('@');
  const local = value.slice(0, Math.max(at, 0));
  const domain = at > 0 ? domainToASCII(value.slice(at + 1)) : '';
  if (!domain || !isLocalPart(local)) throw new ValidationError([{ field, message: 'is not an address a mail can be sent to' }], 'mail');
  if (!PRINTABLE_ASCII.test(local)) throw new MailRejected(`the ${field} address has letters outside ASCII before the @, which SES cannot carry`);
  return `${local}@${domain}`;
}
function ownMessageId(value: string): string {
  if (!OWN_MESSAGE_ID.test(value)) throw new ValidationError([{ field: 'messageId', message: 'is not a Message-ID (<id@domain>)' }], 'mail');
  return value;
}

/** The first Message-ID in a header from someone's mail; none when it holds none, and a mail that names none is not threaded. */
function firstMessageId(value: string): string | undefined {
  return MESSAGE_ID.exec(value)?.[0];
}

/** `Tue, 01 Dec 2026 01:45:51 +0000` (RFC 5322 §3.3; `GMT` is its obsolete form). */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** Each byte as quoted-printable writes it when it is not left as it is. */
const ESCAPED = Array.from({ length: 256 }, (_, byte) => `=${byte.toString(16).toUpperCase().padStart(2, '0')}`);
const LINE_FEED = 0x0a;

/**
 * RFC 2045 §6.7: hard line breaks as CRLF; a line longer than 76 characters ends in soft breaks (`=`), each between
 * two characters, never inside one (a reader that decodes line by line would otherwise show a broken letter).
 */
function quotedPrintable(text: string): string {
  const bytes = Buffer.from(text.replace(/\r\n?/g, '\n'), 'utf8');
  let out = '';
  let lineLength = 0;
  let character = '';
  const flush = () => {
    if (lineLength + character.length > BODY_LINE - 1) {
      out += `=${CRLF}`;
      lineLength = 0;
    }
    out += character;
    lineLength += character.length;
    character = '';
  };
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    // A UTF-8 continuation byte (10xxxxxx) belongs to the character before it.
    if ((byte & 0xc0) !== 0x80) flush();
    if (byte === LINE_FEED) {
      out += CRLF;
      lineLength = 0;
      continue;
    }
    // Spaces and tabs stay as they are, except at the end of a line, where transports may strip them.
    const endsLine = i + 1 === bytes.length || bytes[i + 1] === LINE_FEED;
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !endsLine);
    character += literal ? String.fromCharCode(byte) : ESCAPED[byte]!;
  }
  flush();
  return out;
}
