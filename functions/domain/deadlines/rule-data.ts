import type * as z from '../schema.ts';
import { ConfigurationError, toFieldProblems } from '../errors.ts';
import { deadlineSchemas, type CalendarData, type JurisdictionData } from './schemas.ts';
import { loadedJurisdictionDocument, type RuleDocuments, type ShippedDocument } from './rule-files.ts';
import type { DeadlineEngineOptions } from './types.ts';

export interface RuleData {
  calendars: Map<string, CalendarData>;
  jurisdictions: Map<string, JurisdictionData>;
}

/**
 * Validates the rule documents (the release's own) with the operator's calendar overrides merged in; anything
 * unusable throws a ConfigurationError listing every bad field, so a broken profile fails at start-up, not mid-request.
 */
export function loadRuleData(options: DeadlineEngineOptions, documents: RuleDocuments): RuleData {
  const { CalendarOverridesSchema, CalendarSchema } = deadlineSchemas();
  const calendarOverrides = parse(CalendarOverridesSchema, options.calendarOverrides ?? {}, 'calendarOverrides');

  const calendars = mergeAll(documents.calendars, calendarOverrides, 'calendarOverrides', CalendarSchema, (shipped, override) => ({
    ...shipped,
    ...override,
    holidays: mergeById(shipped?.holidays, override.holidays),
    years: { ...shipped?.years, ...override.years },
  }));
  const jurisdictions = new Map(Object.entries(documents.jurisdictions).map(([code, shipped]) => [code, validJurisdiction(shipped)]));

  for (const [code, jurisdiction] of jurisdictions) {
    if (!calendars.has(jurisdiction.calendar)) {
      throw new ConfigurationError(`jurisdiction ${code}`, [
        { field: 'calendar', message: `no calendar '${jurisdiction.calendar}' (known: ${[...calendars.keys()].join(', ')})` },
      ]);
    }
  }
  for (const [code, calendar] of calendars) {
    const base = calendar.baseHolidays;
    const problem = base && options.baseHolidays?.problem(base.country, base.state);
    if (problem) throw new ConfigurationError(`calendar ${code}`, [{ field: 'baseHolidays', message: problem }]);
  }
  return { calendars, jurisdictions };
}

/** Each jurisdiction document validated once, whoever asks: the deadline engine, or a store reading a rule by id. */
const validatedJurisdictions = new WeakMap<ShippedDocument, JurisdictionData>();

function validJurisdiction(shipped: ShippedDocument): JurisdictionData {
  let jurisdiction = validatedJurisdictions.get(shipped);
  if (!jurisdiction) validatedJurisdictions.set(shipped, (jurisdiction = parse(deadlineSchemas().JurisdictionSchema, shipped.document, shipped.file)));
  return jurisdiction;
}

/**
 * A jurisdiction's document as the release ships it (no calendar is needed to read its rules), validated on first use:
 * undefined for a code the release does not ship; RulesNotLoadedError if this process has not loaded it.
 */
export function shippedJurisdiction(code: string): JurisdictionData | undefined {
  const shipped = loadedJurisdictionDocument(code);
  return shipped && validJurisdiction(shipped);
}

/**
 * Whether a calendar that any of these jurisdictions counts days in builds on a holiday library, i.e. whether a
 * deadline engine for them must be given `baseHolidays`. Unknown jurisdictions need nothing (the engine refuses them).
 */
export function needsBaseHolidays(options: Omit<DeadlineEngineOptions, 'baseHolidays'>, jurisdictionCodes: string[], documents: RuleDocuments): boolean {
  const { calendars, jurisdictions } = loadRuleData(options, documents);
  return jurisdictionCodes.some((code) => {
    const jurisdiction = jurisdictions.get(code);
    return jurisdiction !== undefined && calendars.get(jurisdiction.calendar)?.baseHolidays !== undefined;
  });
}

function parse<Schema extends z.ZodMiniType>(schema: Schema, value: unknown, source: string): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // A strict object reports unknown fields together on their parent; name each one instead.
  const issues = result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown field' }))
      : [issue],
  );
  // Keep the first complaint per field: zod may add later checks' complaints about the same value.
  const reported = new Set<string>();
  const problems = toFieldProblems(issues).filter((problem) => !reported.has(problem.field) && reported.add(problem.field));
  throw new ConfigurationError(source, problems);
}

/** Merges each override onto its shipped document (or stands alone as a new one) and validates the result. */
function mergeAll<Schema extends z.ZodMiniType, Override extends object>(
  shipped: Record<string, ShippedDocument>,
  overrides: Record<string, Override>,
  overridesName: string,
  schema: Schema,
  merge: (shipped: Partial<z.infer<Schema>> | undefined, override: Override) => unknown,
): Map<string, z.infer<Schema>> {
  const merged = new Map<string, z.infer<Schema>>();
  for (const code of new Set([...Object.keys(shipped), ...Object.keys(overrides)])) {
    const base = shipped[code];
    const override = overrides[code];
    const baseData = base ? parse(schema, base.document, base.file) : undefined;
    if (override) {
      const source = base ? `${base.file} with ${overridesName}.${code}` : `${overridesName}.${code}`;
      merged.set(code, parse(schema, merge(baseData, override), source));
    } else if (baseData !== undefined) {
      merged.set(code, baseData);
    }
  }
  return merged;
}

/** Entries of the override replace shipped entries with the same id; new ids are added. */
function mergeById<Entry extends { id: string }>(shipped: Entry[] | undefined, override: Entry[] | undefined): Entry[] {
  const byId = new Map((shipped ?? []).map((entry) => [entry.id, entry]));
  for (const entry of override ?? []) byId.set(entry.id, entry);
  return [...byId.values()];
}
