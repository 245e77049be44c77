import { describe, expect, it, beforeAll } from 'vitest';
import { appliedRuleDigest, createDeadlineEngine, ruleFromStored, shippedStatuteRule, storedRule, type AppliedRule, type OperatorTerm, type StoredStatuteRule } from '../../../functions/domain/deadlines/index.ts';
import { loadShippedRules, SHIPPED_JURISDICTION_CODES } from '../../../functions/domain/deadlines/rule-files.ts';
import { dateHolidays } from '../../../functions/adapters/holidays/date-holidays.ts';
import { SHIPPED_RULES } from '../../../functions/domain/deadlines/shipped.ts';

// A rule kept by id reads its texts from the release's file, loaded first as a function loads its jurisdictions'.
beforeAll(() => loadShippedRules(SHIPPED_JURISDICTION_CODES));

/**
 * A request keeps a statute's rule by its id, the figures that set its due date and the digest of the rule as
 * applied; its texts are read back from the release's rule data, and the reader is told whether that data still has
 * the digest. An operator's own term is kept whole, its words being the evidence of the promise.
 */
const engine = createDeadlineEngine({ baseHolidays: dateHolidays() }, SHIPPED_RULES);
const receivedAt = new Date('2025-02-14T10:00:00+05:00');
const kzAccess = engine.compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt }).rule;

