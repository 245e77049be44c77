import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical.ts';
import { inLanguage } from '../localized.ts';
import type { AppliedExtension, AppliedRule, ExtensionTerm } from './types.ts';

/**
 * What a request's item keeps of the rule that set its due date. A statute's rule is data shipped with the release
 * (rules/jurisdictions, each rule with an id unique in its jurisdiction); its texts (the citation and note in three
 * languages, the source, the extension's citation) are most of the item, and every write of the request, with the
 * index copy of an open one, is billed by the item's size. So the item keeps the rule's id, the figures that decided
 * the due date, and the SHA-256 of the rule as applied; a reader takes the texts from the rule data by the id and is
 * told whether that data still has the digest (the evidence pack states it).
 *
 * An operator's own term is kept whole but once: its words are the evidence of the promise, and they live in the
 * operator's profile, which the release does not version. Only its citation, when it was no more than the words
 * repeated in every language, is left to be rebuilt from them.
 */
export interface StoredStatuteRule extends Pick<AppliedRule, 'id' | 'jurisdiction' | 'requestType' | 'amount' | 'unit' | 'origin' | 'confidence' | 'effectiveFrom'> {
  /** A jurisdiction's rule: the law's term, or its documented default. */
  origin: 'statute' | 'default';
  /** appliedRuleDigest of the rule as applied (SHA-256, base64url: the item is billed by its bytes). */
  digest: string;
  /**
   * The extension term as applied (amount, unit, notice window; its citation is text, read by the id): an extension
   * asked for later follows the rule as applied, not a release that has since changed the term.
   */
  extension?: Omit<ExtensionTerm, 'citation'>;
  appliedExtension?: Omit<AppliedExtension, 'citation'>;
}

/** A statute's rule in today's rule data, as the engine applies it (fromStatute), or undefined where it has no such id. */
export type StatuteRuleLookup = (jurisdiction: string, id: string) => AppliedRule | undefined;

/** The SHA-256 of a rule as applied, over its canonical JSON: everything but an extension applied later and what reading added. */
export function appliedRuleDigest(rule: AppliedRule): string {
  const { appliedExtension: _extension, storedAs: _stored, ...applied } = rule;
  return createHash('sha256').update(canonicalJson(applied)).digest('base64url');
}

/** The rule without what reading it from a request noted (`storedAs`). */
export function withoutStoredAs(rule: AppliedRule): AppliedRule {
  const { storedAs: _stored, ...applied } = rule;
  return applied;
}

/** What the item keeps of `rule`: a jurisdiction's by id, figures and digest (the digest it was applied with, once it has one). */
export function storedRule(rule: AppliedRule): StoredStatuteRule | AppliedRule {
  if (rule.origin === 'operator' || rule.requestType === 'breach_notice') {
    const whole = withoutStoredAs(rule);
    const citationRepeatsSource = Object.keys(whole.citation).length === 3 && Object.values(whole.citation).every((text) => text === whole.source);
    if (!citationRepeatsSource) return whole;
    const { citation: _citation, ...rest } = whole;
    return rest as AppliedRule;
  }
  const { id, jurisdiction, requestType, amount, unit, origin, confidence, effectiveFrom, extension: term, appliedExtension } = rule;
  const extensionTerm = term && { amount: term.amount, unit: term.unit, noticeWithin: { amount: term.noticeWithin.amount, unit: term.noticeWithin.unit } };
  const extension = appliedExtension && { amount: appliedExtension.amount, unit: appliedExtension.unit, noticeAt: appliedExtension.noticeAt, originalDueAt: appliedExtension.originalDueAt };
  return {
    id,
    jurisdiction,
    requestType,
    amount,
    unit,
    origin,
    confidence,
    effectiveFrom,
    digest: rule.storedAs?.digest ?? appliedRuleDigest(rule),
    ...(extensionTerm && { extension: extensionTerm }),
    ...(extension && { appliedExtension: extension }),
  };
}

/**
 * The rule as readers use it, from what an item keeps: a rule kept whole (an operator's term, or any rule of an item
 * written before rules were kept by id) as it is; a jurisdiction's kept by id with today's texts and the figures it was
 * applied with, and `storedAs` saying whether today's rule data still has the digest it was applied with. Whether the
 * term is the law's or a default is read with the texts: the data is where that is told, and corrected.
 */
export function ruleFromStored(stored: StoredStatuteRule | AppliedRule, lookup: StatuteRuleLookup): AppliedRule {
  if (!('digest' in stored) || typeof stored.digest !== 'string') {
    const whole = stored as AppliedRule;
    return whole.citation === undefined ? { ...whole, citation: { ru: inLanguage(whole.source, 'ru'), kk: inLanguage(whole.source, 'kk'), en: inLanguage(whole.source, 'en') } } : whole;
  }
  const { digest, extension: term, appliedExtension, ...figures } = stored as StoredStatuteRule;
  const today = lookup(figures.jurisdiction, figures.id);
  const current = today !== undefined && appliedRuleDigest(today) === digest;
  const idAsText = { ru: figures.id, kk: figures.id, en: figures.id };
  // The extension term is the one applied: kept with the figures; an item that keeps none (written before terms were
  // kept, or by a rule without one) takes today's only where today's rule is, by its digest, the rule as applied.
  const extension = term ? { ...term, citation: today?.extension?.citation ?? idAsText } : current && today ? today.extension : undefined;
  const texts = today ? { origin: today.origin, citation: today.citation, source: today.source, ...(today.note && { note: today.note }) } : { citation: { en: figures.id }, source: figures.id };
  const rule: AppliedRule = { ...figures, ...texts, ...(extension && { extension }) };
  return {
    ...rule,
    ...(appliedExtension && { appliedExtension: { ...appliedExtension, citation: today?.extension?.citation ?? idAsText } }),
    storedAs: { digest, current },
  };
}
