import * as z from '../schema.ts';
import { onFirstUse } from '../on-first-use.ts';
import { ConfigurationError, toFieldProblems, type FieldProblem } from '../errors.ts';
import { loadMessageCatalogue, loadedMessageCatalogue, messageCatalogueFile } from '../message-catalogues.ts';
import { fill, messagesFor } from '../messages.ts';
import type { EscalationKind } from '../deadlines/index.ts';
import { LANGUAGES, type Language } from '../request-types.ts';
import { BREACH_NOTICE_FIELDS } from './notice-fields.ts';

/**
 * The breach texts of rules/messages/<language>.json (section `breach`): the notice to the authority, the mail to
 * affected people and the operator's alerts. Each placeholder a text uses must be one it may use; checked on first
 * use, and by checkBreachTexts where derbes starts (`cdk synth`, `npm start`).
 */
const PLACEHOLDERS = {
  'notice.intro': ['detectedAt'],
  'notice.signature': ['name'],
  'notice.generated': ['at'],
  'personMail.subject': ['reference'],
  'personMail.body': ['reference', 'greetingName', 'operator', 'detectedAt', 'data', 'operatorText', 'contact'],
  'operatorAlert.subject': ['reference', 'alert'],
  'operatorAlert.body': ['reference', 'detectedAt', 'authority', 'dueAt', 'alert', 'jurisdiction'],
  'heldAlert.subject': ['reference'],
  'heldAlert.body': ['reference', 'count', 'hours'],
} as const;

const ALERT_KINDS = ['operator_reminder', 'operator_last_day', 'interim_answer', 'overdue'] as const satisfies readonly EscalationKind[];
const breachTextsSchema = onFirstUse(() => {
  const text = z.string().check(z.minLength(1));
  return z.strictObject({
    notice: z.strictObject({
      title: text,
      to: text,
      from: text,
      bin: text,
      address: text,
      contact: text,
      reference: text,
      basis: text,
      dueAt: text,
      intro: text,
      fields: z.strictObject(Object.fromEntries(BREACH_NOTICE_FIELDS.map((field) => [field, text])) as Record<(typeof BREACH_NOTICE_FIELDS)[number], typeof text>),
      iin: text,
      phone: text,
      email: text,
      position: text,
      notProvided: text,
      noSubjects: text,
      signature: text,
      generated: text,
    }),
    personMail: z.strictObject({ subject: text, body: text }),
    operatorAlert: z.strictObject({ subject: text, body: text }),
    heldAlert: z.strictObject({ subject: text, body: text }),
    alerts: z.strictObject(Object.fromEntries(ALERT_KINDS.map((kind) => [kind, text])) as Record<(typeof ALERT_KINDS)[number], typeof text>),
  });
});
export type BreachTexts = z.infer<ReturnType<typeof breachTextsSchema>>;

export function parseBreachTexts(catalog: unknown, source: string): BreachTexts {
  const parsed = z.object({ breach: breachTextsSchema() }).safeParse(catalog);
  if (!parsed.success) throw new ConfigurationError(source, toFieldProblems(parsed.error.issues));
  const texts = parsed.data.breach;
  const problems: FieldProblem[] = [];
  const allText = (value: unknown, path: string): Array<[string, string]> =>
    typeof value === 'string' ? [[path, value]] : Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => allText(inner, path ? `${path}.${key}` : key));
  for (const [path, value] of allText(texts, '')) {
    const allowed: readonly string[] = PLACEHOLDERS[path as keyof typeof PLACEHOLDERS] ?? [];
    for (const [, name] of value.matchAll(/\{(\w+)\}/g)) {
      if (!allowed.includes(name!)) problems.push({ field: `breach.${path}`, message: `unknown placeholder {${name}}` });
    }
  }
  if (problems.length) throw new ConfigurationError(source, problems);
  return texts;
}

const parsed = new Map<Language, BreachTexts>();

/** Validates the texts of every language in these catalogues (throws ConfigurationError naming the file and field). */
export function checkBreachTexts(catalogues: Record<Language, unknown>): void {
  for (const language of LANGUAGES) parseBreachTexts(catalogues[language], messageCatalogueFile(language));
}

/** A language's breach texts, its catalogue loaded first (once per process). */
export async function loadBreachTexts(language: Language): Promise<ReturnType<typeof breachTexts>> {
  await loadMessageCatalogue(language);
  return breachTexts(language);
}

/** A loaded language's texts (message-catalogues.ts), validated on first use; TextsNotLoadedError if not loaded. */
export function breachTexts(language: Language) {
  let texts = parsed.get(language);
  if (!texts) {
    texts = parseBreachTexts(loadedMessageCatalogue(language), messageCatalogueFile(language));
    parsed.set(language, texts);
  }
  return {
    texts,
    fill,
    /** An instant as the reader reads it, in the zone the deadline was computed in, named as in every other mail. */
    date: messagesFor(language).date,
    /** A list as running text says it in the language. */
    list: messagesFor(language).list,
  };
}
