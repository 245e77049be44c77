/**
 * The deadline engine: working-day calendars and jurisdiction rules as validated, effective-dated
 * data (rules/calendars, rules/jurisdictions), and pure helpers for reminders and escalation.
 */
export { createDeadlineEngine, shippedStatuteRule } from './engine.ts';
export { appliedRuleDigest, ruleFromStored, storedRule, withoutStoredAs, type StatuteRuleLookup, type StoredStatuteRule } from './stored-rule.ts';
export { needsBaseHolidays } from './rule-data.ts';
export { loadShippedRules, SHIPPED_JURISDICTION_CODES, type RuleDocuments } from './rule-files.ts';
export { answerBy, escalationSchedule, riskFlags, escalationPolicySchema } from './escalation.ts';
export { formatInstant } from './local-time.ts';
export type { EscalationKind, EscalationPolicy, EscalationStep } from './escalation.ts';
export { ExtensionNoticeTooLateError, ExtensionNotAllowedError, NoRuleInForceError, RulesNotLoadedError, UnknownJurisdictionError } from './errors.ts';
export { deadlineSchemas } from './schemas.ts';
export type {
  AppliedExtension,
  AppliedRule,
  BaseHolidays,
  BreachNoticeDeadline,
  CalendarUsed,
  Confidence,
  Deadline,
  DeadlineKind,
  DeadlineUnit,
  DeadlineEngine,
  DeadlineEngineOptions,
  DeadlineQuery,
  JurisdictionLoader,
  ExtensionTerm,
  NoticeContentRequirement,
  OperatorTerm,
  Term,
  TransferDay,
  TermUnit,
} from './types.ts';
