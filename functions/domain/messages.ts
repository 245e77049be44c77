import * as z from './schema.ts';
import { dateFormatProblem, formatInZone, formatLocalDate, localDateOf, parseInstant, startOfLocalDay } from './deadlines/local-time.ts';
import { ConfigurationError, toFieldProblems, type FieldProblem } from './errors.ts';
import { loadMessageCatalogue, loadedMessageCatalogue, messageCatalogueFile } from './message-catalogues.ts';
import { onFirstUse } from './on-first-use.ts';
import { CHANNELS, ENTERED_CHANNELS, REQUEST_STATUSES, type Channel, type DataSubjectRequest, type EnteredChannel, type RequestStatus } from './request.ts';
import { NOTICE_TYPES, type NoticeType } from './request-policy.ts';
import { LANGUAGES, REQUEST_TYPES, type Language, type RequestType } from './request-types.ts';
import { EXECUTION_STATUSES, WORKFLOW_STEPS, type ExecutionStatus, type WorkflowStep } from './workflow-steps.ts';

/**
 * Placeholders each text may use; a catalogue that names another one is refused at load. The mails that go to an
 * address before it is confirmed (the receipt with its link, the closing notice) take no value the submitter typed —
 * not even a name — so derbes cannot be made to mail someone's words to anyone.
 */
const MAIL_PLACEHOLDERS = {
  receipt: ['reference', 'operator', 'receivedAt', 'types', 'dueAt', 'rule', 'link', 'expiresAt', 'contact'],
  receiptUnclear: ['reference', 'operator', 'receivedAt', 'dueAt', 'rule', 'link', 'expiresAt', 'contact'],
  /**
   * The receipt of mail whose erasure or withdrawal names particular data (erasesParticularData): it said what it
   * asks for, and a person at the company reads it before anything is destroyed.
   */
  receiptParticular: ['reference', 'operator', 'receivedAt', 'dueAt', 'rule', 'link', 'expiresAt', 'contact'],
  /**
   * The receipt of a request taken by phone, post or in person whose identity the operator checked: its address counts
   * as confirmed from entry (the person gave it to the operator), so it is mailed with no link and greets by name.
   */
  receiptEntered: ['reference', 'greetingName', 'operator', 'receivedAt', 'types', 'term', 'contact', 'channel'],
  /**
   * The receipt of a request taken by phone, post or in person whose identity the person confirms by the link, as on
   * the web: how it was made and when (not "sent in the name of this address"), in fixed words like any receipt.
   */
  receiptEnteredLink: ['reference', 'operator', 'receivedAt', 'types', 'term', 'link', 'expiresAt', 'contact', 'channel'],
  answer: ['reference', 'greetingName', 'receivedAt', 'types', 'sections', 'operator', 'contact'],
  refusal: ['reference', 'greetingName', 'receivedAt', 'types', 'reason', 'basis', 'operator', 'contact'],
  interimAnswer: ['reference', 'greetingName', 'receivedAt', 'types', 'dueAt', 'operator', 'contact'],
  extension: ['reference', 'greetingName', 'receivedAt', 'types', 'reason', 'dueAt', 'rule', 'operator', 'contact'],
  progressNotice: ['reference', 'greetingName', 'receivedAt', 'types', 'dueAt', 'operator', 'contact'],
  /** The operator's own words to the person (only to a confirmed address). */
  operatorMessage: ['reference', 'greetingName', 'receivedAt', 'types', 'message', 'operator', 'contact'],
  /** Mail an operator found to be no request, closed with their own words to the person (only to a confirmed address). */
  notARequest: ['reference', 'greetingName', 'receivedAt', 'message', 'operator', 'contact'],
  /** The first reply from a confirmed address joined its request: in fixed words, once per request. */
  replyReceived: ['reference', 'greetingName', 'operator', 'contact'],
  /**
   * A reply to the receipt of a request whose address has not confirmed its link: replying confirms nothing. In
   * fixed words, like the receipt it answers (nothing the submitter typed).
   */
  replyBeforeConfirmation: ['reference', 'expiresAt', 'operator', 'contact'],
  closedUnverified: ['reference', 'receivedAt', 'dueAt', 'operator', 'contact'],
  /** The operator's mails link to the request in the console (`console`), and name the command line's commands too. */
  operatorAlert: ['reference', 'types', 'receivedAt', 'dueAt', 'status', 'alert', 'detail', 'console', 'commands'],
  /** To the person when a request is stuck on a failure of ours at the safety margin: nothing the submitter typed. */
  delayNotice: ['reference', 'receivedAt', 'types', 'dueAt', 'operator', 'contact'],
  operatorAttention: ['reference', 'types', 'receivedAt', 'dueAt', 'status', 'step', 'stepId', 'code', 'console'],
  operatorWorkflowStopped: ['reference', 'types', 'receivedAt', 'dueAt', 'status', 'execution', 'console'],
  processorNotice: ['reference', 'controller', 'action', 'type', 'submittedAt', 'email', 'contact'],
  /**
   * Mail intake held mail back (no check vouched for its sender, or past the mail limits): once an hour at most,
   * linking to the list of held mail in the console (`console`), which keeps each mail `days` days.
   */
  operatorMailHeld: ['console', 'days'],
  /**
   * Past limits.thirdPartyAlertsPerHour (`max`) alerts about mail from other senders in an hour, the one digest for
   * the rest of it, linking to the console (`console`).
   */
  operatorThirdPartyMail: ['console', 'max'],
} as const;

