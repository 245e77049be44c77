import brCalendar from '../../../rules/calendars/BR.json' with { type: 'json' };
import euCalendar from '../../../rules/calendars/EU.json' with { type: 'json' };
import kzCalendar from '../../../rules/calendars/KZ.json' with { type: 'json' };
import ruCalendar from '../../../rules/calendars/RU.json' with { type: 'json' };
import usCaCalendar from '../../../rules/calendars/US-CA.json' with { type: 'json' };
import brJurisdiction from '../../../rules/jurisdictions/BR.json' with { type: 'json' };
import euJurisdiction from '../../../rules/jurisdictions/EU.json' with { type: 'json' };
import kzJurisdiction from '../../../rules/jurisdictions/KZ.json' with { type: 'json' };
import ruJurisdiction from '../../../rules/jurisdictions/RU.json' with { type: 'json' };
import usCaJurisdiction from '../../../rules/jurisdictions/US-CA.json' with { type: 'json' };

/** Rule data shipped with the release, still unvalidated: rule-data.ts checks it with the calendar overrides. */
export interface ShippedDocument {
  file: string;
  document: unknown;
}

export const SHIPPED_CALENDARS: Record<string, ShippedDocument> = {
  KZ: { file: 'rules/calendars/KZ.json', document: kzCalendar },
  EU: { file: 'rules/calendars/EU.json', document: euCalendar },
  RU: { file: 'rules/calendars/RU.json', document: ruCalendar },
  'US-CA': { file: 'rules/calendars/US-CA.json', document: usCaCalendar },
  BR: { file: 'rules/calendars/BR.json', document: brCalendar },
};

export const SHIPPED_JURISDICTIONS: Record<string, ShippedDocument> = {
  KZ: { file: 'rules/jurisdictions/KZ.json', document: kzJurisdiction },
  EU: { file: 'rules/jurisdictions/EU.json', document: euJurisdiction },
  RU: { file: 'rules/jurisdictions/RU.json', document: ruJurisdiction },
  'US-CA': { file: 'rules/jurisdictions/US-CA.json', document: usCaJurisdiction },
  BR: { file: 'rules/jurisdictions/BR.json', document: brJurisdiction },
};

/**
 * The rule documents a deadline engine counts by: the release's own. Statutory terms change with a release (the files
 * are reviewed with their sources); an operator's profile may only shorten terms and add calendar years.
 */
export interface RuleDocuments {
  calendars: Record<string, ShippedDocument>;
  jurisdictions: Record<string, ShippedDocument>;
}

export const SHIPPED_RULES: RuleDocuments = { calendars: SHIPPED_CALENDARS, jurisdictions: SHIPPED_JURISDICTIONS };
