import type { DataSource } from '../../config/profile-schema.ts';

/** What an anonymised personal field reads afterwards, in every kind of source. */
export const ANONYMISED = '[erased]';

/** A rectification may change only the source's personal fields, when the profile lists them. */
export function permittedChanges(source: Pick<DataSource, 'personalFields'>, changes: Record<string, string>): Record<string, string> {
  if (!source.personalFields.length) return changes;
  return Object.fromEntries(Object.entries(changes).filter(([field]) => source.personalFields.includes(field)));
}