/**
 * What the receipt of an entered request says of the answer's date (`term`): the due date and its rule, or — entered
 * too late to keep it — that date, that it cannot be kept, and the date promised instead (Entry.promisedBy).
 */
const RECEIPT_TERM_PLACEHOLDERS = {
  due: ['dueAt', 'rule'],
  late: ['dueAt', 'rule', 'promisedBy'],
} as const;

/** The sections an answer is made of, one per thing done (or not done) for the person. */
const ANSWER_PLACEHOLDERS = {
  access: ['records', 'purposes', 'sources', 'retention', 'recipients'],
  noRecords: [],
  noRecordsSoFar: [],
  sourceName: ['source'],
  sourceRecords: ['source', 'records'],
  /** Records another request of the person destroyed just after they were read for this one. */
  readBeforeErasure: ['reference'],
  withheld: ['field', 'reason'],
  purpose: ['purpose', 'basis'],
  source: ['source', 'categories'],
  recipient: ['name', 'role', 'country', 'purpose'],
  noRecipients: [],
  crossBorder: ['countries', 'description'],
  crossBorderUnnamed: ['description'],
  consentHistory: ['consents'],
  consentEvent: ['purpose', 'event', 'at', 'details'],
  consentTermEnds: ['until'],
  consentRequest: ['reference'],
  rectification: ['changes', 'sources'],
  change: ['field', 'value'],
  blocking: ['sources'],
  unblocking: ['sources'],
  erasure: ['sources'],
  erasureAnonymised: ['sources'],
  withdrawalBlocked: ['sources'],
  withdrawalErased: ['sources'],
  withdrawalAnonymised: ['sources'],
  unsubscribed: ['sources'],
  consentRecorded: ['sources'],
  marketingRecorded: ['sources'],
  nothingToRectify: [],
  nothingToBlock: [],
  nothingToUnblock: [],
  nothingToErase: [],
  fieldErasure: ['erased'],
  fieldsErasedIn: ['source', 'fields'],
  nothingToEraseFields: [],
  notSubscribed: [],
  kept: ['source', 'basis'],
  keptFor: ['source', 'basis', 'term'],
  consentWithdrawal: ['purposes'],
  consentRefusalRecorded: ['purposes'],
  consentNoLongerProcessed: [],
  consentNotToBeProcessed: [],
  marketingOptOut: [],
  processorsTold: ['processors'],
  processorsToldNothingHeld: ['processors'],
  processorsNotTold: ['processors'],
  claim: ['decision'],
  operatorAnswer: ['answer'],
  sourceFailed: ['source', 'types'],
  packageLinks: ['htmlLink', 'jsonLink', 'expiresAt'],
} as const;

