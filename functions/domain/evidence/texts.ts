import * as z from '../schema.ts';
import { WITHHELD_REASONS } from '../audit.ts';
import type { ChainCheck } from '../audit-chain.ts';
import type { DeadlineUnit } from '../deadlines/index.ts';
import { onFirstUse } from '../on-first-use.ts';
import { ConfigurationError, toFieldProblems, type FieldProblem } from '../errors.ts';
import { loadedMessageCatalogue, messageCatalogueFile } from '../message-catalogues.ts';
import { placeholderProblems } from '../messages.ts';
import { HELD_REASONS } from '../held-mail.ts';
import { SOURCE_STEPS } from '../request-policy.ts';
import { LANGUAGES, type Language } from '../request-types.ts';
import type { SesVerdicts, Verdict } from '../email/types.ts';

/**
 * The evidence pack's texts, rules/messages/<language>.json (section `evidence`): section headings, labels, fixed
 * values and lines with placeholders. Every key the pack uses is required in every language, and each line may use
 * only its own placeholders; checked on first use, and by checkEvidenceTexts where derbes starts (`cdk synth`, `npm start`).
 */
export const EVIDENCE_SECTIONS = ['request', 'arrived', 'verification', 'deadline', 'decisions', 'sources', 'processors', 'mails', 'answer', 'chain'] as const;
export type EvidenceSection = (typeof EVIDENCE_SECTIONS)[number];

const LABELS = [
  'operator', 'bin', 'address', 'contact', 'reference', 'types', 'channel', 'receivedAt', 'status', 'language', 'closedAt',
  'sha256', 'verdicts', 'outcome', 'attachments', 'formFiles', 'how', 'requestedAt', 'expiresAt', 'confirmedAt',
  'rule', 'citation', 'term', 'origin', 'ruleSource', 'ruleDigest', 'dueAt', 'promisedBy', 'calendar', 'calendarSource', 'transfers', 'extension', 'extensionReason',
  'decisionAsked', 'classified', 'decidedAt', 'decidedBy', 'enteredAt', 'enteredBy', 'heldBecause', 'admittedAt', 'admittedBy', 'attestedBy', 'attestation',
  'closedAsNotARequest', 'closedBy', 'toldThePerson', 'wordsMailedAt', 'decision', 'basis', 'reason', 'attempt', 'outcomes', 'erasureLimitedTo', 'erasedFields',
  'noticeType', 'delivered', 'attempts', 'signature', 'kind', 'messageId', 'mailSha256',
  'answeredAt', 'margin', 'chainResult', 'digest', 'digestSha256',
] as const;

const VALUES = [
  'web', 'email', 'phone', 'post', 'in_person', 'statute', 'defaultTerm', 'operatorTerm', 'approved', 'refused', 'notARequest', 'yes', 'no', 'none', 'noRawMessage', 'linkByMail', 'attestedByOperator',
  ...HELD_REASONS,
  'notVerified', 'noDecision', 'noSources', 'noProcessors', 'noMail', 'notAnswered', 'closedAsNotARequest', 'noWordsMailed', 'termNotApplied', 'passedNotForSender', 'notAnchored', 'writtenBasis', 'kept', 'webhook', 'noResultAfterRetries',
] as const;

const LINE_PLACEHOLDERS = {
  mailArrived: ['at'],
  /** An entered request (phone, post, in person): there is no raw mail, and the pack says how it came instead. */
  noRawMessageEntered: ['channel'],
  mailWithheld: ['at', 'kind', 'reason'],
  leftUnticked: ['at'],
  disowned: ['at'],
  transfer: ['dayOff', 'workingDay', 'basis'],
  term: ['amount', 'unit'],
  ruleDataSame: ['digest'],
  ruleDataChanged: ['digest'],
  extended: ['at', 'from', 'to', 'citation'],
  decisionAsked: ['at', 'reasons'],
  classified: ['at', 'types', 'by'],
  sourceApplied: ['at', 'source'],
  sourceFailed: ['at', 'source', 'error'],
  processorTold: ['at', 'processor'],
  mailSent: ['at', 'kind'],
  onTime: ['hours'],
  late: ['hours'],
  stillOpen: ['hours'],
  overdue: ['hours'],
  verified: ['events'],
  broken: ['seq', 'problem'],
  anchored: ['key', 'day', 'seq'],
  done: ['count'],
  operatorKey: ['id'],
} as const;

/** The mails derbes sends, as the pack names their kinds (the templates of domain/messages.ts). */
export const MAIL_KINDS = [
  'receipt', 'receiptUnclear', 'receiptParticular', 'receiptEntered', 'receiptEnteredLink', 'answer', 'refusal', 'interimAnswer', 'extension', 'progressNotice', 'operatorMessage', 'notARequest',
  'replyReceived', 'replyBeforeConfirmation', 'closedUnverified', 'operatorAlert', 'delayNotice', 'operatorAttention', 'operatorWorkflowStopped', 'processorNotice',
] as const;

/**
 * How intake took a mail (use-cases/receive-email.ts: the outcome recorded with `mail.received`); `third_party`, a
 * mail under the request's reference not shown to be the person's. (Held mail joins no request.)
 */
