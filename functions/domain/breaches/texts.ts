import { DateTime } from 'luxon';
import * as z from 'zod';
import en from '../../../rules/messages/en.json' with { type: 'json' };
import kk from '../../../rules/messages/kk.json' with { type: 'json' };
import ru from '../../../rules/messages/ru.json' with { type: 'json' };
import { onFirstUse } from '../on-first-use.ts';
import { ConfigurationError, toFieldProblems, type FieldProblem } from '../errors.ts';
import { fill } from '../messages.ts';
import type { EscalationKind } from '../deadlines/index.ts';
import type { Language } from '../request-types.ts';
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
  'personMail.body': ['reference', 'greetingName', 'operator', 'detectedAt', 'operatorText', 'contact'],
  'operatorAlert.subject': ['reference', 'alert'],
  'operatorAlert.body': ['reference', 'detectedAt', 'authority', 'dueAt', 'alert', 'jurisdiction'],
  'heldAlert.subject': ['reference'],
  'heldAlert.body': ['reference', 'count', 'hours'],
} as const;

const ALERT_KINDS = ['operator_reminder', 'operator_last_day', 'interim_answer', 'overdue'] as const satisfies readonly EscalationKind[];
const breachTextsSchema = onFirstUse(() => {
  const text = z.string().min(1);
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
  const parsed = z.object({ breach: breachTextsSchema(), dateFormat: z.string().min(1) }).safeParse(catalog);
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

const catalogs = onFirstUse(
  (): Record<Language, { texts: BreachTexts; dateFormat: string }> => ({
    ru: { texts: parseBreachTexts(ru, 'rules/messages/ru.json'), dateFormat: ru.dateFormat },
    kk: { texts: parseBreachTexts(kk, 'rules/messages/kk.json'), dateFormat: kk.dateFormat },
    en: { texts: parseBreachTexts(en, 'rules/messages/en.json'), dateFormat: en.dateFormat },
  }),
);

/** Validates the shipped texts of every language (throws ConfigurationError naming the file and field). */
export function checkBreachTexts(): void {
  catalogs();
}

export function breachTexts(language: Language) {
  const { texts, dateFormat } = catalogs()[language];
  return {
    texts,
    fill,
    /** An instant as the reader reads it, in the zone the deadline was computed in. */
    date: (iso: string, timeZone: string) => `${DateTime.fromISO(iso, { zone: timeZone }).setLocale(language).toFormat(dateFormat)} (${timeZone})`,
  };
}
