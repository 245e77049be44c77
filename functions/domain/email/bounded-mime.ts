import { readPartHeader } from './headers.ts';

/**
 * What of a message's inline text (text/plain and text/html parts not marked as attachments) intake parses, all parts
 * together: the parser's work grows with the lines of a part's body faster than with its bytes (a 2.4 MB mail of
 * 600,000 two-character lines took 15 s and 1.4 GB), and classification reads 100,000 characters of text at most.
 */
export const MAX_TEXT_LINES = 10_000;
export const MAX_TEXT_BYTES = 1024 * 1024;
/** An attachment sent line by line (not base64) with more lines than this is handed to the parser as base64. */
export const MAX_PLAIN_ATTACHMENT_LINES = 10_000;
/** More parts than any mail a person writes; the parser's work grows with them too. */
export const MAX_MIME_PARTS = 1_000;
/**
 * Inline messages nested deeper than MAX_INLINE_MESSAGE_DEPTH the parser keeps as attachments, unread (intake sets
 * the parser's limit). A multipart nested deeper than MAX_MIME_DEPTH, in multiparts and inline messages together, is
 * refused before the parser, whose own limit lies deeper, sees it. The walker
 * searches each multipart's body for its delimiters, so its work grows with that depth times the bytes (20 levels in
 * 36 MB: 5 s).
 */
export const MAX_MIME_DEPTH = 20;
export const MAX_INLINE_MESSAGE_DEPTH = 10;

/** A message with more MIME parts than intake reads (MAX_MIME_PARTS). */
export class TooManyMimeParts extends Error {
  override readonly name = 'TooManyMimeParts';
}

/**
 * A message the parser would read unbounded or not at all: a multipart message with no boundary or one that never
 * occurs (read as one part, whatever its size), multiparts nested deeper than MAX_MIME_DEPTH.
 */
export class MalformedMime extends Error {
  override readonly name = 'MalformedMime';
}

/** How deep a part lies: in multiparts and inline messages together, and in inline messages alone. */
interface Depth {
  levels: number;
  messages: number;
}

interface Budget {
  lines: number;
  bytes: number;
  parts: number;
}

/**
 * The message as intake hands it to the MIME parser, so that the parser's time and memory are bounded for any mail SES
 * accepts (40 MB): the inline text parts cut, together, to MAX_TEXT_LINES lines and MAX_TEXT_BYTES bytes (at a line
 * end); an attachment sent as lines (7bit, 8bit, binary, quoted-printable) with more than MAX_PLAIN_ATTACHMENT_LINES
 * lines re-encoded as base64, which the parser decodes in bulk — the same bytes, so an attachment is kept whole.
 * Everything else is passed as it came. One pass over the bytes; the raw message stays stored as received.
 * Headers are read as the parser reads them (see readPartHeader), inline messages walked as the parser reads them.
 * Throws TooManyMimeParts past MAX_MIME_PARTS parts, MalformedMime.
 */
export function boundedForParsing(raw: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [];
  walkPart(raw, latin1(raw), 0, raw.length, { levels: 0, messages: 0 }, 'text/plain', { lines: MAX_TEXT_LINES, bytes: MAX_TEXT_BYTES, parts: MAX_MIME_PARTS }, out);
  // Nothing cut and nothing re-encoded: the message itself, not a copy.
  if (out.every((chunk) => chunk.buffer === raw.buffer) && out.reduce((sum, chunk) => sum + chunk.length, 0) === raw.length) return raw;
  return joined(out);
}

function joined(out: Uint8Array[]): Uint8Array {
  const bounded = new Uint8Array(out.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of out) {
    bounded.set(chunk, at);
    at += chunk.length;
  }
  return bounded;
}

/**
 * Where a part's header block ends (after its empty line), or -1 when it has none within the part. Line by line, so
 * the search never runs past the part (a search for "\n\n" in a CRLF message would run to its end for every part).
 * A line of carriage returns alone is empty, as the parser strips them from a line's end.
 */
function bodyStartOf(text: string, start: number, end: number): number {
  for (let at = start; at < end; ) {
    const newline = text.indexOf('\n', at);
    if (newline < 0 || newline >= end) return -1;
    let content = newline;
    while (content > at && text.charCodeAt(content - 1) === 0x0d) content--;
    if (content === at) return newline + 1;
    at = newline + 1;
  }
  return -1;
}

