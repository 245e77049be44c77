import { readdirSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { SHIPPED_JURISDICTION_CODES } from '../../../functions/domain/deadlines/rule-files.ts';
import { SHIPPED_CALENDARS, SHIPPED_JURISDICTIONS } from '../../../functions/domain/deadlines/shipped.ts';
import { LANGUAGES } from '../../../functions/domain/request-types.ts';
import { SHIPPED_CONSOLE_TEXTS, SHIPPED_MESSAGE_CATALOGUES, SHIPPED_REFUSAL_GROUNDS, SHIPPED_SIGN_IN_TEXTS } from '../../../infra/shipped-texts.ts';

const filesIn = (directory: string) => readdirSync(directory).map((name) => name.replace(/\.json$/, '')).sort();
const sorted = (codes: Iterable<string>) => [...codes].sort();

/** The lists of shipped codes and languages, and the maps of statically imported files, are the files in rules/. */
describe("the release's lists of files", () => {
  it('one list of jurisdiction codes: the files of rules/jurisdictions, rules/calendars and rules/refusal-grounds', () => {
    for (const directory of ['rules/jurisdictions', 'rules/calendars', 'rules/refusal-grounds']) expect(filesIn(directory), directory).toEqual(sorted(SHIPPED_JURISDICTION_CODES));
    for (const [name, files] of Object.entries({ SHIPPED_JURISDICTIONS, SHIPPED_CALENDARS, SHIPPED_REFUSAL_GROUNDS })) expect(sorted(Object.keys(files)), name).toEqual(sorted(SHIPPED_JURISDICTION_CODES));
    for (const [code, { file }] of Object.entries({ ...SHIPPED_JURISDICTIONS })) expect(file).toBe(`rules/jurisdictions/${code}.json`);
    for (const [code, { file }] of Object.entries({ ...SHIPPED_CALENDARS })) expect(file).toBe(`rules/calendars/${code}.json`);
  });

  it('the languages: the files of rules/messages, rules/console and rules/sign-in', () => {
    for (const directory of ['rules/messages', 'rules/console', 'rules/sign-in']) expect(filesIn(directory), directory).toEqual(sorted(LANGUAGES));
    for (const [name, files] of Object.entries({ SHIPPED_MESSAGE_CATALOGUES, SHIPPED_CONSOLE_TEXTS, SHIPPED_SIGN_IN_TEXTS })) expect(sorted(Object.keys(files)), name).toEqual(sorted(LANGUAGES));
  });
});

/** A deployment loads the rules of its own jurisdictions, not all five the release ships. */
describe("the release's rule files, loaded per jurisdiction", () => {
  it('loads the jurisdictions asked for with the calendars they count in, and refuses to read one it has not loaded', async () => {
    vi.resetModules();
    try {
      const { loadShippedRules } = await import('../../../functions/domain/deadlines/rule-files.ts');
      const { createDeadlineEngine, shippedStatuteRule, RulesNotLoadedError, UnknownJurisdictionError } = await import('../../../functions/domain/deadlines/index.ts');
      expect(() => shippedStatuteRule('KZ', 'KZ-94V-44VIII-breach-notice')).toThrow(RulesNotLoadedError);

      const rules = await loadShippedRules(['KZ']);
      expect(Object.keys(rules.jurisdictions)).toEqual(['KZ']);
      expect(Object.keys(rules.calendars)).toEqual(['KZ']);
      expect(shippedStatuteRule('KZ', 'no-such-rule')).toBeUndefined();
      // A jurisdiction the release ships but this process has not loaded is not "a rule the release lacks".
      expect(() => shippedStatuteRule('EU', 'any')).toThrow(RulesNotLoadedError);
      // A code the release does not ship has no rules.
      expect(shippedStatuteRule('XX', 'any')).toBeUndefined();

      const engine = createDeadlineEngine({}, rules);
      expect(engine.jurisdictions()).toEqual(['KZ']);
      expect(engine.compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt: new Date('2026-11-20T10:00:00Z') }).dueAt).toBeTruthy();
      expect(() => engine.compute({ jurisdiction: 'EU', requestType: 'access', receivedAt: new Date('2026-11-20T10:00:00Z') })).toThrow(UnknownJurisdictionError);
    } finally {
      vi.resetModules();
    }
  });

  it('loads a shipped calendar the profile overrides, and leaves out a code the release does not ship', async () => {
    const { loadShippedRules } = await import('../../../functions/domain/deadlines/rule-files.ts');
    const rules = await loadShippedRules(['KZ', 'XX'], ['EU', 'ZZ']);
    expect(Object.keys(rules.jurisdictions)).toEqual(['KZ']);
    expect(Object.keys(rules.calendars).sort()).toEqual(['EU', 'KZ']);
  });
});
