import PostalMime, { type Header } from 'postal-mime';

/** Every value of a header, in message order (keys are lower case). */
export function headerValues(headers: readonly Header[], key: string): string[] {
  return headers.filter((header) => header.key === key).map((header) => header.value.trim());
}

export interface ContentType {
  mediaType: string;
  parameters: Map<string, string>;
}

/** How a part's body is read: its type, whether it is marked as an attachment, its transfer encoding (lower case). */
export interface PartHeader {
  contentType: ContentType;
  disposition: string;
  transferEncoding: string;
}

/** The part of the parser (postal-mime 4.0.0) that reads a part's header: internal to it, hence described here. */
interface ParserPart {
  headerLines: string[];
  contentType: { value: string; parsed: { value: string; params: Record<string, string> } };
  contentDisposition: { parsed: { value: string } };
  contentTransferEncoding: { encoding: string };
  processHeaders(): void;
  parseStructuredHeader(value: string): { value: string; params: Record<string, string> };
}

/**
 * A part of the parser's own, unattached to any message. Intake reads headers with the parser's rules (comments
 * stripped, its quoting, folding and first-occurrence rules), not rules of its own: a header read one way by intake's
 * bounds and another by the parser is a part the bounds never cut.
 */
const parserPart = () => (new PostalMime() as unknown as { root: ParserPart }).root;

const contentTypeOf = (parsed: { value: string; params: Record<string, string> }): ContentType => ({ mediaType: parsed.value, parameters: new Map(Object.entries(parsed.params)) });

/** `multipart/report; report-type=delivery-status; boundary="b1"` → media type and parameters. */
export function parseContentType(value: string): ContentType {
  return contentTypeOf(parserPart().parseStructuredHeader(value));
}

/**
 * A part's header lines (line breaks removed, as the parser splits them) read as the parser reads them; a part with no
 * Content-Type is `defaultType` (message/rfc822 in a multipart/digest, RFC 2046 5.1.5).
 */
export function readPartHeader(lines: string[], defaultType: string): PartHeader {
  const part = parserPart();
  part.contentType.value = defaultType;
  part.headerLines = lines;
  part.processHeaders();
  return { contentType: contentTypeOf(part.contentType.parsed), disposition: part.contentDisposition.parsed.value, transferEncoding: part.contentTransferEncoding.encoding };
}
