import * as z from 'zod';
import en from '../../rules/sign-in/en.json' with { type: 'json' };
import kk from '../../rules/sign-in/kk.json' with { type: 'json' };
import ru from '../../rules/sign-in/ru.json' with { type: 'json' };
import { ConfigurationError, toFieldProblems } from './errors.ts';
import { onFirstUse } from './on-first-use.ts';
import type { Language } from './request-types.ts';

const TEXT_KEYS = [
  'title', 'languageNav', 'emailLabel', 'passwordLabel', 'signIn', 'newPasswordIntro', 'newPasswordLabel', 'repeatPasswordLabel', 'setPassword',
  'mfaSetupIntro', 'secretLabel', 'uriLabel', 'codeLabel', 'verifyCode', 'mfaIntro', 'signedOut', 'signedIn',
  'errorCredentials', 'errorLocked', 'errorTemporaryExpired', 'errorPasswordPolicy', 'errorPasswordsDiffer', 'errorCode', 'errorSession', 'errorUnavailable',
] as const;
export type SignInTexts = Record<(typeof TEXT_KEYS)[number], string>;

/**
 * The sign-in page's words (rules/sign-in/<language>.json), every one in every language: checked on first use, and by
 * checkSignInTexts where derbes starts (`cdk synth`, `npm start`).
 */
const catalogs = onFirstUse((): Record<Language, SignInTexts> => {
  const schema = z.strictObject(Object.fromEntries(TEXT_KEYS.map((key) => [key, z.string().trim().min(1)])) as Record<(typeof TEXT_KEYS)[number], z.ZodString>);
  const parse = (texts: unknown, language: Language): SignInTexts => {
    const parsed = schema.safeParse(texts);
    if (!parsed.success) throw new ConfigurationError(`rules/sign-in/${language}.json`, toFieldProblems(parsed.error.issues));
    return parsed.data;
  };
  return { ru: parse(ru, 'ru'), kk: parse(kk, 'kk'), en: parse(en, 'en') };
});

/** Validates the shipped texts of every language (throws ConfigurationError naming the file and field). */
export function checkSignInTexts(): void {
  catalogs();
}

export function signInTexts(language: Language): SignInTexts {
  return catalogs()[language];
}
