import * as z from '../schema.ts';
import { BreachNoticeFieldSchema } from '../breaches/notice-fields.ts';
import { localizedSchema, sourceSchema } from '../localized.ts';
import { onFirstUse } from '../on-first-use.ts';
import { LanguageSchema, RequestTypeSchema, REQUEST_TYPES } from '../request-types.ts';
import { isLocalDate, isoWeekday, isTimeZone, yearOf } from './local-time.ts';
import type { OperatorTerm } from './types.ts';

/**
 * Schemas of the rule data (rules/calendars/*.json, rules/jurisdictions/*.json), of their
 * overrides and of the operator's terms. Objects are strict, so a misspelt field is refused rather
 * than silently ignored.
 */

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** ISO weekday number (1 = Monday) of a weekday name. */
export function weekdayNumber(day: Weekday): number {
  return WEEKDAYS.indexOf(day) + 1;
}

const HOLIDAY_TYPES = ['public', 'bank', 'optional', 'school', 'observance'] as const;

/** The schemas, built on first use (see onFirstUse): every function bundles this module, and most never parse rule data. */
function buildDeadlineSchemas() {
  const LocalizedSchema = localizedSchema();
  const ConfidenceSchema = z.enum(['C', 'S', 'U']);
  const TermUnitSchema = z.enum(['working_days', 'calendar_days', 'calendar_months']);

  const LocalDateSchema = z.string().check(z.refine(isLocalDate, { message: 'must be a real date written YYYY-MM-DD' }));
  const TextSchema = z.string().check(z.trim(), z.minLength(1));
  const RegionCodeSchema = z.string().check(z.regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, { message: "must be a code like 'KZ' or 'US-CA'" }));
  const YearKeySchema = z.string().check(z.regex(/^\d{4}$/, { message: 'must be a four-digit year' }));

  const TermSchema = z.strictObject({
    amount: z.int().check(z.positive()),
    unit: TermUnitSchema,
  });

  // ---------------------------------------------------------------- calendars

  const WeekdaySchema = z.enum(WEEKDAYS);

  /** What happens when a holiday falls on a weekend day: Law 267-II Art. 5 moves public holidays, not religious ones. */
  const OnWeekendSchema = z.enum(['next_working_day', 'no_substitute']);

  const RecurringHolidaySchema = z.strictObject({
    id: TextSchema,
    name: TextSchema,
    monthDay: z
      .string()
      .check(z.refine((monthDay) => /^\d{2}-\d{2}$/.test(monthDay) && isLocalDate(`2000-${monthDay}`), {
        message: 'must be a real month and day written MM-DD',
      })),
    onWeekend: OnWeekendSchema,
    fromYear: z.optional(z.int()),
    toYear: z.optional(z.int()),
    source: TextSchema,
    confidence: ConfidenceSchema,
    note: z.optional(TextSchema),
  });

  const DatedHolidaySchema = z.strictObject({
    date: LocalDateSchema,
    name: TextSchema,
    onWeekend: OnWeekendSchema,
    note: z.optional(TextSchema),
  });

  /** A transfer order makes one weekday a day off and one weekend day a working day. */
  const TransferSchema = z.strictObject({
    dayOff: LocalDateSchema,
    workingDay: LocalDateSchema,
    /** Shown in the evidence pack in its language, like the calendar's source. */
    basis: sourceSchema(),
  });

  /** Everything announced for one year; an override of a year replaces the shipped year whole. */
  const CalendarYearSchema = z.strictObject({
    source: TextSchema,
    confidence: ConfidenceSchema,
    note: z.optional(TextSchema),
    holidays: z.array(DatedHolidaySchema),
    transfers: z.array(TransferSchema),
  });

  /**
   * Holidays of another library under the file's own data; KZ does without. Whether the library knows the country is
   * checked by the deadline engine that is given the library (see DeadlineEngineOptions.baseHolidays).
   */
  const BaseHolidaysSchema = z.strictObject({
    provider: z.literal('date-holidays'),
    country: z.string(),
    state: z.optional(z.string()),
    types: z.array(z.enum(HOLIDAY_TYPES)).check(z.minLength(1)),
  });

  const CalendarFields = z.strictObject({
    country: RegionCodeSchema,
    name: TextSchema,
    timeZone: z.string().check(z.refine(isTimeZone, { message: 'must be an IANA time zone, e.g. Asia/Almaty' })),
    weekend: z.array(WeekdaySchema).check(z.minLength(1), z.maxLength(6)),
    /** Shown in the evidence pack in its language (see sourceSchema). */
    source: sourceSchema(),
    confidence: ConfidenceSchema,
    note: z.optional(TextSchema),
    baseHolidays: z.optional(BaseHolidaysSchema),
    holidays: z.array(RecurringHolidaySchema),
    years: z.record(YearKeySchema, CalendarYearSchema),
  });

  const CalendarSchema = CalendarFields.check(z.superRefine((calendar, context) => {
    const weekend = new Set(calendar.weekend.map(weekdayNumber));
    const isWeekend = (date: string) => weekend.has(isoWeekday(date));
    const seenIds = new Set<string>();
    calendar.holidays.forEach((holiday, index) => {
      if (seenIds.has(holiday.id)) {
        context.addIssue({ code: 'custom', path: ['holidays', index, 'id'], message: `duplicate id '${holiday.id}'` });
      }
      seenIds.add(holiday.id);
      if (holiday.fromYear !== undefined && holiday.toYear !== undefined && holiday.toYear < holiday.fromYear) {
        context.addIssue({ code: 'custom', path: ['holidays', index, 'toYear'], message: 'must not precede fromYear' });
      }
    });
    for (const [year, entry] of Object.entries(calendar.years)) {
      const outsideYear = (date: string) => yearOf(date) !== Number(year);
      entry.holidays.forEach((holiday, index) => {
        if (outsideYear(holiday.date)) {
          context.addIssue({ code: 'custom', path: ['years', year, 'holidays', index, 'date'], message: `must fall in ${year}` });
        }
      });
      entry.transfers.forEach((transfer, index) => {
        const path = ['years', year, 'transfers', index];
        if (outsideYear(transfer.dayOff)) {
          context.addIssue({ code: 'custom', path: [...path, 'dayOff'], message: `must fall in ${year}` });
        } else if (isWeekend(transfer.dayOff)) {
          context.addIssue({ code: 'custom', path: [...path, 'dayOff'], message: `${transfer.dayOff} is already a weekend day` });
        }
        if (outsideYear(transfer.workingDay)) {
          context.addIssue({ code: 'custom', path: [...path, 'workingDay'], message: `must fall in ${year}` });
        } else if (!isWeekend(transfer.workingDay)) {
          context.addIssue({
            code: 'custom',
            path: [...path, 'workingDay'],
            message: `${transfer.workingDay} is a weekday; a transfer makes a weekend day (${calendar.weekend.join(', ')}) a working day`,
          });
        }
      });
    }
  }));

  /** calendarOverrides: per country, any part of a calendar file. */
  const CalendarOverridesSchema = z.record(RegionCodeSchema, z.partial(CalendarFields)).check(z.superRefine((overrides, context) => {
    for (const [country, override] of Object.entries(overrides)) {
      if (override.country !== undefined && override.country !== country) {
        context.addIssue({ code: 'custom', path: [country, 'country'], message: `must be '${country}' as its key says` });
      }
    }
  }));

  // ------------------------------------------------------------ jurisdictions

  // Citations and notes are read by the person (in their language) and by the operator: each in ru, kk and en.
  const ExtensionSchema = z.strictObject({
    ...TermSchema.shape,
    noticeWithin: TermSchema,
    citation: LocalizedSchema,
  });

  const AcknowledgementSchema = z.strictObject({
    ...TermSchema.shape,
    citation: LocalizedSchema,
  });

  const StatuteRuleSchema = z.strictObject({
    id: TextSchema,
    requestType: RequestTypeSchema,
    ...TermSchema.shape,
    /**
     * Whether the law sets this term (`statute`) or sets none and the rule data applies a documented default
     * (`default`, reasoned in the citation and note): the evidence pack and the console say which.
     */
    origin: z.enum(['statute', 'default']),
    citation: LocalizedSchema,
    source: sourceSchema(),
    confidence: ConfidenceSchema,
    note: z.optional(LocalizedSchema),
    extension: z.optional(ExtensionSchema),
    acknowledgement: z.optional(AcknowledgementSchema),
  });

  /** The rules in force together; a request is governed by the set in force on its local day of receipt. */
  const RuleSetSchema = z.strictObject({
    id: TextSchema,
    name: TextSchema,
    effectiveFrom: LocalDateSchema,
    /** The last day in force, inclusive; open-ended when absent. */
    effectiveTo: z.optional(LocalDateSchema),
    source: TextSchema,
    note: z.optional(LocalizedSchema),
    rules: z.array(StatuteRuleSchema),
  });

  // ------------------------------------------------------- breach notices

  /** A breach notice is counted from detection: in working or calendar days (due at the end of the day), or in hours. */
  const NoticeTermUnitSchema = z.enum(['working_days', 'calendar_days', 'hours']);

  /** One thing the notice must say, with the text that requires it. */
  const NoticeContentSchema = z.strictObject({
    field: BreachNoticeFieldSchema,
    citation: TextSchema,
    source: TextSchema,
    confidence: ConfidenceSchema,
    note: z.optional(TextSchema),
  });

  /** The duty to notify the authority of a personal-data breach, as in force between two dates. */
  const BreachNoticeRuleSchema = z.strictObject({
    id: TextSchema,
    effectiveFrom: LocalDateSchema,
    effectiveTo: z.optional(LocalDateSchema),
    amount: z.int().check(z.positive()),
    unit: NoticeTermUnitSchema,
    /** The body the notice goes to, named as the operator files it: in English, and in Russian and Kazakh where known. */
    authority: z.strictObject({ en: TextSchema, ru: z.optional(TextSchema), kk: z.optional(TextSchema) }),
    /** The legal basis as the notice itself cites it, in the same languages. */
    basis: z.strictObject({ en: TextSchema, ru: z.optional(TextSchema), kk: z.optional(TextSchema) }),
    citation: TextSchema,
    source: TextSchema,
    confidence: ConfidenceSchema,
    note: z.optional(TextSchema),
    content: z.array(NoticeContentSchema).check(z.minLength(1)),
  });

  const JurisdictionFields = z.strictObject({
    jurisdiction: RegionCodeSchema,
    name: TextSchema,
    calendar: RegionCodeSchema,
    ruleSets: z.array(RuleSetSchema).check(z.minLength(1)),
    /** Where the regime has one: the term and content of a breach notice to its authority, effective-dated. */
    breachNotice: z.optional(z.array(BreachNoticeRuleSchema)),
  });

  const JurisdictionSchema = JurisdictionFields.check(z.superRefine((jurisdiction, context) => {
    const ruleIds = new Set<string>();
    const setIds = new Set<string>();
    jurisdiction.ruleSets.forEach((ruleSet, setIndex) => {
      const path = ['ruleSets', setIndex];
      if (setIds.has(ruleSet.id)) context.addIssue({ code: 'custom', path: [...path, 'id'], message: `duplicate id '${ruleSet.id}'` });
      setIds.add(ruleSet.id);
      if (ruleSet.effectiveTo !== undefined && ruleSet.effectiveTo < ruleSet.effectiveFrom) {
        context.addIssue({ code: 'custom', path: [...path, 'effectiveTo'], message: 'must not precede effectiveFrom' });
      }
      const covered = new Set<string>();
      ruleSet.rules.forEach((rule, ruleIndex) => {
        if (ruleIds.has(rule.id)) {
          context.addIssue({ code: 'custom', path: [...path, 'rules', ruleIndex, 'id'], message: `duplicate id '${rule.id}'` });
        }
        ruleIds.add(rule.id);
        if (covered.has(rule.requestType)) {
          context.addIssue({
            code: 'custom',
            path: [...path, 'rules', ruleIndex, 'requestType'],
            message: `a second rule for '${rule.requestType}' in this rule set`,
          });
        }
        covered.add(rule.requestType);
      });
      const missing = REQUEST_TYPES.filter((type) => !covered.has(type));
      if (missing.length) {
        context.addIssue({ code: 'custom', path: [...path, 'rules'], message: `no rule for ${missing.join(', ')}` });
      }
    });
    const noticeIds = new Set<string>();
    (jurisdiction.breachNotice ?? []).forEach((rule, index) => {
      const path = ['breachNotice', index];
      if (noticeIds.has(rule.id)) context.addIssue({ code: 'custom', path: [...path, 'id'], message: `duplicate id '${rule.id}'` });
      noticeIds.add(rule.id);
      if (rule.effectiveTo !== undefined && rule.effectiveTo < rule.effectiveFrom) {
        context.addIssue({ code: 'custom', path: [...path, 'effectiveTo'], message: 'must not precede effectiveFrom' });
      }
      const fields = rule.content.map((item) => item.field);
      fields.forEach((field, i) => {
        if (fields.indexOf(field) !== i) context.addIssue({ code: 'custom', path: [...path, 'content', i, 'field'], message: `'${field}' listed twice` });
      });
    });
    addOverlapIssues(jurisdiction.breachNotice ?? [], 'breachNotice', context);
    addOverlapIssues(jurisdiction.ruleSets, 'ruleSets', context);
  }));

  // ------------------------------------------------------------ operator terms

  /** For operator profiles, which carry their policy's terms. */
  const OperatorTermSchema: z.ZodMiniType<OperatorTerm> = z
    .strictObject({
      requestType: RequestTypeSchema,
      ...TermSchema.shape,
      /** The policy's own words, as the evidence of the promise. */
      source: TextSchema,
      /** How the person is told which promise sets their date, per language the profile answers in. */
      citation: z.optional(z.partialRecord(LanguageSchema, TextSchema)),
      effectiveFrom: z.optional(LocalDateSchema),
      effectiveTo: z.optional(LocalDateSchema),
    })
    .check(z.refine((term) => !term.effectiveFrom || !term.effectiveTo || term.effectiveFrom <= term.effectiveTo, {
      path: ['effectiveTo'],
      message: 'must not precede effectiveFrom',
    }));

  const DeadlineQuerySchema = z.object({
    jurisdiction: z.string().check(z.minLength(1)),
    requestType: RequestTypeSchema,
    receivedAt: z.date(),
    operatorTerms: z.optional(z.array(OperatorTermSchema)),
  });

  return { ConfidenceSchema, LocalDateSchema, RecurringHolidaySchema, CalendarSchema, CalendarOverridesSchema, StatuteRuleSchema, RuleSetSchema, BreachNoticeRuleSchema, JurisdictionSchema, OperatorTermSchema, DeadlineQuerySchema };
}

