import { FormTooLargeError, ValidationError } from '../../domain/errors.ts';
import type { SentFile } from '../../domain/form-attachments.ts';
import { MAX_FORM_FIELDS } from './form-limits.ts';

/**
 * A `multipart/form-data` body (RFC 7578) as the public form sends it: its text fields (a name may repeat, as the
 * request types do) and its files, the fields on an object without a prototype (any name is a field, `__proto__`
 * too). Anything not shaped like that is a ValidationError naming the body.
 */
export function parseMultipartForm(body: Buffer, contentType: string): { fields: Record<string, string[]>; files: Array<SentFile & { field: string }> } {
  const boundary = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  if (!boundary) throw malformed('no boundary in Content-Type');
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  // The names are the sender's: on a plain object `__proto__` or `constructor` would be Object.prototype's, not a field.
  const fields: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const files: Array<SentFile & { field: string }> = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw malformed('the boundary never occurs');
  for (let parts = 0; ; parts++) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') break; // the closing delimiter
    // More parts than a form of ours has fields is not a form of ours.
    if (parts >= MAX_FORM_FIELDS) throw new FormTooLargeError('fields', MAX_FORM_FIELDS);
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') throw malformed('a boundary not followed by a line break');
    const headersEnd = body.indexOf('\r\n\r\n', at + 2);
    if (headersEnd < 0) throw malformed('a part without a blank line after its headers');
    const headers = body.subarray(at + 2, headersEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) throw malformed('a part that never ends');
    const content = body.subarray(headersEnd + 4, next);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = parameter(disposition, 'name');
    if (name === undefined) throw malformed('a part without a field name');
    const filename = parameter(disposition, 'filename');
    if (filename !== undefined) files.push({ field: name, filename, content: new Uint8Array(content) });
    else (fields[name] ??= []).push(content.toString('utf8'));
    at = next + 2;
  }
  return { fields, files };
}

/**
 * A parameter of Content-Disposition. Browsers send a name as UTF-8 in quotes with `"`, CR and LF as %22, %0D, %0A
 * (HTML's form encoding) and a backslash as itself (a Windows path stays a path, for safeFilename to cut).
 */
function parameter(disposition: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}="([^"]*)"`, 'i').exec(disposition) ?? new RegExp(`;\\s*${name}=([^;\\s]+)`, 'i').exec(disposition);
  return match ? match[1]!.replace(/%22/g, '"').replace(/%0D|%0A/gi, '') : undefined;
}

const malformed = (what: string) => new ValidationError([{ field: '(body)', message: `not a well-formed multipart/form-data body: ${what}` }], 'request');
