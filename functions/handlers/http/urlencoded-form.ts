import { FormTooLargeError } from '../../domain/errors.ts';
import { MAX_FORM_FIELDS, MAX_URLENCODED_CHARS } from './form-limits.ts';

/**
 * An `application/x-www-form-urlencoded` body as a form of ours sends it: each field's values in the order sent (a
 * name may repeat, as the request types and the link's references do), read in one pass, on an object without a
 * prototype (any name is a field, `__proto__` too). A body longer, or with more fields, than any form of ours sends is
 * refused as such before its fields are gathered.
 */
export function parseUrlencodedForm(body: string): Record<string, string[]> {
  if (body.length > MAX_URLENCODED_CHARS) throw new FormTooLargeError('characters', MAX_URLENCODED_CHARS);
  const form = new URLSearchParams(body);
  if (form.size > MAX_FORM_FIELDS) throw new FormTooLargeError('fields', MAX_FORM_FIELDS);
  const fields = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of form) (fields[name] ??= []).push(value);
  return fields;
}
