import PostalMime, { type Attachment, type Email } from 'postal-mime';
import { withoutDirectionControls } from '../shown-text.ts';
import { safeFilename } from '../filename.ts';
import { passedFor, vouchedFor } from './authentication.ts';
import { boundedForParsing, latin1, MAX_INLINE_MESSAGE_DEPTH, TooManyMimeParts, MalformedMime } from './bounded-mime.ts';
import { localPart, mailableAddress, normaliseAddress } from './address.ts';
import { recogniseAutomatedMail } from './automated-mail.ts';
import { classifyMailRequestTypes, erasesParticularData, fixedMailRequestTypes, fixedSubjectTypes } from './classify.ts';
import { headerValues, parseContentType } from './headers.ts';
import { detectLanguage } from './language.ts';
import { stripQuotedHistory, quoteMarkersOf } from './quoted-history.ts';
import { findReference, isOwnMessageId } from './references.ts';
import type { AuthCheck, IntakeContext, IntakeDecision, KeptAttachment, RequestDecision, SesVerdicts } from './types.ts';
import type { RequestType } from '../request-types.ts';
import { destroysData } from '../request-policy.ts';
import { onFirstUse } from '../on-first-use.ts';
import { vocabularies } from './vocabulary.ts';

const quoteMarkers = onFirstUse(() => quoteMarkersOf(vocabularies()));
const AUTH_CHECKS: readonly AuthCheck[] = ['spf', 'dkim', 'dmarc'];
/** Bounds classification work and the payload; the raw message stays in storage in full. */
const MAX_TEXT_CHARS = 100_000;
/** RFC 5322 line limit; longer subjects are noise. */
const MAX_SUBJECT_CHARS = 998;
const MAX_FILENAME_CHARS = 200;
/** The request keeps a name of at most this many characters (SUBMISSION_LIMITS.name): a longer one fails its write. */
const MAX_SENDER_NAME_CHARS = 200;
/** A message starts with a header field: printable ASCII name, then a colon. */
const HEADER_FIELD = /^[!-9;-~]+[ \t]*:/;

/**
 * Whether a message begins with a header field of its own. One that begins with a space or a tab continues the last
 * header written above it by whoever received it first (SES, the local front door): no header can begin that way.
 */
export function startsWithHeaderField(raw: Uint8Array): boolean {
  return HEADER_FIELD.test(firstLine(raw));
}

/**
 * Reads one received message and decides what it is: a new request, a reply to one of ours, mail
 * to drop silently, or mail to reject. Pure: bytes and verdicts in, decision out. Never throws:
 * whatever the bytes, the caller gets a decision it can record. `envelopeSender`: the address SES checked SPF on
 * (the event's `mail.source`); none, and SPF vouches for nothing.
 */
export async function decideIntake(raw: Uint8Array, verdicts: SesVerdicts, ctx: IntakeContext, envelopeSender = ''): Promise<IntakeDecision> {
  try {
    return await decide(raw, verdicts, ctx, envelopeSender);
  } catch {
    return { kind: 'reject', reason: 'malformed', detail: 'the message could not be read' };
  }
}

