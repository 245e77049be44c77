import { parseContentType } from './headers.ts';

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
/** Deeper multiparts are left to the parser, which refuses nesting deeper than its own limit. */
const MAX_WALKED_DEPTH = 50;

/** A message with more MIME parts than intake reads (MAX_MIME_PARTS). */
export class TooManyMimeParts extends Error {
  override readonly name = 'TooManyMimeParts';
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
 * Throws TooManyMimeParts past MAX_MIME_PARTS parts.
 */
export function boundedForParsing(raw: Uint8Array): Uint8Array {
  // One character per byte, so an index in the text is an index in the bytes (windows-1252 maps every byte to one unit).
  const text = new TextDecoder('latin1').decode(raw);
  const out: Uint8Array[] = [];
  walkPart(raw, text, 0, raw.length, 0, { lines: MAX_TEXT_LINES, bytes: MAX_TEXT_BYTES, parts: MAX_MIME_PARTS }, out);
  // Nothing cut and nothing re-encoded: the message itself, not a copy.
  if (out.every((chunk) => chunk.buffer === raw.buffer) && out.reduce((sum, chunk) => sum + chunk.length, 0) === raw.length) return raw;
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
 */
function bodyStartOf(text: string, start: number, end: number): number {
  for (let at = start; at < end; ) {
    const newline = text.indexOf('\n', at);
    if (newline < 0 || newline >= end) return -1;
    if (newline === at || (newline === at + 1 && text.charCodeAt(at) === 0x0d)) return newline + 1;
    at = newline + 1;
  }
  return -1;
}

/** The header fields a part's handling depends on, lower-cased names, folded lines joined. */
function fieldsOf(header: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of header.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && !fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

function walkPart(raw: Uint8Array, text: string, start: number, end: number, depth: number, budget: Budget, out: Uint8Array[]): void {
  const bodyStart = bodyStartOf(text, start, end);
  if (bodyStart < 0) {
    out.push(raw.subarray(start, end));
    return;
  }
  const fields = fieldsOf(text.slice(start, bodyStart));
  const contentType = parseContentType(fields.get('content-type') ?? 'text/plain');
  const attachment = (fields.get('content-disposition') ?? '').split(';')[0]!.trim().toLowerCase() === 'attachment';
  const encoding = (fields.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  const boundary = contentType.parameters.get('boundary');
  if (contentType.mediaType.startsWith('multipart/') && boundary && depth < MAX_WALKED_DEPTH) {
    out.push(raw.subarray(start, bodyStart));
    walkMultipart(raw, text, bodyStart, end, `--${boundary}`, depth, budget, out);
  } else if ((contentType.mediaType === 'text/plain' || contentType.mediaType === 'text/html') && !attachment) {
    out.push(raw.subarray(start, bodyStart), raw.subarray(bodyStart, cutText(text, bodyStart, end, budget)));
  } else if (encoding !== 'base64' && countLines(text, bodyStart, end, MAX_PLAIN_ATTACHMENT_LINES) > MAX_PLAIN_ATTACHMENT_LINES) {
    const body = raw.subarray(bodyStart, end);
    out.push(withBase64Encoding(text.slice(start, bodyStart)), base64Lines(encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : body));
  } else {
    out.push(raw.subarray(start, end));
  }
}

/** A multipart body: preamble, then each part between delimiter lines walked as a part of its own, then the epilogue. */
function walkMultipart(raw: Uint8Array, text: string, bodyStart: number, end: number, delimiter: string, depth: number, budget: Budget, out: Uint8Array[]): void {
  const next = (from: number) => {
    if (text.startsWith(delimiter, from)) return from;
    const found = text.indexOf(`\n${delimiter}`, from);
    return found < 0 || found >= end ? -1 : found + 1;
  };
  let line = next(bodyStart);
  out.push(raw.subarray(bodyStart, line < 0 ? end : line));
  while (line >= 0) {
    const lineEnd = text.indexOf('\n', line);
    if (lineEnd < 0 || lineEnd >= end || text.startsWith(`${delimiter}--`, line)) {
      out.push(raw.subarray(line, end));
      return;
    }
    out.push(raw.subarray(line, lineEnd + 1));
    if (--budget.parts < 0) throw new TooManyMimeParts(`more than ${MAX_MIME_PARTS} MIME parts`);
    const following = next(lineEnd + 1);
    const partEnd = following < 0 ? end : following;
    // The line break before a delimiter belongs to the delimiter (RFC 2046), not to the part's content.
    const lineBreak = following < 0 ? 0 : text.startsWith('\r\n', partEnd - 2) && partEnd - 2 > lineEnd ? 2 : text.startsWith('\n', partEnd - 1) && partEnd - 1 > lineEnd ? 1 : 0;
    walkPart(raw, text, lineEnd + 1, partEnd - lineBreak, depth + 1, budget, out);
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