/** What the operator is told, and why, in the operator's language. */
const ALERT_PLACEHOLDERS = {
  decisionNeeded: ['reasons', 'grounds'],
  decisionOverdue: ['round', 'rounds', 'reasons'],
  partialAnswer: ['sources'],
  reminder: [],
  lastDay: [],
  safetyMargin: [],
  overdue: [],
  promisedDateOverdue: ['dueAt', 'promisedBy'],
  processorsNotTold: ['processors'],
  attentionAtMargin: ['step', 'stepId', 'code'],
  mailBudgetReached: ['max', 'pool'],
  thirdPartyMail: ['max'],
  replyAfterAnswer: [],
} as const;

const REVIEW_REASON_PLACEHOLDERS = {
  unclear: [],
  particularData: [],
  claim: [],
  profile: ['type'],
  rectificationWithoutChanges: [],
  rectificationUndeclared: [],
} as const;

const PAGE_PLACEHOLDERS = {
  formTitle: [], formIntro: [], typeLabel: [], emailLabel: [], nameLabel: [], messageLabel: [], messageHint: ['max'], changesLegend: [], languageLabel: [], submit: [],
  submitted: ['reference', 'dueAt'], confirmTitle: [], confirmTitleSeveral: [],
  confirmRequest: ['reference', 'types', 'channel', 'receivedAt', 'dueAt'], confirmUnclassified: ['reference', 'types', 'channel', 'receivedAt', 'dueAt'], confirmFields: ['type', 'fields'],
  confirmIntro: [], confirmChoose: [], confirmOnce: [], confirmButton: [], confirmed: ['reference', 'dueAt'], confirmedSeveral: [], confirmedDue: ['reference', 'types', 'dueAt'], confirmedNotOther: ['reference'], confirmedNotOthers: ['references'], confirmNothingTicked: [], confirmUnreadable: [],
  disownIntro: [], disownOneIntro: [], disownButton: [], disownOneButton: [], disowned: ['references'], disownedOne: ['reference'], invalidLink: ['contact'], linkIncomplete: ['contact'], error: ['message'],
  problemsIntro: [], problemTypes: [], problemEmail: ['max'], problemName: ['max'], problemMessage: ['max'], problemClaimMessage: [], problemCorrectionMessage: [], problemLanguage: [], problemFormBody: [], problemFormTooManyFields: ['limit'], problemFormTooLong: ['limit'],
  attachmentsLabel: [], attachmentsHint: ['files', 'types', 'size', 'total'], problemAttachmentsTooMany: ['files'], problemAttachmentTooLarge: ['name', 'size'],
  problemAttachmentsTotal: ['size'], problemAttachmentType: ['name', 'types'], problemAttachmentEmpty: ['name'],
  problemChangeText: ['max'], problemChangePhone: [], problemChangeEmail: [], problemChangeDate: [], problemChangeIin: [], problemChangeUnknown: [], problemUnknownField: ['field'], problemUnknownFieldMore: ['field', 'more'], problemField: ['field'],
  downloadTitle: [], downloadIntroHtml: [], downloadIntroJson: [], downloadButton: [], downloadInvalid: ['contact'],
} as const;

/** Headings and column names of the access package page. */
const PACKAGE_TEXTS = [
  'title', 'intro', 'data', 'noData', 'purposes', 'purpose', 'basis', 'sources', 'source', 'categories', 'retention',
  'recipients', 'recipient', 'role', 'country', 'what', 'crossBorder', 'consents', 'event', 'evidence', 'field', 'value', 'record',
] as const;

export type MailTemplate = keyof typeof MAIL_PLACEHOLDERS;
export type PageText = keyof typeof PAGE_PLACEHOLDERS;
export type ReceiptTerm = keyof typeof RECEIPT_TERM_PLACEHOLDERS;
export type AnswerText = keyof typeof ANSWER_PLACEHOLDERS;
export type AlertKind = keyof typeof ALERT_PLACEHOLDERS;
export const ALERT_KINDS = Object.keys(ALERT_PLACEHOLDERS) as AlertKind[];
export type ReviewReasonKind = keyof typeof REVIEW_REASON_PLACEHOLDERS;
export type PackageText = (typeof PACKAGE_TEXTS)[number];

