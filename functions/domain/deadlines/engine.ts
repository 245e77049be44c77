import { ValidationError, toFieldProblems } from '../errors.ts';
import { inLanguage } from '../localized.ts';
import { WorkingCalendar } from './calendar.ts';
import { ExtensionNoticeTooLateError, ExtensionNotAllowedError, NoRuleInForceError, UnknownJurisdictionError } from './errors.ts';
import { endOfLocalDay, formatInstant, isLocalDate, localDateOf, parseInstant } from './local-time.ts';
import { loadRuleData, shippedJurisdiction } from './rule-data.ts';
import type { RuleDocuments } from './rule-files.ts';
import { deadlineSchemas, type JurisdictionData, type RuleSet, type StatuteRule } from './schemas.ts';
import type { AppliedRule, BreachNoticeDeadline, Deadline, DeadlineEngine, DeadlineEngineOptions, DeadlineQuery, JurisdictionLoader, OperatorTerm } from './types.ts';

const MS_PER_HOUR = 3_600_000;

interface Jurisdiction {
  data: JurisdictionData;
  calendar: WorkingCalendar;
}

/**
 * Validates the rule documents (a function's: its jurisdictions' files, loadShippedRules; the checks' and the tests':
 * every shipped one, shipped.ts) with the calendar overrides and counts by them; throws ConfigurationError.
 */