describe('a statute rule kept by id', () => {
  it('keeps no text: id, figures and the digest of the rule as applied', () => {
    const stored = storedRule(kzAccess);
    expect(stored).toEqual({
      id: 'KZ-94V-art25-access',
      jurisdiction: 'KZ',
      requestType: 'access',
      amount: 3,
      unit: 'working_days',
      origin: 'statute',
      confidence: kzAccess.confidence,
      effectiveFrom: kzAccess.effectiveFrom,
      digest: appliedRuleDigest(kzAccess),
    });
    expect(JSON.stringify(stored)).not.toContain(kzAccess.source);
    expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(kzAccess).length / 3);
  });

  it('reads back as applied, with the texts of the rule data, which still has its digest', () => {
    const read = ruleFromStored(storedRule(kzAccess), shippedStatuteRule);
    expect(read).toEqual({ ...kzAccess, storedAs: { digest: appliedRuleDigest(kzAccess), current: true } });
    // Written again (a later status change), it keeps the digest it was applied with.
    expect(storedRule(read)).toEqual(storedRule(kzAccess));
  });

  it('says so where today\'s rule data no longer has the rule as applied, and keeps the old digest on the next write', () => {
    const amended = (jurisdiction: string, id: string): AppliedRule | undefined => {
      const today = shippedStatuteRule(jurisdiction, id);
      return today && { ...today, citation: { ...today.citation, en: 'Law No. 94-V, Art. 25 (as amended)' } };
    };
    const read = ruleFromStored(storedRule(kzAccess), amended);
    expect(read.storedAs).toEqual({ digest: appliedRuleDigest(kzAccess), current: false });
    expect(read.citation.en).toBe('Law No. 94-V, Art. 25 (as amended)');
    expect(read.amount).toBe(3);
    expect(storedRule(read)).toEqual(storedRule(kzAccess));
  });

  it('still reads where the rule data has no rule of that id: the id stands for the texts, and it is not current', () => {
    const read = ruleFromStored({ ...storedRule(kzAccess), id: 'KZ-withdrawn-rule' }, shippedStatuteRule);
    expect(read.citation).toEqual({ en: 'KZ-withdrawn-rule' });
    expect(read.storedAs?.current).toBe(false);
    expect(read.amount).toBe(3);
  });

  it('keeps an applied extension by its figures, its citation read back with the rule', () => {
    const deadline = engine.compute({ jurisdiction: 'EU', requestType: 'access', receivedAt });
    const extended = engine.extend(deadline, new Date('2025-02-20T10:00:00Z')).rule;
    const stored = storedRule(extended) as { appliedExtension?: Record<string, unknown> };
    expect(stored.appliedExtension).toEqual({ amount: extended.appliedExtension!.amount, unit: extended.appliedExtension!.unit, noticeAt: extended.appliedExtension!.noticeAt, originalDueAt: extended.appliedExtension!.originalDueAt });
    // The extension came after the rule was applied: the digest is the unextended rule's.
    expect(ruleFromStored(stored as never, shippedStatuteRule)).toEqual({ ...extended, storedAs: { digest: appliedRuleDigest(deadline.rule), current: true } });
  });

  describe('an extension asked for after a release that changed the term', () => {
    const deadline = engine.compute({ jurisdiction: 'EU', requestType: 'access', receivedAt });
    // A later release shortens the extension to two weeks, its notice to within one week of receipt.
    const shortened = (jurisdiction: string, id: string): AppliedRule | undefined => {
      const today = shippedStatuteRule(jurisdiction, id);
      return today?.extension && { ...today, extension: { ...today.extension, amount: 14, unit: 'calendar_days', noticeWithin: { amount: 7, unit: 'calendar_days' } } };
    };

    it('keeps the term as applied (amount, unit, notice window) with the figures, its citation being text', () => {
      const stored = storedRule(deadline.rule) as { extension?: unknown };
      expect(stored.extension).toEqual({ amount: 2, unit: 'calendar_months', noticeWithin: { amount: 1, unit: 'calendar_months' } });
      expect(JSON.stringify(stored)).not.toContain(deadline.rule.extension!.citation.en);
    });

    it('follows the rule as applied: the notice is in time and the date is the applied term\'s', () => {
      const read = { ...deadline, rule: ruleFromStored(storedRule(deadline.rule), shortened) };
      expect(read.rule.storedAs?.current).toBe(false);
      const asApplied = engine.extend(deadline, new Date('2025-02-20T10:00:00Z'));
      const extended = engine.extend(read, new Date('2025-02-20T10:00:00Z'));
      expect(asApplied.dueLocalDate).toBe('2025-05-14');
      expect(extended.dueAt).toBe(asApplied.dueAt);
      expect(extended.rule.appliedExtension).toMatchObject({ amount: 2, unit: 'calendar_months' });
    });

    it('takes today\'s term for an item that keeps none only where today\'s rule is the one applied', () => {
      const { extension: _term, ...keptNone } = storedRule(deadline.rule) as StoredStatuteRule;
      expect(ruleFromStored(keptNone as never, shippedStatuteRule).extension).toEqual(deadline.rule.extension);
      expect(ruleFromStored(keptNone as never, shortened).extension).toBeUndefined();
    });
  });

  it('reads an item written before rules were kept by id (the whole rule) as it is', () => {
    expect(ruleFromStored(kzAccess, shippedStatuteRule)).toEqual(kzAccess);
    const citedAsOneString = { ...kzAccess, citation: 'Law 94-V, Art. 25' } as unknown as AppliedRule;
    expect(ruleFromStored(citedAsOneString, shippedStatuteRule)).toEqual(citedAsOneString);
  });
});

describe('an operator\'s own term', () => {
  const policy = 'I-License privacy policy: deletion within thirty (30) working days of a written demand';
  const term: OperatorTerm = { requestType: 'erasure', amount: 30, unit: 'working_days', source: policy };
  const rule = (terms: OperatorTerm[]) => engine.compute({ jurisdiction: 'EU', requestType: 'erasure', receivedAt, operatorTerms: terms.map((t) => ({ ...t, amount: 1, unit: 'calendar_days' })) }).rule;

  it('is kept whole, its words once: a citation that only repeats them is rebuilt when read', () => {
    const applied = rule([term]);
    expect(applied.origin).toBe('operator');
    const stored = storedRule(applied);
    expect(stored).not.toHaveProperty('citation');
    expect(stored).toHaveProperty('source', policy);
    expect(ruleFromStored(stored, shippedStatuteRule)).toEqual(applied);
  });

  it('keeps a citation of its own', () => {
    const citation = { ru: 'Политика I-License, п. 7', en: 'I-License policy, s. 7' };
    const applied = rule([{ ...term, citation }]);
    expect(storedRule(applied)).toEqual(applied);
    expect(ruleFromStored(storedRule(applied), shippedStatuteRule)).toEqual(applied);
  });
});
