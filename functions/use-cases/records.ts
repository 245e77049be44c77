import { localize, type DataSource, type FieldDeclaration } from '../config/profile-schema.ts';
import { instantOf, isLocalDate } from '../domain/deadlines/local-time.ts';
import type { BuiltinField, Messages } from '../domain/messages.ts';
import { BLOCKED_ATTRIBUTE } from './ports.ts';

/** One field of a record as the person reads it: its label and its value, formatted in their language. */
export interface ShownField {
  field: string;
  label: string;
  value: string;
}

/** A field kept back because it is someone else's data, with the reason. */
export interface WithheldField {
  field: string;
  label: string;
  reason: string;
}

export interface ShownRecord {
  fields: ShownField[];
  withheld: WithheldField[];
}

/** Attributes derbes itself writes into records (the block flag), and the listing of a non-JSON object in S3. */
const BUILTIN: Record<string, BuiltinField> = {
  [BLOCKED_ATTRIBUTE]: 'processingBlocked',
  [`${BLOCKED_ATTRIBUTE}At`]: 'processingBlockedAt',
  key: 'key',
  contentType: 'contentType',
  size: 'size',
};
const BUILTIN_FORMAT: Partial<Record<BuiltinField, FieldDeclaration['format']>> = { processingBlocked: 'yesno', processingBlockedAt: 'datetime', size: 'number' };

function plain(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A value in the declared format; anything that does not fit the format is shown as it is, never dropped. */
function formatValue(value: unknown, declaration: Pick<FieldDeclaration, 'format' | 'currency' | 'values'>, m: Messages, timeZone: string): string {
  const named = (code: unknown) => {
    const names = declaration.values?.[plain(code)];
    return names ? localize(names, m.language) : plain(code);
  };
  switch (declaration.format) {
    case 'date':
      return typeof value === 'string' && isLocalDate(value.slice(0, 10)) ? m.day(value.slice(0, 10)) : plain(value);
    case 'datetime':
      // A time without an offset is the source's own, on the wall clock of the zone the answer is written in.
      if (typeof value !== 'string') return plain(value);
      const instant = instantOf(value, timeZone);
      return instant ? m.date(instant.toISOString(), timeZone) : plain(value);
    case 'yesno':
      return typeof value === 'boolean' ? m.yesNo(value) : plain(value);
    case 'money':
      return typeof value === 'number' && declaration.currency ? m.money(value, declaration.currency) : plain(value);
    case 'number':
      return typeof value === 'number' ? m.number(value) : plain(value);
    case 'list':
      return Array.isArray(value) ? m.list(value.map(named)) : named(value);
    case 'text':
      return Array.isArray(value) ? m.list(value.map(named)) : named(value);
  }
}

/**
 * A record as the person reads it: the profile's labels and formats, in the profile's order of fields (then any
 * field it does not declare, under its own name); fields marked as other people's data are withheld with the reason.
 */
export function presentRecord(source: Pick<DataSource, 'fields'>, record: Record<string, unknown>, m: Messages, timeZone: string): ShownRecord {
  const declared = Object.keys(source.fields);
  const order = [...declared.filter((field) => field in record), ...Object.keys(record).filter((field) => !declared.includes(field))];
  const shown: ShownRecord = { fields: [], withheld: [] };
  for (const field of order) {
    const value = record[field];
    if (value === undefined || value === null || value === '') continue;
    const declaration = source.fields[field];
    if (declaration?.withheld) {
      shown.withheld.push({ field, label: localize(declaration.label, m.language), reason: localize(declaration.withheld.reason, m.language) });
      continue;
    }
    const builtin = BUILTIN[field];
    const label = declaration ? localize(declaration.label, m.language) : builtin ? m.builtinField(builtin) : field;
    const format = declaration ?? { format: (builtin && BUILTIN_FORMAT[builtin]) ?? 'text' };
    shown.fields.push({ field, label, value: formatValue(value, format, m, timeZone) });
  }
  return shown;
}

/** The record without what is withheld, for the machine-readable copy. */
export function disclosedRecord(source: Pick<DataSource, 'fields'>, record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([field]) => !source.fields[field]?.withheld));
}

/** A record as lines of the answer mail. */
export function recordLines(shown: ShownRecord, m: Messages): string {
  return [
    ...shown.fields.map((f) => `    ${f.label}: ${f.value}`),
    ...shown.withheld.map((f) => `    ${m.answer('withheld', { field: f.label, reason: f.reason })}`),
  ].join('\n');
}
