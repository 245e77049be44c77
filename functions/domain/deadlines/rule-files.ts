import { onFirstLoad } from '../on-first-use.ts';
import { RulesNotLoadedError } from './errors.ts';

/** A rule document as the release ships it, still unvalidated: rule-data.ts checks it with the calendar overrides. */
export interface ShippedDocument {
  file: string;
  document: unknown;
}

/**
 * The rule documents a deadline engine counts by: the release's own. Statutory terms change with a release (the files
 * are reviewed with their sources); an operator's profile may only shorten terms and add calendar years.
 */
export interface RuleDocuments {
  calendars: Record<string, ShippedDocument>;
  jurisdictions: Record<string, ShippedDocument>;
}

const SHIPPED_CODES = ['KZ', 'EU', 'RU', 'US-CA', 'BR'] as const;
/** A code the release ships files for; the maps of statically imported files (shipped.ts, infra/shipped-texts.ts) are keyed by it. */
export type ShippedCode = (typeof SHIPPED_CODES)[number];
/**
 * The one list of the codes the release ships: each has its rules (rules/jurisdictions/<code>.json), its calendar
 * (rules/calendars/<code>.json) and its refusal grounds (rules/refusal-grounds/<code>.json). A test holds it to rules/.
 */
export const SHIPPED_JURISDICTION_CODES: readonly string[] = SHIPPED_CODES;

const jurisdictionFiles = onFirstLoad((code: string) =>
  import(`../../../rules/jurisdictions/${code}.json`, { with: { type: 'json' } }).then((module: { default: unknown }): ShippedDocument => ({
    file: `rules/jurisdictions/${code}.json`,
    document: module.default,
  })),
);
const calendarFiles = onFirstLoad((code: string) =>
  import(`../../../rules/calendars/${code}.json`, { with: { type: 'json' } }).then((module: { default: unknown }): ShippedDocument => ({
    file: `rules/calendars/${code}.json`,
    document: module.default,
  })),
);

/**
 * The release's rule documents of these jurisdictions, with the calendars they count days in and the calendars the
 * profile overrides: imported when a process first asks (a bundle holds each file in a chunk of its own), so a
 * deployment loads the rules of its configured jurisdictions, not all five. A code the release does not ship is left
 * out: the engine refuses it by name (UnknownJurisdictionError); a profile naming one is refused before (config/profile-schema.ts).
 */
export async function loadShippedRules(jurisdictionCodes: readonly string[], calendarOverrides: readonly string[] = []): Promise<RuleDocuments> {
  const codes = [...new Set(jurisdictionCodes)].filter((code) => SHIPPED_JURISDICTION_CODES.includes(code));
  const jurisdictions = Object.fromEntries(await Promise.all(codes.map(async (code) => [code, await jurisdictionFiles.load(code)] as const)));
  // The calendar a document names is read before the document is validated: an unknown or missing one is loadRuleData's to refuse.
  const named = Object.values(jurisdictions).map(({ document }) => (document as { calendar?: unknown } | null)?.calendar);
  const calendarCodes = [...new Set([...named, ...calendarOverrides])].filter((code): code is string => typeof code === 'string' && SHIPPED_JURISDICTION_CODES.includes(code));
  const calendars = Object.fromEntries(await Promise.all(calendarCodes.map(async (code) => [code, await calendarFiles.load(code)] as const)));
  return { calendars, jurisdictions };
}

/**
 * A shipped jurisdiction's document as this process loaded it (loadShippedRules); undefined for a code the release
 * does not ship; RulesNotLoadedError for a shipped one not loaded yet — never read as "not in the release".
 */
export function loadedJurisdictionDocument(code: string): ShippedDocument | undefined {
  const shipped = jurisdictionFiles.loaded(code);
  if (shipped) return shipped;
  if (SHIPPED_JURISDICTION_CODES.includes(code)) throw new RulesNotLoadedError(code);
  return undefined;
}