/** The derbes commands an alert offers, each with a label in the operator's language. */
export const COMMAND_LABELS = ['pending', 'approve', 'classify', 'eraseFields', 'deny', 'notARequest', 'show', 'write', 'done'] as const;
export type CommandLabel = (typeof COMMAND_LABELS)[number];
/** The consent ledger's events as the person reads them; `withdrawnNeverGiven`, a withdrawal of a consent never given (givenBefore). */
const CONSENT_EVENTS = ['granted', 'withdrawn', 'withdrawnNeverGiven', 'prolonged', 'expired'] as const;
const CONSENT_CHANNELS = ['web', 'email', 'api', 'operator'] as const;
const BUILTIN_FIELDS = ['processingBlocked', 'processingBlockedAt', 'key', 'contentType', 'size'] as const;
export type BuiltinField = (typeof BUILTIN_FIELDS)[number];

/**
 * The time zones the shipped calendars count in; each catalogue says each one as people say it
 * («по времени Астаны», not "Asia/Almaty").
 */
export const KNOWN_TIME_ZONES = ['Asia/Almaty', 'Europe/Moscow', 'Europe/Brussels', 'America/Los_Angeles', 'America/Sao_Paulo'] as const;

/** A catalogue's date format, refused at load where it holds a token the formatter does not write (deadlines/local-time.ts). */
export function dateFormatSchema() {
  return z.string().check(
    z.minLength(1),
    z.superRefine((format, context) => {
      const problem = dateFormatProblem(format);
      if (problem) context.addIssue({ code: 'custom', message: `not a date format: ${problem}`, input: format });
    }),
  );
}

/** The catalogue's schema, built on first use (see onFirstUse): every function bundles this module. */
const catalogSchema = onFirstUse(() => {
  const text = z.string().check(z.minLength(1));
  const record = <K extends string>(keys: readonly K[], value: z.ZodMiniType) =>
    z.strictObject(Object.fromEntries(keys.map((k) => [k, value])) as Record<K, z.ZodMiniType>);

  return z.strictObject({
    language: text,
    /** Date formats (tokens in deadlines/local-time.ts): an instant (with the time), and a day. */
    dateFormat: dateFormatSchema(),
    dayFormat: dateFormatSchema(),
    timeZones: record(KNOWN_TIME_ZONES, text),
    unknownCountry: text,
    yes: text,
    no: text,
    listSeparator: text,
    /** How the person is told what they asked for ("information about your personal data"). */
    types: record(REQUEST_TYPES, text),
    /**
     * What a request asks for, told to its author, when nobody could tell yet (mail no type was recognised in): in
     * words for them, never the operator's instruction to classify it.
     */
    unclassified: text,
    /** The same, said of a request rather than to its author: for the operator and for processors. */
    requestKinds: record(REQUEST_TYPES, text),
    /** How a request reached the company, as its author reads it («by e-mail»): it helps them know a request as theirs. */
    requestChannels: record(CHANNELS, text),
    /** The shares of the hour's mails to unconfirmed addresses (HourlyPool), as the operator's alert names them. */
    hourlyPools: record(['email', 'other'] as const, text),
    statuses: record(REQUEST_STATUSES, text),
    /** A workflow step as the operator reads of it in an alert, and what became of an execution that stopped. */
    workflowSteps: record(WORKFLOW_STEPS, text),
    executionStatuses: record(EXECUTION_STATUSES, text),
    roles: record(['processor', 'recipient'] as const, text),
    consentEvents: record(CONSENT_EVENTS, text),
    channels: record(CONSENT_CHANNELS, text),
    /** How the person made a request an operator entered, as its receipt says it ("by telephone"). */
    enteredChannels: record(ENTERED_CHANNELS, text),
    builtinFields: record(BUILTIN_FIELDS, text),
    mail: record(Object.keys(MAIL_PLACEHOLDERS) as MailTemplate[], z.strictObject({ subject: text, body: text })),
    receiptTerms: record(Object.keys(RECEIPT_TERM_PLACEHOLDERS) as ReceiptTerm[], text),
    answer: record(Object.keys(ANSWER_PLACEHOLDERS) as AnswerText[], text),
    alerts: record(ALERT_KINDS, z.strictObject({ title: text, detail: z.string() })),
    commandLabels: record(COMMAND_LABELS, text),
    reviewReasons: record(Object.keys(REVIEW_REASON_PLACEHOLDERS) as ReviewReasonKind[], text),
    processorActions: record(NOTICE_TYPES, text),
    /** Said to a processor after its action where the request found, changed and kept nothing in our own sources. */
    processorNothingHeld: text,
    /** A processor's action for an erasure the operator limited to particular data: which, and that the rest stays. */
    processorFieldErasure: text,
    pages: record(Object.keys(PAGE_PLACEHOLDERS) as PageText[], text),
    package: record(PACKAGE_TEXTS, text),
    /** Breach notices and alerts: validated by domain/breaches/texts.ts. */
    breach: z.unknown(),
    /** Retention alerts: validated by domain/retention-texts.ts. */
    retention: z.unknown(),
    /** The evidence pack's labels and lines: validated by domain/evidence/texts.ts. */
    evidence: z.unknown(),
  });
});

