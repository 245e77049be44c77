import * as z from './schema.ts';
import { onFirstUse } from './on-first-use.ts';
import { LANGUAGES, type Language } from './request-types.ts';

/** A text in every language derbes answers in; rule data (citations, notes, refusal grounds) must carry all three. */
export const localizedSchema = onFirstUse(() =>
  z.strictObject({
    ru: z.string().check(z.trim(), z.minLength(1)),
    kk: z.string().check(z.trim(), z.minLength(1)),
    en: z.string().check(z.trim(), z.minLength(1)),
  }),
);
export type Localized = z.infer<ReturnType<typeof localizedSchema>>;

/**
 * Where a rule or a refusal ground comes from — its evidence, shown beside it in the evidence pack and the console:
 * web addresses (separated by "; "), the same in every language, or words, which must then be in ru, kk and en so that
 * a Russian or Kazakh reader does not meet English prose.
 */
export const sourceSchema = onFirstUse(() =>
  z.union(
    [
      z.string().check(z.regex(/^https:\/\/[^\s;]+(; https:\/\/[^\s;]+)*$/)),
      localizedSchema(),
    ],
    { error: 'web addresses separated by "; ", or, where the source is told in words, the words in ru, kk and en' },
  ),
);
export type Source = z.infer<ReturnType<typeof sourceSchema>>;

/** A text in some languages: an operator's own words exist in the languages its profile offers. */
export type PartlyLocalized = Partial<Record<Language, string>>;

/**
 * The text in the wanted language, else the first one there is. A plain string is a text in one language only:
 * a citation stored with a request before citations were kept in three languages reads back as one.
 */
export function inLanguage(text: PartlyLocalized | string, language: Language): string {
  if (typeof text === 'string') return text;
  return text[language] ?? LANGUAGES.map((l) => text[l]).find(Boolean) ?? '';
}