export function createDeadlineEngine(options: DeadlineEngineOptions, documents: RuleDocuments, loader?: JurisdictionLoader): DeadlineEngine {
  let { baseHolidays } = options;
  const calendars = new Map<string, WorkingCalendar>();
  const jurisdictions = new Map<string, Jurisdiction>();
  /** Calendars built on the holiday library made before the engine had it: no known jurisdiction counts in them yet. */
  const withoutLibrary = new Set<string>();
  function add(more: RuleDocuments): void {
    const ruleData = loadRuleData({ ...options, baseHolidays }, more);
    for (const [country, data] of ruleData.calendars) {
      if (calendars.has(country) && !(withoutLibrary.has(country) && baseHolidays)) continue;
      calendars.set(country, new WorkingCalendar(data, baseHolidays));
      if (data.baseHolidays && !baseHolidays) withoutLibrary.add(country);
      else withoutLibrary.delete(country);
    }
    for (const [code, data] of ruleData.jurisdictions) {
      const calendar = calendars.get(data.calendar);
      if (calendar && !jurisdictions.has(code)) jurisdictions.set(code, { data, calendar }); // loadRuleData has checked every calendar exists
    }
  }
  add(documents);

  function jurisdictionOf(code: string): Jurisdiction {
    const jurisdiction = jurisdictions.get(code);
    if (!jurisdiction) throw new UnknownJurisdictionError(code, [...jurisdictions.keys()]);
    return jurisdiction;
  }

  function requireLocalDate(localDate: string): void {
    if (!isLocalDate(localDate)) {
      throw new ValidationError([{ field: 'localDate', message: 'must be a real date written YYYY-MM-DD' }], 'local date');
    }
  }

  /** The latest instant of the local day a term ends on. */
  function dueAtEndOf(calendar: WorkingCalendar, localDate: string): string {
    return formatInstant(endOfLocalDay(localDate, calendar.timeZone), calendar.timeZone);
  }

  return {
    async load(codes) {
      const missing = [...new Set(codes)].filter((code) => !jurisdictions.has(code));
      if (!missing.length || !loader) return;
      const loaded = await loader(missing);
      baseHolidays ??= loaded.baseHolidays;
      add(loaded.documents);
    },

    jurisdictions: () => [...jurisdictions.keys()],

    timeZone: (code) => jurisdictionOf(code).calendar.timeZone,

    isWorkingDay(code, localDate) {
      requireLocalDate(localDate);
      return jurisdictionOf(code).calendar.isWorkingDay(localDate);
    },

    calendarBetween(code, fromLocalDate, toLocalDate) {
      requireLocalDate(fromLocalDate);
      requireLocalDate(toLocalDate);
      return jurisdictionOf(code).calendar.between(fromLocalDate, toLocalDate);
    },

    addWorkingDays(code, fromLocalDate, n) {
      requireLocalDate(fromLocalDate);
      if (!Number.isInteger(n)) throw new ValidationError([{ field: 'n', message: 'must be an integer' }], 'working-day count');
      return jurisdictionOf(code).calendar.addWorkingDays(fromLocalDate, n);
    },

    compute(query: DeadlineQuery): Deadline {
      const parsed = deadlineSchemas().DeadlineQuerySchema.safeParse(query);
      if (!parsed.success) throw new ValidationError(toFieldProblems(parsed.error.issues), 'deadline query');
      const { jurisdiction: code, requestType, receivedAt, operatorTerms = [] } = parsed.data;
      const { data, calendar } = jurisdictionOf(code);
      const receivedLocalDate = localDateOf(receivedAt, calendar.timeZone);
      const ruleSet = ruleSetInForce(data, receivedLocalDate);
      const statuteRule = ruleSet.rules.find((rule) => rule.requestType === requestType);
      if (!statuteRule) throw new NoRuleInForceError(code, receivedLocalDate); // validation makes every set complete

      // The jurisdiction's rule (statute or default) comes first, so on equal dates it is the one cited.
      const candidates = [
        { rule: fromStatute(code, ruleSet, statuteRule), term: statuteRule },
        ...operatorTerms
          .filter((term) => term.requestType === requestType && isInForce(term, receivedLocalDate))
          .map((term) => ({ rule: fromOperator(code, term, receivedLocalDate), term })),
      ].map(({ rule, term }) => ({ rule, dueLocalDate: calendar.addTerm(receivedLocalDate, term) }));
      const governing = candidates.reduce((earliest, candidate) =>
        candidate.dueLocalDate < earliest.dueLocalDate ? candidate : earliest,
      );

      const acknowledgement = governing.rule.origin === 'operator' ? undefined : statuteRule.acknowledgement;
      return {
        dueAt: dueAtEndOf(calendar, governing.dueLocalDate),
        dueLocalDate: governing.dueLocalDate,
        timeZone: calendar.timeZone,
        receivedAt: receivedAt.toISOString(),
        receivedLocalDate,
        ...(acknowledgement && { acknowledgeBy: dueAtEndOf(calendar, calendar.addTerm(receivedLocalDate, acknowledgement)) }),
        rule: governing.rule,
      };
    },

    breachNotice(code: string, detectedAt: Date): BreachNoticeDeadline {
      if (!(detectedAt instanceof Date) || Number.isNaN(detectedAt.getTime())) {
        throw new ValidationError([{ field: 'detectedAt', message: 'must be a valid instant' }], 'breach notice query');
      }
      const { data, calendar } = jurisdictionOf(code);
      const detectedLocalDate = localDateOf(detectedAt, calendar.timeZone);
      const rule = (data.breachNotice ?? []).find((candidate) => isInForce(candidate, detectedLocalDate));
      if (!rule) throw new NoRuleInForceError(code, detectedLocalDate, 'breach-notice duty');
      // Hours run from the instant of detection; days, like a request's, from its local day, to the end of the last one.
      const due =
        rule.unit === 'hours'
          ? formatInstant(new Date(detectedAt.getTime() + rule.amount * MS_PER_HOUR), calendar.timeZone)
          : dueAtEndOf(calendar, calendar.addTerm(detectedLocalDate, { amount: rule.amount, unit: rule.unit }));
      return {
        dueAt: due,
        dueLocalDate: localDateOf(parseInstant(due), calendar.timeZone),
        timeZone: calendar.timeZone,
        receivedAt: detectedAt.toISOString(),
        receivedLocalDate: detectedLocalDate,
        authority: rule.authority,
        basis: rule.basis,
        content: rule.content,
        rule: {
          id: rule.id,
          jurisdiction: code,
          requestType: 'breach_notice',
          amount: rule.amount,
          unit: rule.unit,
          origin: 'statute',
          // The operator's own record of the duty, in English; the notice itself cites `basis` in its language.
          citation: { en: rule.citation },
          source: rule.source,
          confidence: rule.confidence,
          effectiveFrom: rule.effectiveFrom,
          ...(rule.note && { note: { en: rule.note } }),
        },
      };
    },

    /**
     * Counts the extension on from the original due date, which is never later than counting the
     * whole term from receipt (31 Jan + 1 month + 2 months ends 28 Apr, not 30 Apr).
     */
    extend(deadline: Deadline, requestedAt: Date): Deadline {
      const { rule } = deadline;
      if (!rule.extension) {
        // A default's citation says the law sets no term at all; a statute's names the law that sets this one.
        const why = rule.origin === 'default' ? 'the law sets no term for it (derbes applies a default), and so no extension' : `no extension is provided for (${inLanguage(rule.citation, 'en')})`;
        throw new ExtensionNotAllowedError(rule.id, why);
      }
      if (rule.appliedExtension) throw new ExtensionNotAllowedError(rule.id, 'the deadline is already extended');
      if (Number.isNaN(requestedAt.getTime()) || requestedAt < parseInstant(deadline.receivedAt)) {
        throw new ValidationError([{ field: 'requestedAt', message: 'must be a valid instant after receipt' }], 'extension');
      }
      const { calendar } = jurisdictionOf(rule.jurisdiction);
      const noticeDueAt = dueAtEndOf(calendar, calendar.addTerm(deadline.receivedLocalDate, rule.extension.noticeWithin));
      if (requestedAt > parseInstant(noticeDueAt)) throw new ExtensionNoticeTooLateError(rule.id, noticeDueAt);

      const dueLocalDate = calendar.addTerm(deadline.dueLocalDate, rule.extension);
      return {
        ...deadline,
        dueAt: dueAtEndOf(calendar, dueLocalDate),
        dueLocalDate,
        rule: {
          ...rule,
          appliedExtension: {
            amount: rule.extension.amount,
            unit: rule.extension.unit,
            citation: rule.extension.citation,
            noticeAt: formatInstant(requestedAt, calendar.timeZone),
            originalDueAt: deadline.dueAt,
          },
        },
      };
    },
  };
}