export const deadlineSchemas = onFirstUse(buildDeadlineSchemas);
type DeadlineSchemas = ReturnType<typeof buildDeadlineSchemas>;

export type CalendarData = z.infer<DeadlineSchemas['CalendarSchema']>;
export type RecurringHoliday = z.infer<DeadlineSchemas['RecurringHolidaySchema']>;
export type JurisdictionData = z.infer<DeadlineSchemas['JurisdictionSchema']>;
export type BreachNoticeRule = z.infer<DeadlineSchemas['BreachNoticeRuleSchema']>;
export type RuleSet = z.infer<DeadlineSchemas['RuleSetSchema']>;
export type StatuteRule = z.infer<DeadlineSchemas['StatuteRuleSchema']>;

/** Effective-dated entries of one list must not overlap: on any day at most one is in force. */
export function addOverlapIssues(entries: ReadonlyArray<{ id: string; effectiveFrom: string; effectiveTo?: string | undefined }>, list: string, context: z.core.$RefinementCtx): void {
  const byStart = entries.map((entry, index) => ({ entry, index })).sort((a, b) => a.entry.effectiveFrom.localeCompare(b.entry.effectiveFrom));
  byStart.slice(1).forEach(({ entry, index }, position) => {
    const previous = byStart[position]?.entry;
    if (previous && (previous.effectiveTo === undefined || previous.effectiveTo >= entry.effectiveFrom)) {
      context.addIssue({ code: 'custom', path: [list, index, 'effectiveFrom'], message: `overlaps '${previous.id}'; close it with an effectiveTo before ${entry.effectiveFrom}` });
    }
  });
}
