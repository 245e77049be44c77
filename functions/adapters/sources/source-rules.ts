import type { DataSource } from '../../config/profile-schema.ts';

/** What an anonymised personal field reads afterwards, in every kind of source. */
export const ANONYMISED = '[erased]';

/**
 * A rectification may change only the source's personal fields, when the profile lists them — and, per record,
 * only fields the record holds (see changesFor): correcting a phone number must not add one where none was kept.
 */
export function permittedChanges(source: Pick<DataSource, 'personalFields'>, changes: Record<string, string>): Record<string, string> {
  if (!source.personalFields.length) return changes;
  return Object.fromEntries(Object.entries(changes).filter(([field]) => source.personalFields.includes(field)));
}

/**
 * The part of a rectification that applies to one record: the permitted fields it actually holds as its own —
 * never a name it merely inherits (toString, hasOwnProperty).
 */
export function changesFor(record: Record<string, unknown>, permitted: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(permitted).filter(([field]) => Object.hasOwn(record, field)));
}

/** What an erasure limited to `fields` writes into one record: ANONYMISED over each of them it holds as its own. */
export function erasedFieldsOf(record: Record<string, unknown>, fields: readonly string[]): Record<string, string> {
  return changesFor(record, Object.fromEntries(fields.map((field) => [field, ANONYMISED])));
}