/** A part's header lines as the parser hands them on: UTF-8, without line ends, without the empty line. */
function headerLinesOf(raw: Uint8Array, start: number, bodyStart: number): string[] {
  return new TextDecoder().decode(raw.subarray(start, bodyStart)).split(/\r*\n/).filter(Boolean);
}

function walkPart(raw: Uint8Array, text: string, start: number, end: number, depth: Depth, defaultType: string, budget: Budget, out: Uint8Array[]): void {
  const bodyStart = bodyStartOf(text, start, end);
  if (bodyStart < 0) {
    out.push(raw.subarray(start, end));
    return;
  }
  const { contentType, disposition, transferEncoding } = readPartHeader(headerLinesOf(raw, start, bodyStart), defaultType);
  const boundary = contentType.parameters.get('boundary');
  const multipart = contentType.mediaType.startsWith('multipart/');
  if (multipart && !boundary && depth.levels === 0) throw new MalformedMime('a multipart message without a boundary');
  if (multipart && boundary && depth.levels >= MAX_MIME_DEPTH) throw new MalformedMime('MIME parts are nested too deeply');
  if (multipart && boundary) {
    out.push(raw.subarray(start, bodyStart));
    // The parser matches the boundary's UTF-8 bytes; the text here has one character per byte.
    const delimiter = `--${latin1(new TextEncoder().encode(boundary))}`;
    walkMultipart(raw, text, bodyStart, end, delimiter, contentType.mediaType === 'multipart/digest' ? 'message/rfc822' : 'text/plain', depth, budget, out);
  } else if (contentType.mediaType === 'message/rfc822' && disposition === 'inline' && depth.messages < MAX_INLINE_MESSAGE_DEPTH) {
    // The parser reads an inline message as a message of its own, its text joined to this one's.
    const message = decoded(raw.subarray(bodyStart, end), transferEncoding);
    const walked: Uint8Array[] = [];
    walkPart(message, latin1(message), 0, message.length, { levels: depth.levels + 1, messages: depth.messages + 1 }, 'text/plain', budget, walked);
    out.push(withBase64Encoding(text.slice(start, bodyStart)), base64Lines(joined(walked)));
  } else if ((contentType.mediaType === 'text/plain' || contentType.mediaType === 'text/html') && disposition !== 'attachment') {
    out.push(raw.subarray(start, bodyStart), raw.subarray(bodyStart, cutText(text, bodyStart, end, budget)));
  } else if (!/base64/.test(transferEncoding) && countLines(text, bodyStart, end, MAX_PLAIN_ATTACHMENT_LINES) > MAX_PLAIN_ATTACHMENT_LINES) {
    out.push(withBase64Encoding(text.slice(start, bodyStart)), base64Lines(decoded(raw.subarray(bodyStart, end), transferEncoding)));
  } else {
    out.push(raw.subarray(start, end));
  }
}

/**
 * Where the next delimiter line at or after the line starting at `from` starts, or -1. A delimiter line as the parser
 * tells one: the delimiter, `--` or not, then only spaces and tabs; "--ZZtop" is a line of content.
 */
function nextDelimiter(text: string, from: number, end: number, delimiter: string): number {
  const following = (at: number) => {
    const found = text.indexOf(`\n${delimiter}`, at);
    return found < 0 || found >= end ? -1 : found + 1;
  };
  let line = text.startsWith(delimiter, from) ? from : following(from);
  while (line >= 0 && !endsDelimiterLine(text, line + delimiter.length)) line = following(line);
  return line;
}

function endsDelimiterLine(text: string, at: number): boolean {
  DELIMITER_END.lastIndex = at;
  return DELIMITER_END.test(text);
}
const DELIMITER_END = /(--)?[ \t]*\r*(\n|$)/y;

/**
 * A multipart body: preamble, then each part between delimiter lines walked as a part of its own, then the epilogue.
 * A message whose delimiter never occurs would be read by the parser as one part, whatever its size, so it is refused.
 */
