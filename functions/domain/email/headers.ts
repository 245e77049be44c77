import type { Header } from 'postal-mime';

/** Every value of a header, in message order (keys are lower case). */
export function headerValues(headers: readonly Header[], key: string): string[] {
  return headers.filter((header) => header.key === key).map((header) => header.value.trim());
}

export interface ContentType {
  mediaType: string;
  parameters: Map<string, string>;
}

/** `multipart/report; report-type=delivery-status; boundary="b1"` → media type and parameters. */
export function parseContentType(value: string): ContentType {
  const [mediaType = '', ...rest] = splitOutsideQuotes(value, ';');
  const parameters = new Map<string, string>();
  for (const parameter of rest) {
    const equals = parameter.indexOf('=');
    if (equals < 0) continue;
    const name = parameter.slice(0, equals).trim().toLowerCase();
    const raw = parameter.slice(equals + 1).trim();
    parameters.set(name, raw.startsWith('"') ? raw.slice(1, raw.endsWith('"') ? -1 : undefined).replace(/\\(.)/g, '$1') : raw);
  }
  return { mediaType: mediaType.trim().toLowerCase(), parameters };
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const character = value[i];
    if (character === '\\' && quoted) i++;
    else if (character === '"') quoted = !quoted;
    else if (character === separator && !quoted) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}
