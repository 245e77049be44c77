import { Duration } from 'luxon';
import * as z from 'zod';
import en from '../../rules/messages/en.json' with { type: 'json' };
import kk from '../../rules/messages/kk.json' with { type: 'json' };
import ru from '../../rules/messages/ru.json' with { type: 'json' };
import type { RetentionRule } from '../config/profile-schema.ts';
import { onFirstUse } from './on-first-use.ts';
import { ConfigurationError, toFieldProblems, type FieldProblem } from './errors.ts';
import { fill, placeholderProblems } from './messages.ts';
import type { Language } from './request-types.ts';

/** The retention texts of rules/messages/<language>.json (section `retention`), with the placeholders each may use. */
const PLACEHOLDERS = {
  awaitingApproval: ['source', 'keepFor', 'from', 'basis', 'fingerprint'],
} as const;

const retentionTextsSchema = onFirstUse(() => {
  const text = z.string().min(1);
  return z.strictObject({
    awaitingApproval: z.strictObject({ subject: text, body: text }),
  });
});
type RetentionTexts = z.infer<ReturnType<typeof retentionTextsSchema>>;

export function parseRetentionTexts(catalog: unknown, source: string): RetentionTexts {
  const parsed = z.object({ retention: retentionTextsSchema() }).safeParse(catalog);
  if (!parsed.success) throw new ConfigurationError(source, toFieldProblems(parsed.error.issues));
  const texts = parsed.data.retention;
  const problems: FieldProblem[] = [];
  for (const [name, allowed] of Object.entries(PLACEHOLDERS)) {
    for (const [part, value] of Object.entries(texts[name as keyof typeof PLACEHOLDERS])) {
      problems.push(...placeholderProblems(value, allowed, `retention.${name}.${part}`));
    }
  }
  if (problems.length) throw new ConfigurationError(source, problems);
  return texts;
}

const catalogs = onFirstUse(
  (): Record<Language, RetentionTexts> => ({
    ru: parseRetentionTexts(ru, 'rules/messages/ru.json'),
    kk: parseRetentionTexts(kk, 'rules/messages/kk.json'),
    en: parseRetentionTexts(en, 'rules/messages/en.json'),
  }),
);

/** Validates the shipped texts of every language (throws ConfigurationError naming the file and field). */
export function checkRetentionTexts(): void {
  catalogs();
}

/** The operator's mail that a new or changed retention rule waits for approval, in `language`. */
export function awaitingApprovalMail(language: Language, values: { source: string; keepFor: RetentionRule['keepFor']; from: string; basis: string; fingerprint: string }) {
  const { subject, body } = catalogs()[language].awaitingApproval;
  const filled = { ...values, keepFor: Duration.fromObject({ [values.keepFor.unit]: values.keepFor.amount }).reconfigure({ locale: language }).toHuman({ unitDisplay: 'long' }) };
  return { subject: fill(subject, filled), text: fill(body, filled) };
}
