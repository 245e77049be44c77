import { describe, expect, it } from 'vitest';
import { dateHolidays } from '../../../functions/adapters/holidays/date-holidays.ts';
import { loadProfileFile } from '../../../functions/config/load-profile.ts';
import { dependenciesFromEnvironment } from '../../../functions/composition.ts';
import { createDeadlineEngine, loadShippedRules, UnknownJurisdictionError } from '../../../functions/domain/deadlines/index.ts';
import { documentAsText } from '../../../functions/domain/document.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';
import { evidencePack } from '../../../functions/use-cases/evidence.ts';
import { extendDeadline } from '../../../functions/use-cases/operator.ts';
import { periodReport } from '../../../functions/use-cases/report.ts';
import { watchDeadlines } from '../../../functions/use-cases/watch-deadlines.ts';
import { OPERATOR, placeRequest, runToAnswer, systemFor } from '../../support/flow.ts';
import type { MemorySystem } from '../../support/memory-deps.ts';

/*
 * A function's deadline engine starts with its profile's jurisdictions (composition.ts). A request keeps the rule of
 * the jurisdiction it was received under; after a deployment changes its jurisdiction, the report, the evidence pack,
 * an extension and the deadline watch still count that request's days in its own jurisdiction, loaded on demand.
 */

const HOUR = 3_600_000;
const everyJurisdiction = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);

/** A KZ deployment (profiles/demo.json) holding a request received while it was configured for the EU. */
async function requestReceivedUnderEu(s: MemorySystem, types: Parameters<typeof placeRequest>[1]) {
  const before = { ...s, deps: { ...s.deps, profile: { ...s.deps.profile, jurisdiction: 'EU', terms: [] }, deadlines: everyJurisdiction } } as MemorySystem;
  const request = await placeRequest(before, types);
  expect(request.deadline.rule.jurisdiction).toBe('EU');
  return request;
}

describe('a request received under a jurisdiction the deployment no longer has', () => {
  it('the engine of a KZ deployment does not know EU until a use case meets it', async () => {
    const s = systemFor('profiles/demo.json');
    expect(s.deps.deadlines.jurisdictions()).toEqual(['KZ']);
    await requestReceivedUnderEu(s, ['access']);
    expect(s.deps.deadlines.jurisdictions()).toEqual(['KZ']);
  });

  it('is counted in the period report by its own calendar', async () => {
    const s = systemFor('profiles/demo.json');
    const r = await requestReceivedUnderEu(s, ['access']);
    await runToAnswer(s, r.id);
    const report = await periodReport(s.deps, { from: '2026-02-01', to: '2026-02-28' });
    expect(report.requests).toBe(1);
    expect(s.deps.deadlines.jurisdictions()).toContain('EU');
  });

  it('gets an evidence pack with the calendar it was counted on', async () => {
    const s = systemFor('profiles/demo.json');
    const r = await requestReceivedUnderEu(s, ['access']);
    await runToAnswer(s, r.id);
    const pack = await evidencePack(s.deps, r.id, 'en');
    expect(documentAsText(pack.document)).toContain(everyJurisdiction.calendarBetween('EU', r.deadline.receivedLocalDate, r.deadline.dueLocalDate).name);
  });

  it('is extended by its own rule', async () => {
    const s = systemFor('profiles/demo.json');
    const r = await requestReceivedUnderEu(s, ['access']);
    await extendDeadline(s.deps, r.id, 'Many systems to search.', OPERATOR);
    const extended = await s.deps.requests.get(r.id);
    expect(extended.deadline.rule.jurisdiction).toBe('EU');
    expect(extended.deadline.rule.appliedExtension).toBeDefined();
  });

  it('is watched to its due date', async () => {
    const s = systemFor('profiles/demo.json');
    const r = await requestReceivedUnderEu(s, ['access']);
    s.setNow(new Date(Date.parse(r.deadline.dueAt) + HOUR));
    expect(await watchDeadlines(s.deps)).toMatchObject({ overdue: 1 });
  });
});

describe("a function's engine (composition.ts)", () => {
  it('loads a shipped jurisdiction outside its profile, with the holiday library its calendar builds on', async () => {
    const profile = loadProfileFile('profiles/demo.json'); // KZ: its calendar needs no holiday library
    const { deadlines } = dependenciesFromEnvironment({ profile, rules: await loadShippedRules([profile.jurisdiction]) });
    expect(() => deadlines.isWorkingDay('BR', '2026-04-21')).toThrow(UnknownJurisdictionError);
    await deadlines.load(['BR', 'XX']);
    expect(deadlines.isWorkingDay('BR', '2026-04-21')).toBe(false); // Tiradentes, a Tuesday, from the holiday library
    expect(deadlines.isWorkingDay('BR', '2026-04-22')).toBe(true);
    expect(() => deadlines.isWorkingDay('XX', '2026-12-22')).toThrow(UnknownJurisdictionError); // not shipped: stays unknown
  });

  it('counts in a calendar the profile overrides, loaded at start before the holiday library was', async () => {
    const profile = { ...loadProfileFile('profiles/demo.json'), calendarOverrides: { BR: { timeZone: 'America/Recife' } } };
    const { deadlines } = dependenciesFromEnvironment({ profile, rules: await loadShippedRules([profile.jurisdiction], ['BR']) });
    await deadlines.load(['BR']);
    expect(deadlines.timeZone('BR')).toBe('America/Recife');
    expect(deadlines.isWorkingDay('BR', '2026-04-21')).toBe(false);
  });
});
