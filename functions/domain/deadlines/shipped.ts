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
import { loadRuleData } from './rule-data.ts';
import type { RuleDocuments, ShippedCode, ShippedDocument } from './rule-files.ts';
import type { DeadlineEngineOptions } from './types.ts';

export type { RuleDocuments };

/**
 * Every rule document the release ships, imported statically: for the checks where derbes starts (`cdk synth`,
 * `npm start`), the command line and the tests. A function's bundle does not import this module: a function loads its
 * jurisdictions' files on demand (rule-files.ts, loadShippedRules).
 */
export const SHIPPED_CALENDARS: Record<ShippedCode, ShippedDocument> = {
  KZ: { file: 'rules/calendars/KZ.json', document: kzCalendar },
  EU: { file: 'rules/calendars/EU.json', document: euCalendar },
  RU: { file: 'rules/calendars/RU.json', document: ruCalendar },
  'US-CA': { file: 'rules/calendars/US-CA.json', document: usCaCalendar },
  BR: { file: 'rules/calendars/BR.json', document: brCalendar },
};

export const SHIPPED_JURISDICTIONS: Record<ShippedCode, ShippedDocument> = {
  KZ: { file: 'rules/jurisdictions/KZ.json', document: kzJurisdiction },
  EU: { file: 'rules/jurisdictions/EU.json', document: euJurisdiction },
  RU: { file: 'rules/jurisdictions/RU.json', document: ruJurisdiction },
  'US-CA': { file: 'rules/jurisdictions/US-CA.json', document: usCaJurisdiction },
  BR: { file: 'rules/jurisdictions/BR.json', document: brJurisdiction },
};

export const SHIPPED_RULES: RuleDocuments = { calendars: SHIPPED_CALENDARS, jurisdictions: SHIPPED_JURISDICTIONS };

/**
 * Validates every rule document the release ships with the profile's calendar overrides (throws ConfigurationError
 * naming the file and field): a function validates its jurisdictions' files when it loads them, a deploy all of them.
 */
export function checkShippedRules(options: Pick<DeadlineEngineOptions, 'calendarOverrides'>): void {
  loadRuleData(options, SHIPPED_RULES);
}
