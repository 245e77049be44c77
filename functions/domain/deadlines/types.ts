import type { RuleDocuments } from './rule-files.ts';
import type { BreachNoticeField } from '../breaches/notice-fields.ts';
import type { Localized, PartlyLocalized, Source } from '../localized.ts';
import type { RequestType } from '../request-types.ts';

export type TermUnit = 'working_days' | 'calendar_days' | 'calendar_months';
/** A breach notice may be counted in hours (GDPR: 72) as well as in days. */
export type DeadlineUnit = TermUnit | 'hours';

/** What a deadline is for: a person's request of some type, or a duty of the operator's own, like a breach notice. */
export type DeadlineKind = RequestType | 'breach_notice';

/** C: confirmed on a public page; S: one secondary source; U: believed, not confirmed. */
export type Confidence = 'C' | 'S' | 'U';

export interface Term {
  amount: number;
  unit: TermUnit;
}

/** A term an operator's policy promises, e.g. I-License: erasure in 30 working days. */
export interface OperatorTerm extends Term {
  requestType: RequestType;
  /** The policy's own words, as the evidence of the promise. */
  source: string;
  /** How the person is told which promise sets their date; without it, the policy's words in every language. */
  citation?: PartlyLocalized;
  /** ISO dates bounding the policy; an undated term is taken as in force on the day of receipt. */
  effectiveFrom?: string;
  effectiveTo?: string;
}

export interface DeadlineQuery {
  /** 'KZ' | 'EU' | 'RU' | 'US-CA' | 'BR', or one added through jurisdiction overrides. */
  jurisdiction: string;
  requestType: RequestType;
  /** The instant of receipt. */
  receivedAt: Date;
  operatorTerms?: OperatorTerm[];
}

export interface ExtensionTerm extends Term {
  /** The reasoned notice must reach the person within this term, counted from receipt. */
  noticeWithin: Term;
  citation: Localized;
}

export interface AppliedExtension extends Term {
  citation: Localized;
  noticeAt: string;
  originalDueAt: string;
}

export interface AppliedRule {
  amount: number;
  unit: DeadlineUnit;
  /** e.g. 'KZ-94V-art25-access', or 'operator-erasure' for an operator's term. */
  id: string;
  jurisdiction: string;
  requestType: DeadlineKind;
  /**
   * Which one set the date: the statute; the jurisdiction's documented default, where the law sets no term; or the
   * operator's policy.
   */
  origin: 'statute' | 'default' | 'operator';
  /** What the person is told sets the date, per language: the statute's article or the operator's promise. */
  citation: PartlyLocalized;
  /** A statute's or default's evidence (Source); an operator's term: the policy's own words. */
  source: Source;
  confidence: Confidence;
  effectiveFrom: string;
  /** In all three languages for the statute's rules; a breach-notice rule's note is in English. */
  note?: PartlyLocalized;
  /** Where the regime allows one. */
  extension?: ExtensionTerm;
  /** Present once extend() has moved the deadline. */
  appliedExtension?: AppliedExtension;
  /**
   * Present where the rule was read from a request that keeps only the rule's id and figures (stored-rule.ts): the
   * SHA-256 of the rule as applied, and whether today's rule data, which gave the texts above, still has it.
   */
  storedAs?: { digest: string; current: boolean };
}

export interface Deadline {
  /** ISO 8601 with the local offset, e.g. '2025-01-08T23:59:59+05:00'. */
  dueAt: string;
  dueLocalDate: string;
  /** IANA, e.g. 'Asia/Almaty'. */
  timeZone: string;
  /** The instant of receipt, ISO 8601 in UTC. */
  receivedAt: string;
  receivedLocalDate: string;
  /** Where the regime asks for a separate confirmation of receipt (CCPA). */
  acknowledgeBy?: string;
  rule: AppliedRule;
}

/** One thing a breach notice must say, and the text that requires it. */
export interface NoticeContentRequirement {
  field: BreachNoticeField;
  citation: string;
  source: string;
  confidence: Confidence;
  note?: string;
}

/** When the notice to the authority is due (counted from detection, `receivedAt`), where it goes and what it must say. */
export interface BreachNoticeDeadline extends Deadline {
  authority: { en: string; ru?: string; kk?: string };
  basis: { en: string; ru?: string; kk?: string };
  content: NoticeContentRequirement[];
}

/** One transfer order: `dayOff` (a weekday) is not worked, `workingDay` (a weekend day) is. */
export interface TransferDay {
  dayOff: string;
  workingDay: string;
  basis: Source;
}

export interface CalendarUsed {
  country: string;
  name: string;
  source: Source;
  transfers: TransferDay[];
}

export interface DeadlineEngine {
  /**
   * Makes these jurisdictions' rules known, loading a shipped one's files when the engine was made with a loader (a
   * function's engine starts with its profile's jurisdictions; a request keeps the jurisdiction it was received under,
   * which a later deployment may have changed). Known ones and codes the release does not ship are left as they are:
   * the engine refuses the latter by name (UnknownJurisdictionError).
   */
  load(jurisdictions: readonly string[]): Promise<void>;
  compute(query: DeadlineQuery): Deadline;
  /** Throws NoRuleInForceError where the jurisdiction had no breach-notice duty on the local day of detection. */
  breachNotice(jurisdiction: string, detectedAt: Date): BreachNoticeDeadline;
  /** Throws ExtensionNotAllowedError or ExtensionNoticeTooLateError. */
  extend(deadline: Deadline, requestedAt: Date): Deadline;
  isWorkingDay(jurisdiction: string, localDate: string): boolean;
  /** The n-th working day after fromLocalDate (before it for negative n); fromLocalDate itself never counts. */
  addWorkingDays(jurisdiction: string, fromLocalDate: string, n: number): string;
  jurisdictions(): string[];
  /** The IANA zone a jurisdiction's days are counted in. */
  timeZone(jurisdiction: string): string;
  /**
   * The calendar a jurisdiction's days are counted on, with the transfer orders that moved a day off or a working
   * day into the local dates after `fromLocalDate` up to `toLocalDate` (the days a term was counted over).
   */
  calendarBetween(jurisdiction: string, fromLocalDate: string, toLocalDate: string): CalendarUsed;
}

/**
 * Loads the rule documents of jurisdictions an engine was not made with, and the holiday library when their calendars
 * build on it (composition.ts: the release's files, imported on demand).
 */
export type JurisdictionLoader = (jurisdictions: readonly string[]) => Promise<{ documents: RuleDocuments; baseHolidays?: BaseHolidays }>;

export interface DeadlineEngineOptions {
  /** Per country, the same shape as a calendar file; fields replace, holidays merge by id, years replace per year. */
  calendarOverrides?: unknown;
  /**
   * The holiday library a calendar with `baseHolidays` builds on. Without it such a calendar cannot count days (a
   * ConfigurationError names it); calendars of their own, as KZ's, never need it.
   */
  baseHolidays?: BaseHolidays;
}

/** Another library's public holidays of a country (date-holidays), under a calendar's own dates. */
export interface BaseHolidays {
  /** Why the library cannot serve this country (and state), or undefined when it can. */
  problem(country: string, state: string | undefined): string | undefined;
  /** The year's holidays as local dates with the library's type (public, bank, …), its own substitute days included. */
  holidays(country: string, state: string | undefined, year: number): Array<{ date: string; type: string }>;
}
