import { describe, expect, it, vi } from 'vitest';

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