function walkMultipart(raw: Uint8Array, text: string, bodyStart: number, end: number, delimiter: string, defaultType: string, depth: Depth, budget: Budget, out: Uint8Array[]): void {
  let line = nextDelimiter(text, bodyStart, end, delimiter);
  if (line < 0 && depth.levels === 0) throw new MalformedMime('the multipart boundary never occurs in the body');
  out.push(raw.subarray(bodyStart, line < 0 ? end : line));
  while (line >= 0) {
    const lineEnd = text.indexOf('\n', line);
    if (lineEnd < 0 || lineEnd >= end || text.startsWith(`${delimiter}--`, line)) {
      out.push(raw.subarray(line, end));
      return;
    }
    out.push(raw.subarray(line, lineEnd + 1));
    if (--budget.parts < 0) throw new TooManyMimeParts(`more than ${MAX_MIME_PARTS} MIME parts`);
    const following = nextDelimiter(text, lineEnd + 1, end, delimiter);
    const partEnd = following < 0 ? end : following;
    // The line break before a delimiter belongs to the delimiter (RFC 2046), not to the part's content.
    const lineBreak = following < 0 ? 0 : text.startsWith('\r\n', partEnd - 2) && partEnd - 2 > lineEnd ? 2 : text.startsWith('\n', partEnd - 1) && partEnd - 1 > lineEnd ? 1 : 0;
    walkPart(raw, text, lineEnd + 1, partEnd - lineBreak, { ...depth, levels: depth.levels + 1 }, defaultType, budget, out);
    out.push(raw.subarray(partEnd - lineBreak, partEnd));
    line = following;
  }
}

/**
 * Where an inline text part's body is cut: after the last whole line the budget still holds (its end if all fit). A
 * line longer than the bytes left is cut at a multiple of four bytes, so base64 stays whole quanta.
 */
function cutText(text: string, bodyStart: number, end: number, budget: Budget): number {
  let at = bodyStart;
  while (at < end && budget.lines > 0 && budget.bytes > 0) {
    const newline = text.indexOf('\n', at);
    const lineEnd = newline < 0 || newline >= end ? end : newline + 1;
    if (lineEnd - at > budget.bytes) {
      at += budget.bytes - (budget.bytes % 4);
      budget.bytes = 0;
      break;
    }
    budget.bytes -= lineEnd - at;
    budget.lines--;
    at = lineEnd;
  }
  return at;
}

/** The lines of [start, end), counted up to `limit + 1` only. */
function countLines(text: string, start: number, end: number, limit: number): number {
  let lines = 0;
  for (let at = text.indexOf('\n', start); at >= 0 && at < end && lines <= limit; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

/** The part's header with its Content-Transfer-Encoding said to be base64 (any it had dropped, folded lines with it). */
function withBase64Encoding(header: string): Uint8Array {
  const fields = header
    .replace(/\r?\n?\r?\n$/, '')
    .split(/\r?\n(?![ \t])/)
    .filter((field) => field && !/^content-transfer-encoding\s*:/i.test(field));
  return new TextEncoder().encode([...fields, 'Content-Transfer-Encoding: base64', '', ''].join('\r\n'));
}

/** Base64 in lines of 76 characters (RFC 2045). */
function base64Lines(bytes: Uint8Array): Uint8Array {
  const encoded = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < encoded.length; at += 76) lines.push(encoded.slice(at, at + 76));
  return new TextEncoder().encode(`${lines.join('\r\n')}\r\n`);
}

/** A body as the parser decodes it (the tests are its own choice of decoder). */
function decoded(body: Uint8Array, transferEncoding: string): Uint8Array {
  return /base64/.test(transferEncoding) ? Buffer.from(latin1(body), 'base64') : /quoted-printable/.test(transferEncoding) ? decodeQuotedPrintable(body) : body;
}

/** Quoted-printable to bytes (RFC 2045 6.7): `=XX` is a byte, `=` at a line's end joins it to the next. */
function decodeQuotedPrintable(body: Uint8Array): Uint8Array {
  const decoded = new Uint8Array(body.length);
  let length = 0;
  const hex = (byte: number) => (byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : byte >= 0x41 && byte <= 0x46 ? byte - 0x37 : byte >= 0x61 && byte <= 0x66 ? byte - 0x57 : -1);
  for (let at = 0; at < body.length; at++) {
    const byte = body[at]!;
    if (byte !== 0x3d) {
      decoded[length++] = byte;
      continue;
    }
    if (body[at + 1] === 0x0a) at += 1;
    else if (body[at + 1] === 0x0d && body[at + 2] === 0x0a) at += 2;
    else if (hex(body[at + 1] ?? -1) >= 0 && hex(body[at + 2] ?? -1) >= 0) {
      decoded[length++] = hex(body[at + 1]!) * 16 + hex(body[at + 2]!);
      at += 2;
    } else decoded[length++] = byte;
  }
  return decoded.subarray(0, length);
}

/** One character per byte, so an index in the text is an index in the bytes (windows-1252 maps every byte to one unit). */
export function latin1(bytes: Uint8Array): string {
  return new TextDecoder('latin1').decode(bytes);
}