export const MAIL_OUTCOMES = ['request', 'triage', 'reply', 'third_party', 'drop', 'reject'] as const;

/** The receiving mail server's checks (domain/email: SesVerdicts) and their verdicts, as the pack names them. */
const VERDICT_CHECKS = ['spam', 'virus', 'spf', 'dkim', 'dmarc'] as const satisfies ReadonlyArray<keyof SesVerdicts>;
const VERDICTS = ['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED'] as const satisfies readonly Verdict[];

const UNITS = ['working_days', 'calendar_days', 'calendar_months', 'hours'] as const satisfies readonly DeadlineUnit[];
const PROBLEMS = ['changed', 'missing', 'out_of_order', 'missing_at_end', 'differs_from_digest', 'no_head'] as const satisfies ReadonlyArray<Extract<ChainCheck, { verified: false }>['broken']['problem']>;

const evidenceTextsSchema = onFirstUse(() => {
  const text = z.string().check(z.minLength(1));
  const keyed = <K extends string>(keys: readonly K[]) => z.strictObject(Object.fromEntries(keys.map((key) => [key, text])) as Record<K, typeof text>);

  return z.strictObject({
    title: text,
    intro: text,
    footer: text,
    sections: keyed(EVIDENCE_SECTIONS),
    labels: keyed(LABELS),
    values: keyed(VALUES),
    lines: keyed(Object.keys(LINE_PLACEHOLDERS) as Array<keyof typeof LINE_PLACEHOLDERS>),
    units: keyed(UNITS),
    steps: keyed(SOURCE_STEPS),
    mailOutcomes: keyed(MAIL_OUTCOMES),
    /** Why a mail was not sent (`mail.withheld`). */
    withheldReasons: keyed(WITHHELD_REASONS),
    verdictChecks: keyed(VERDICT_CHECKS),
    verdicts: keyed(VERDICTS),
    mailKinds: keyed(MAIL_KINDS),
    problems: keyed(PROBLEMS),
    /** The language a request was written in, named in the pack's language. */
    languages: keyed(LANGUAGES),
    /** The report per period's chart (domain/report.ts). */
    report: keyed(['title', 'description', 'byType', 'outcomes', 'onTime', 'late', 'open', 'abandoned', 'notARequest'] as const),
  });
});
export type EvidenceTexts = z.infer<ReturnType<typeof evidenceTextsSchema>>;

const REPORT_PLACEHOLDERS = {
  title: ['from', 'to'],
  description: ['requests', 'onTime', 'late', 'open', 'abandoned', 'notARequest'],
  byType: [],
  outcomes: [],
  onTime: [],
  late: [],
  open: [],
  abandoned: [],
  notARequest: [],
} as const;

const TOP_PLACEHOLDERS = { title: ['reference'], intro: ['operator', 'reference'], footer: ['at'] } as const;

export function parseEvidenceTexts(catalog: unknown, source: string): EvidenceTexts {
  const parsed = z.object({ evidence: evidenceTextsSchema() }).safeParse(catalog);
  if (!parsed.success) throw new ConfigurationError(source, toFieldProblems(parsed.error.issues));
  const texts = parsed.data.evidence;
  const problems: FieldProblem[] = [];
  for (const [name, allowed] of Object.entries(TOP_PLACEHOLDERS)) problems.push(...placeholderProblems(texts[name as keyof typeof TOP_PLACEHOLDERS], allowed, `evidence.${name}`));
  for (const [name, allowed] of Object.entries(LINE_PLACEHOLDERS)) problems.push(...placeholderProblems(texts.lines[name as keyof typeof LINE_PLACEHOLDERS], allowed, `evidence.lines.${name}`));
  // Labels, values and names are said as they are: none may ask for a value.
  for (const [name, allowed] of Object.entries(REPORT_PLACEHOLDERS)) problems.push(...placeholderProblems(texts.report[name as keyof typeof texts.report], allowed, `evidence.report.${name}`));
  for (const group of ['sections', 'labels', 'values', 'units', 'steps', 'mailOutcomes', 'withheldReasons', 'verdictChecks', 'verdicts', 'mailKinds', 'problems', 'languages'] as const) {
    for (const [name, value] of Object.entries(texts[group])) problems.push(...placeholderProblems(value as string, [], `evidence.${group}.${name}`));
  }
  if (problems.length) throw new ConfigurationError(source, problems);
  return texts;
}

const parsed = new Map<Language, EvidenceTexts>();

/** Validates the texts of every language in these catalogues (throws ConfigurationError naming the file and field). */
export function checkEvidenceTexts(catalogues: Record<Language, unknown>): void {
  for (const language of LANGUAGES) parseEvidenceTexts(catalogues[language], messageCatalogueFile(language));
}

/** A loaded language's texts (message-catalogues.ts), validated on first use; TextsNotLoadedError if not loaded. */
export function evidenceTexts(language: Language): EvidenceTexts {
  let texts = parsed.get(language);
  if (!texts) parsed.set(language, (texts = parseEvidenceTexts(loadedMessageCatalogue(language), messageCatalogueFile(language))));
  return texts;
}
