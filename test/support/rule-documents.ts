import { SHIPPED_RULES, type RuleDocuments } from '../../functions/domain/deadlines/shipped.ts';
import kzJurisdiction from '../../rules/jurisdictions/KZ.json' with { type: 'json' };

/** The release's rule documents with KZ's jurisdiction file changed as a later release would ship it. */
export function withKazakhstan(changes: Record<string, unknown>): RuleDocuments {
  return { ...SHIPPED_RULES, jurisdictions: { ...SHIPPED_RULES.jurisdictions, KZ: { file: 'rules/jurisdictions/KZ.json', document: { ...kzJurisdiction, ...changes } } } };
}