type Catalog = z.infer<ReturnType<typeof catalogSchema>> & {
  types: Record<RequestType, string>;
  requestKinds: Record<RequestType, string>;
  requestChannels: Record<Channel, string>;
  hourlyPools: Record<'email' | 'other', string>;
  statuses: Record<RequestStatus, string>;
  workflowSteps: Record<WorkflowStep, string>;
  executionStatuses: Record<ExecutionStatus, string>;
  mail: Record<MailTemplate, { subject: string; body: string }>;
  receiptTerms: Record<ReceiptTerm, string>;
  answer: Record<AnswerText, string>;
  alerts: Record<AlertKind, { title: string; detail: string }>;
  reviewReasons: Record<ReviewReasonKind, string>;
  commandLabels: Record<CommandLabel, string>;
  processorActions: Record<NoticeType, string>;
  pages: Record<PageText, string>;
  package: Record<PackageText, string>;
  timeZones: Record<(typeof KNOWN_TIME_ZONES)[number], string>;
  consentEvents: Record<(typeof CONSENT_EVENTS)[number], string>;
  channels: Record<(typeof CONSENT_CHANNELS)[number], string>;
  enteredChannels: Record<EnteredChannel, string>;
  builtinFields: Record<BuiltinField, string>;
  roles: Record<'processor' | 'recipient', string>;
};

