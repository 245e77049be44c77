import { z } from 'zod';
import { DateTime } from 'luxon';
import en from '../../rules/messages/en.json' with { type: 'json' };
import ru from '../../rules/messages/ru.json' with { type: 'json' };
import kk from '../../rules/messages/kk.json' with { type: 'json' };
import { ConfigurationError, toFieldProblems, type FieldProblem } from './errors.ts';
import { REQUEST_TYPES, type Language, type RequestType } from './request-types.ts';

/** Placeholders each text may use; a catalogue that names another one is refused at load. */
const MAIL_PLACEHOLDERS = {
  receipt: ['reference', 'greetingName', 'operator', 'receivedAt', 'types', 'dueAt', 'rule', 'contact'],
  verification: ['reference', 'greetingName', 'link', 'expiresAt', 'operator'],
  answer: ['reference', 'greetingName', 'receivedAt', 'types', 'sections', 'operator', 'contact'],
  refusal: ['reference', 'greetingName', 'receivedAt', 'types', 'reason', 'rule', 'operator', 'contact'],
  interimAnswer: ['reference', 'greetingName', 'receivedAt', 'types', 'dueAt', 'operator', 'contact'],
  extension: ['reference', 'greetingName', 'receivedAt', 'types', 'reason', 'dueAt', 'rule', 'operator', 'contact'],
  progressNotice: ['reference', 'greetingName', 'receivedAt', 'types', 'dueAt', 'operator', 'contact'],
  closedUnverified: ['reference', 'greetingName', 'receivedAt', 'dueAt', 'operator', 'contact'],
  operatorAlert: ['reference', 'types', 'receivedAt', 'dueAt', 'alert', 'detail'],
  /** To the person when a request is stuck on a failure of ours at the safety margin: nothing the submitter typed. */
  delayNotice: ['reference', 'receivedAt', 'types', 'dueAt', 'operator', 'contact'],
  operatorAttention: ['reference', 'types', 'receivedAt', 'dueAt', 'step', 'code'],
  operatorWorkflowStopped: ['reference', 'types', 'receivedAt', 'dueAt', 'status'],
} as const;
/** The sections an answer is made of, one per thing done (or not done) for the person. */
const ANSWER_PLACEHOLDERS = {
  noRecords: [],
  sourceFailed: ['source'],
  access: ['records', 'purposes', 'sources', 'retention', 'recipients'],
  crossBorder: ['countries', 'description'],
  noRecipients: [],
  consentHistory: ['consents'],
  rectification: ['fields', 'sources'],
  blocking: ['sources'],
  unblocking: ['sources'],
  erasure: ['sources'],
  kept: ['source', 'basis'],
  consentWithdrawal: ['purposes'],
  marketingOptOut: [],
  processorsTold: ['processors'],
  claim: ['decision'],
  nothingDone: [],
  packageLinks: ['htmlLink', 'jsonLink', 'expiresAt'],
} as const;
const PAGE_PLACEHOLDERS = {
  formTitle: [], formIntro: [], typeLabel: [], emailLabel: [], nameLabel: [], languageLabel: [], submit: [],
  submitted: ['reference', 'dueAt'], confirmTitle: [], confirmIntro: [], confirmButton: [],
  confirmed: ['reference'], invalidLink: [], error: ['message'], changesLabel: [],
  downloadTitle: [], downloadIntro: [], downloadButton: [], downloadInvalid: [],
} as const;

export type MailTemplate = keyof typeof MAIL_PLACEHOLDERS;
export type PageText = keyof typeof PAGE_PLACEHOLDERS;
export type AnswerText = keyof typeof ANSWER_PLACEHOLDERS;

const text = z.string().min(1);
const record = <K extends string>(keys: readonly K[], value: z.ZodType) =>
  z.strictObject(Object.fromEntries(keys.map((k) => [k, value])) as Record<K, z.ZodType>);

const CatalogSchema = z.strictObject({
  language: text,
  dateFormat: text,
  types: record(REQUEST_TYPES, text),
  mail: record(Object.keys(MAIL_PLACEHOLDERS) as MailTemplate[], z.strictObject({ subject: text, body: text })),
  answer: record(Object.keys(ANSWER_PLACEHOLDERS) as AnswerText[], z.string()),
  pages: record(Object.keys(PAGE_PLACEHOLDERS) as PageText[], text),
  /** Breach notices and alerts: validated by domain/breaches/texts.ts. */
  breach: z.unknown(),
});

interface Catalog {
  language: string;
  dateFormat: string;
  types: Record<RequestType, string>;
  mail: Record<MailTemplate, { subject: string; body: string }>;
  answer: Record<AnswerText, string>;
  pages: Record<PageText, string>;
}

function placeholderProblems(value: string, allowed: readonly string[], field: string): FieldProblem[] {
  const used = [...value.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  return used.filter((name) => !allowed.includes(name)).map((name) => ({ field, message: `unknown placeholder {${name}}` }));
}

/** Validates one language's catalogue: shape first, then that every placeholder is one its text may use. */
export function parseCatalog(json: unknown, source: string): Catalog {
  const parsed = CatalogSchema.safeParse(json);
  if (!parsed.success) throw new ConfigurationError(source, toFieldProblems(parsed.error.issues));
  const catalog = parsed.data as Catalog;
  const problems: FieldProblem[] = [];
  for (const [name, allowed] of Object.entries(MAIL_PLACEHOLDERS)) {
    const mail = catalog.mail[name as MailTemplate];
    problems.push(...placeholderProblems(mail.subject, allowed, `mail.${name}.subject`));
    problems.push(...placeholderProblems(mail.body, allowed, `mail.${name}.body`));
  }
  for (const [name, allowed] of Object.entries(ANSWER_PLACEHOLDERS)) {
    problems.push(...placeholderProblems(catalog.answer[name as AnswerText], allowed, `answer.${name}`));
  }
  for (const [name, allowed] of Object.entries(PAGE_PLACEHOLDERS)) {
    problems.push(...placeholderProblems(catalog.pages[name as PageText], allowed, `pages.${name}`));
  }
  if (problems.length) throw new ConfigurationError(source, problems);
  return catalog;
}

const catalogs: Record<Language, Catalog> = {
  en: parseCatalog(en, 'rules/messages/en.json'),
  ru: parseCatalog(ru, 'rules/messages/ru.json'),
  kk: parseCatalog(kk, 'rules/messages/kk.json'),
};

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
}

export function messagesFor(language: Language) {
  const catalog = catalogs[language];
  return {
    languageName: catalog.language,
    typeName: (type: RequestType) => catalog.types[type],
    typeNames: (types: readonly RequestType[]) => types.map((t) => catalog.types[t]).join('; '),
    mail: (name: MailTemplate, values: Record<string, string>) => ({
      subject: fill(catalog.mail[name].subject, values),
      text: fill(catalog.mail[name].body, values),
    }),
    answer: (name: AnswerText, values: Record<string, string> = {}) => fill(catalog.answer[name], values),
    page: (name: PageText, values: Record<string, string> = {}) => fill(catalog.pages[name], values),
    /** A date as the person reads it, in the time zone the deadline was computed in. */
    date: (iso: string, timeZone: string) =>
      `${DateTime.fromISO(iso, { zone: timeZone }).setLocale(language).toFormat(catalog.dateFormat)} (${timeZone})`,
  };
}
export type Messages = ReturnType<typeof messagesFor>;
