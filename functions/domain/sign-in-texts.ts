import * as z from './schema.ts';
import { ConfigurationError, toFieldProblems, UnsupportedLanguageError } from './errors.ts';
import { onFirstLoad, onFirstUse } from './on-first-use.ts';
import { LANGUAGES, type Language } from './request-types.ts';

const TEXT_KEYS = [
  'title', 'languageNav', 'emailLabel', 'passwordLabel', 'signIn', 'newPasswordIntro', 'newPasswordLabel', 'repeatPasswordLabel', 'setPassword',
  'mfaSetupIntro', 'secretLabel', 'uriLabel', 'codeLabel', 'verifyCode', 'mfaIntro', 'signedOut', 'signedIn',
  'errorCredentials', 'errorLocked', 'errorTemporaryExpired', 'errorPasswordPolicy', 'errorPasswordsDiffer', 'errorCode', 'errorSession', 'errorUnavailable',
] as const;
export type SignInTexts = Record<(typeof TEXT_KEYS)[number], string>;

/**
 * The sign-in page's words (rules/sign-in/<language>.json), every one in every language: checked when a language is
 * loaded (its file a chunk of its own, imported when the page is first asked for in it), and by checkSignInTexts where
 * derbes starts (`cdk synth`, `npm start`).
 */
const signInSchema = onFirstUse(() => z.strictObject(Object.fromEntries(TEXT_KEYS.map((key) => [key, z.string().check(z.trim(), z.minLength(1))])) as Record<(typeof TEXT_KEYS)[number], z.ZodMiniString>));

function parseSignInTexts(texts: unknown, language: Language): SignInTexts {
  const parsed = signInSchema().safeParse(texts);
  if (!parsed.success) throw new ConfigurationError(`rules/sign-in/${language}.json`, toFieldProblems(parsed.error.issues));
  return parsed.data;
}

/** Validates the texts of every language in these files (throws ConfigurationError naming the file and field). */
export function checkSignInTexts(files: Record<Language, unknown>): void {
  for (const language of LANGUAGES) parseSignInTexts(files[language], language);
}

const signInTextsByLanguage = onFirstLoad((language: Language) =>
  import(`../../rules/sign-in/${language}.json`, { with: { type: 'json' } }).then((file: { default: unknown }) => parseSignInTexts(file.default, language)),
);

/** A language's sign-in texts, imported and validated once per process. */
export async function loadSignInTexts(language: Language): Promise<SignInTexts> {
  if (!LANGUAGES.includes(language)) throw new UnsupportedLanguageError(String(language), LANGUAGES);
  return signInTextsByLanguage.load(language);
}