function ruleSetInForce(jurisdiction: JurisdictionData, localDate: string): RuleSet {
  const ruleSet = jurisdiction.ruleSets.find((candidate) => isInForce(candidate, localDate));
  if (!ruleSet) throw new NoRuleInForceError(jurisdiction.jurisdiction, localDate);
  return ruleSet;
}

function isInForce(dated: { effectiveFrom?: string | undefined; effectiveTo?: string | undefined }, localDate: string): boolean {
  return (dated.effectiveFrom ?? localDate) <= localDate && localDate <= (dated.effectiveTo ?? localDate);
}

/** The rule with this id in a jurisdiction's data, as compute() applies it; undefined where the data has no such rule. */
export function appliedStatuteRule(code: string, jurisdiction: JurisdictionData, id: string): AppliedRule | undefined {
  for (const ruleSet of jurisdiction.ruleSets) {
    const rule = ruleSet.rules.find((candidate) => candidate.id === id);
    if (rule) return fromStatute(code, ruleSet, rule);
  }
  return undefined;
}

/**
 * The rule with this id in the release's own rule data (rules/jurisdictions), as compute() applies it: what a request
 * that keeps only its rule's id reads its texts from. Each jurisdiction's document is validated once, when first asked.
 */
export function shippedStatuteRule(code: string, id: string): AppliedRule | undefined {
  const jurisdiction = shippedJurisdiction(code);
  return jurisdiction && appliedStatuteRule(code, jurisdiction, id);
}

function fromStatute(jurisdiction: string, ruleSet: RuleSet, rule: StatuteRule): AppliedRule {
  return {
    id: rule.id,
    jurisdiction,
    requestType: rule.requestType,
    amount: rule.amount,
    unit: rule.unit,
    origin: rule.origin,
    citation: rule.citation,
    source: rule.source,
    confidence: rule.confidence,
    effectiveFrom: ruleSet.effectiveFrom,
    ...(rule.note && { note: rule.note }),
    ...(rule.extension && { extension: rule.extension }),
  };
}

/** An operator's promise is its own text; it carries no extension, since the policy offers none. */
function fromOperator(jurisdiction: string, term: OperatorTerm, receivedLocalDate: string): AppliedRule {
  return {
    id: `operator-${term.requestType}`,
    jurisdiction,
    requestType: term.requestType,
    amount: term.amount,
    unit: term.unit,
    origin: 'operator',
    citation: term.citation ?? { ru: term.source, kk: term.source, en: term.source },
    source: term.source,
    confidence: 'C',
    effectiveFrom: term.effectiveFrom ?? receivedLocalDate,
  };
}
