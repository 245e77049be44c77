import * as z from './schema.ts';
import type { RetentionRule } from '../config/profile-schema.ts';
import { amountInWords } from './deadlines/local-time.ts';
import { onFirstUse } from './on-first-use.ts';
import { ConfigurationError, toFieldProblems, type FieldProblem } from './errors.ts';
import { loadMessageCatalogue, loadedMessageCatalogue, messageCatalogueFile } from './message-catalogues.ts';
import { fill, placeholderProblems } from './messages.ts';
import { LANGUAGES, type Language } from './request-types.ts';

/** The retention texts of rules/messages/<language>.json (section `retention`), with the placeholders each may use. */
const PLACEHOLDERS = {
  awaitingApproval: ['source', 'keepFor', 'from', 'basis', 'fingerprint'],
} as const;

const retentionTextsSchema = onFirstUse(() => {
  const text = z.string().check(z.minLength(1));
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

const parsed = new Map<Language, RetentionTexts>();

/** Validates the texts of every language in these catalogues (throws ConfigurationError naming the file and field). */
export function checkRetentionTexts(catalogues: Record<Language, unknown>): void {
  for (const language of LANGUAGES) parseRetentionTexts(catalogues[language], messageCatalogueFile(language));
}

/** A loaded language's texts (message-catalogues.ts), validated on first use; TextsNotLoadedError if not loaded. */
function retentionTexts(language: Language): RetentionTexts {
  let texts = parsed.get(language);
  if (!texts) parsed.set(language, (texts = parseRetentionTexts(loadedMessageCatalogue(language), messageCatalogueFile(language))));
  return texts;
}

/** The operator's mail that a new or changed retention rule waits for approval, in `language`. */
export async function awaitingApprovalMail(language: Language, values: { source: string; keepFor: RetentionRule['keepFor']; from: string; basis: string; fingerprint: string }) {
  await loadMessageCatalogue(language);
  const { subject, body } = retentionTexts(language).awaitingApproval;
  const filled = { ...values, keepFor: amountInWords(values.keepFor.amount, values.keepFor.unit, language) };
  return { subject: fill(subject, filled), text: fill(body, filled) };
}