export function placeholderProblems(value: string, allowed: readonly string[], field: string): FieldProblem[] {
  const used = [...value.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  return used.filter((name) => !allowed.includes(name)).map((name) => ({ field, message: `unknown placeholder {${name}}` }));
}

/** Validates one language's catalogue: shape first, then that every placeholder is one its text may use. */
export function parseCatalog(json: unknown, source: string): Catalog {
  const parsed = catalogSchema().safeParse(json);
  if (!parsed.success) throw new ConfigurationError(source, toFieldProblems(parsed.error.issues));
  const catalog = parsed.data as Catalog;
  const problems: FieldProblem[] = [];
  for (const [name, allowed] of Object.entries(MAIL_PLACEHOLDERS)) {
    const mail = catalog.mail[name as MailTemplate];
    problems.push(...placeholderProblems(mail.subject, allowed, `mail.${name}.subject`));
    problems.push(...placeholderProblems(mail.body, allowed, `mail.${name}.body`));
  }
  const check = <K extends string>(texts: Record<K, string>, placeholders: Record<K, readonly string[]>, prefix: string) => {
    for (const [name, allowed] of Object.entries(placeholders) as Array<[K, readonly string[]]>) {
      problems.push(...placeholderProblems(texts[name], allowed, `${prefix}.${name}`));
    }
  };
  check(catalog.answer, ANSWER_PLACEHOLDERS, 'answer');
  check(catalog.receiptTerms, RECEIPT_TERM_PLACEHOLDERS, 'receiptTerms');
  check(catalog.pages, PAGE_PLACEHOLDERS, 'pages');
  check(catalog.reviewReasons, REVIEW_REASON_PLACEHOLDERS, 'reviewReasons');
  for (const [name, allowed] of Object.entries(ALERT_PLACEHOLDERS)) {
    const alert = catalog.alerts[name as AlertKind];
    problems.push(...placeholderProblems(alert.title, [], `alerts.${name}.title`));
    problems.push(...placeholderProblems(alert.detail, allowed, `alerts.${name}.detail`));
  }
  for (const name of NOTICE_TYPES) problems.push(...placeholderProblems(catalog.processorActions[name], [], `processorActions.${name}`));
  problems.push(...placeholderProblems(catalog.processorFieldErasure, ['fields'], 'processorFieldErasure'));
  if (problems.length) throw new ConfigurationError(source, problems);
  return catalog;
}

const parsedCatalogs: Partial<Record<Language, Catalog>> = {};
/**
 * A language's catalogue, validated the first time a process renders a text in it: a function that mails in one
 * language neither loads nor validates the other two (message-catalogues.ts). checkCatalogs validates every language
 * where derbes starts — `cdk synth` and `npm start` — so a broken catalogue still stops a deploy and a start.
 */
function catalogOf(language: Language): Catalog {
  return (parsedCatalogs[language] ??= parseCatalog(loadedMessageCatalogue(language), messageCatalogueFile(language)));
}

/** Validates the catalogue of every language (throws ConfigurationError naming the file and field). */
export function checkCatalogs(catalogues: Record<Language, unknown>): void {
  for (const language of LANGUAGES) parseCatalog(catalogues[language], messageCatalogueFile(language));
}

/** The texts of a language, its catalogue loaded (once per process) and validated: what a function renders with. */
export async function loadMessages(language: Language): Promise<Messages> {
  await loadMessageCatalogue(language);
  return messagesFor(language);
}

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
}

/**
 * The texts of a language whose catalogue this process has loaded (loadMessages); TextsNotLoadedError if it has not.
 * For code that renders synchronously after its caller loaded the language.
 */