async function decide(raw: Uint8Array, verdicts: SesVerdicts, ctx: IntakeContext, envelopeSender: string): Promise<IntakeDecision> {
  // Checked before parsing: nothing of an infected message is read.
  if (verdicts.virus === 'FAIL') return { kind: 'drop', reason: 'virus' };
  if (raw.byteLength > ctx.maxMessageBytes) {
    return {
      kind: 'reject',
      reason: 'oversized',
      detail: `the message has ${raw.byteLength} bytes; the limit is ${ctx.maxMessageBytes}`,
    };
  }
  const email = await parse(raw);
  if (typeof email === 'string') return { kind: 'reject', reason: 'malformed', detail: email };

  // A header line holds at most 998 characters (RFC 5322); anything longer is no Message-ID we can key on or keep.
  const messageId = validMessageId(email.messageId);
  const withId = messageId ? { messageId } : {};
  // An address group has no single author; it counts as no sender.
  const from = email.from?.address !== undefined ? email.from : undefined;
  const sender = from ? normaliseAddress(from.address) : undefined;

  if (
    (sender !== undefined && ctx.supportAddresses.some((address) => normaliseAddress(address) === sender)) ||
    isOwnMessageId(messageId, ctx.ownMessageIdDomain)
  ) {
    return { kind: 'drop', reason: 'own_message', ...withId };
  }
  const contentType = parseContentType(headerValues(email.headers, 'content-type')[0] ?? 'text/plain');
  const automated = recogniseAutomatedMail({
    headers: email.headers,
    contentType,
    senderLocalPart: from?.address ? localPart(from.address) : undefined,
  });
  if (automated) return { kind: 'drop', reason: automated, ...withId };
  if (!sender) {
    return {
      kind: 'reject',
      reason: 'no_sender',
      detail: email.from ? 'the From address cannot be read' : 'the message has no From address',
      ...withId,
    };
  }

  const subject = cut(singleLine(email.subject ?? ''), MAX_SUBJECT_CHARS);
  const text = cut(stripQuotedHistory(await bodyText(email), quoteMarkers()), MAX_TEXT_CHARS);
  const attachments = email.attachments.map((attachment, index) => keep(attachment, index, ctx.maxAttachmentBytes));
  const authFailures = AUTH_CHECKS.filter((check) => verdicts[check] === 'FAIL');
  const passed = passedFor(verdicts, envelopeSender);
  const vouched = vouchedFor(verdicts, email.headers, sender, envelopeSender);

  const reference = findReference(
    { subject, inReplyTo: email.inReplyTo, references: email.references },
    ctx.ownMessageIdDomain,
  );
  const senderName = from ? cut(singleLine(from.name), MAX_SENDER_NAME_CHARS) : undefined;
  const named = senderName && senderName.toLowerCase() !== sender ? { senderName } : {};
  const asked = (types: RequestType[], triageReason: RequestDecision['triageReason']): RequestDecision => ({
    kind: 'request',
    types,
    triage: triageReason !== undefined,
    ...(triageReason ? { triageReason } : {}),
    language: detectLanguage(`${subject}\n${text}`, ctx.defaultLanguage),
    sender,
    ...named,
    subject,
    text,
    ...withId,
    attachments,
    authFailures,
    vouched,
    passedFor: passed,
  });
  if (reference) return { kind: 'reply', reference, sender, ...named, subject, text, ...withId, attachments, authFailures, vouched, passedFor: passed };
  // A request from an address no mail can reach could be neither receipted nor answered: refused here, where the
  // web form refuses it too, instead of starting a workflow that fails at its first mail.
  if (!mailableAddress(sender)) {
    return { kind: 'reject', reason: 'unmailable_sender', detail: 'the From address has letters outside ASCII before the @, which no mail can be sent to', ...withId };
  }

  const fixedTypes = fixedSubjectTypes(subject, ctx.fixedSubjects);
  // A fixed subject names the request, the body may ask for more and says how far a withdrawal reaches.
  const types = fixedTypes.length > 0 ? fixedMailRequestTypes(fixedTypes, text, vocabularies()) : classifyMailRequestTypes(subject, text, vocabularies());
  const spam = verdicts.spam === 'FAIL';
  const particular = destroysData(types) && erasesParticularData(`${subject}\n${text}`, vocabularies());
  return asked(types, spam ? 'spam' : types.length === 0 ? 'unclear' : particular ? 'particularData' : undefined);
}

/** The parsed message, or why it is not a message (never quoting its content). */
async function parse(raw: Uint8Array): Promise<Email | string> {
  if (!startsWithHeaderField(raw)) return 'the message does not start with a header';
  let email: Email;
  try {
    // Forwarded messages stay attachments: their wording is not the sender's request. The parser gets the message
    // bounded (text cut, long line-by-line attachments as base64), so its time and memory are bounded for any mail.
    email = await PostalMime.parse(boundedForParsing(raw), { rfc822Attachments: true, maxRfc822NestingDepth: MAX_INLINE_MESSAGE_DEPTH });
  } catch (error) {
    if (error instanceof TooManyMimeParts || error instanceof MalformedMime) return error.message;
    const message = error instanceof Error ? error.message : '';
    if (/header size/i.test(message)) return 'the headers are too large';
    return 'the MIME structure cannot be parsed';
  }
  return email;
}

function firstLine(raw: Uint8Array): string {
  const head = raw.subarray(0, 1000);
  const newline = head.indexOf(0x0a);
  return latin1(newline < 0 ? head : head.subarray(0, newline));
}

/** Header text as one line: no control characters nor ones that turn the text around, single spaces. */
function singleLine(value: string): string {
  return withoutDirectionControls(value).replace(/[\s\p{Cc}]+/gu, ' ').trim();
}

/** The message's text; an HTML-only one's read as text by a module loaded for such mail alone. */
async function bodyText(email: Email): Promise<string> {
  if (email.text?.trim()) return email.text;
  return email.html ? (await import('./html-text.ts')).htmlToText(email.html) : '';
}

function keep(attachment: Attachment, index: number, maxBytes: number): KeptAttachment {
  const content =
    typeof attachment.content === 'string'
      ? new TextEncoder().encode(attachment.content)
      : attachment.content instanceof Uint8Array
        ? attachment.content
        : new Uint8Array(attachment.content);
  return {
    filename: safeFilename(attachment.filename, MAX_FILENAME_CHARS, `attachment-${index + 1}`),
    contentType: attachment.mimeType,
    size: content.byteLength,
    ...(content.byteLength <= maxBytes ? { content } : {}),
  };
}

/**
 * At most `max` characters, cut between characters, never inside one: half an emoji (a lone surrogate) is not text,
 * and a store may change it, so the audit event holding it would no longer match its hash. One already lone in the
 * input becomes U+FFFD.
 */
function cut(text: string, max: number): string {
  return Array.from(text.replace(/\p{Cs}/gu, '\uFFFD')).slice(0, max).join('');
}

const MAX_HEADER_LINE = 998;
function validMessageId(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && trimmed.length <= MAX_HEADER_LINE ? trimmed : undefined;
}