export function messagesFor(language: Language) {
  const catalog = catalogOf(language);
  const zoneName = (timeZone: string) => catalog.timeZones[timeZone as keyof Catalog['timeZones']];
  /** An instant as the person reads it, in the time zone the deadline was computed in, named as people name it. */
  const date = (iso: string, timeZone: string) => {
    const instant = parseInstant(iso);
    const local = formatInZone(instant, timeZone, catalog.dateFormat, language);
    const zone = zoneName(timeZone);
    // A zone the catalogue does not name (a jurisdiction added by override) is shown by its offset, never by its id.
    return `${local} ${zone ?? formatInZone(instant, timeZone, "'UTC'ZZ", language)}`;
  };
  /** A calendar day (a birth date, the day of an order). */
  const day = (localDate: string) => formatLocalDate(localDate, catalog.dayFormat, language);
  return {
    language,
    languageName: catalog.language,
    typeName: (type: RequestType) => catalog.types[type],
    typeNames: (types: readonly RequestType[]) => types.map((t) => catalog.types[t]).join('; '),
    /**
     * What a request asks for, as its author reads it: its types — a correction with the fields it changes, where
     * given (`corrected`, their names as the person reads them) — or, none recognised yet, their message.
     */
    askedFor: (types: readonly RequestType[], corrected: readonly string[] = []) => {
      if (!types.length) return catalog.unclassified;
      const named = (type: RequestType) =>
        type === 'rectification' && corrected.length ? fill(catalog.pages.confirmFields, { type: catalog.types[type], fields: corrected.join(catalog.listSeparator) }) : catalog.types[type];
      return types.map(named).join('; ');
    },
    requestChannel: (channel: Channel) => catalog.requestChannels[channel],
    hourlyPool: (pool: 'email' | 'other') => catalog.hourlyPools[pool],
    kindName: (type: RequestType) => catalog.requestKinds[type],
    kindNames: (types: readonly RequestType[]) => types.map((t) => catalog.requestKinds[t]).join('; '),
    statusName: (status: RequestStatus) => catalog.statuses[status],
    /** A step named by a failure; a name this release does not know (none should come) is shown as it came. */
    stepName: (step: string) => catalog.workflowSteps[step as WorkflowStep] ?? step,
    executionStatusName: (status: ExecutionStatus) => catalog.executionStatuses[status],
    roleName: (role: 'processor' | 'recipient') => catalog.roles[role],
    consentEventName: (event: (typeof CONSENT_EVENTS)[number]) => catalog.consentEvents[event],
    channelName: (channel: (typeof CONSENT_CHANNELS)[number]) => catalog.channels[channel],
    enteredChannelName: (channel: EnteredChannel) => catalog.enteredChannels[channel],
    builtinField: (field: BuiltinField) => catalog.builtinFields[field],
    yesNo: (value: boolean) => (value ? catalog.yes : catalog.no),
    /** Joins a list the way the language does in running text. */
    list: (items: readonly string[]) => items.join(catalog.listSeparator),
    /** Names of sources in running text, each in the language's quotes (their names may hold commas). */
    sourceList: (names: readonly string[]) => names.map((source) => fill(catalog.answer.sourceName, { source })).join(catalog.listSeparator),
    mail: (name: MailTemplate, values: Record<string, string>) => ({
      subject: fill(catalog.mail[name].subject, values),
      text: fill(catalog.mail[name].body, values),
    }),
    answer: (name: AnswerText, values: Record<string, string> = {}) => fill(catalog.answer[name], values),
    receiptTerm: (name: ReceiptTerm, values: Record<string, string>) => fill(catalog.receiptTerms[name], values),
    alert: (kind: AlertKind, values: Record<string, string> = {}) => ({ title: catalog.alerts[kind].title, detail: fill(catalog.alerts[kind].detail, values) }),
    commandLabel: (label: CommandLabel) => catalog.commandLabels[label],
    reviewReason: (kind: ReviewReasonKind, values: Record<string, string> = {}) => fill(catalog.reviewReasons[kind], values),
    processorAction: (type: NoticeType) => catalog.processorActions[type],
    processorNothingHeld: catalog.processorNothingHeld,
    processorFieldErasure: (fields: string) => fill(catalog.processorFieldErasure, { fields }),
    page: (name: PageText, values: Record<string, string> = {}) => fill(catalog.pages[name], values),
    packageText: (name: PackageText) => catalog.package[name],
    /** A country as people name it; ZZ (the profile's "not named in the policy") says so. */
    country: (code: string) => (code === 'ZZ' ? catalog.unknownCountry : new Intl.DisplayNames([language], { type: 'region' }).of(code) ?? code),
    date,
    day,
    /**
     * When a request was received, as the person reads it: an entered request received on a day (not at an hour: the
     * operator gave the day, kept as its start in the jurisdiction's zone) says the day alone, never "00:00".
     */
    received: (request: Pick<DataSubjectRequest, 'receivedAt' | 'entry' | 'deadline'>) => {
      const { timeZone } = request.deadline;
      const received = parseInstant(request.receivedAt);
      const localDate = localDateOf(received, timeZone);
      if (request.entry && received.getTime() === startOfLocalDay(localDate, timeZone).getTime()) return day(localDate);
      return date(request.receivedAt, timeZone);
    },
    /** An amount of money in the currency given. */
    money: (amount: number, currency: string) =>
      new Intl.NumberFormat(language, { style: 'currency', currency, currencyDisplay: 'narrowSymbol', maximumFractionDigits: 2, minimumFractionDigits: 0 }).format(amount),
    number: (value: number) => new Intl.NumberFormat(language).format(value),
  };
}
export type Messages = ReturnType<typeof messagesFor>;
