import * as z from './schema.ts';
import { onFirstLoad, onFirstUse } from './on-first-use.ts';
import { ConfigurationError, PROBLEM_KINDS, UnsupportedLanguageError, type FieldProblem } from './errors.ts';
import { CHANNELS, REQUEST_STATUSES } from './request.ts';
import { LANGUAGES, REQUEST_TYPES, type Language } from './request-types.ts';
import { WORKFLOW_STEPS } from './workflow-steps.ts';

/**
 * The texts of the operator's console (rules/console/<language>.json): groups of named texts with {placeholders}.
 * English sets the shape; every language has exactly its groups and names, each text with exactly its placeholders,
 * and the groups that name the domain's values (statuses, types, channels, languages, problem kinds, workflow steps) name each of them — so a
 * console page never meets a text that is missing, and a new status or channel fails here: on first use, and by checkConsoleTexts where derbes starts (`cdk synth`,
 * `npm start`). A language's file (and English, its reference) is imported when the console first asks for it: a
 * chunk of its own in the bundle, not part of the HTTP function's init.
 */
const consoleTextsSchema = onFirstUse(() =>
  z.strictObject({
    language: z.enum(LANGUAGES),
    common: z.record(z.string(), z.string().check(z.minLength(1))),
    inbox: z.record(z.string(), z.string().check(z.minLength(1))),
    filters: z.record(z.string(), z.string().check(z.minLength(1))),
    statuses: z.record(z.enum(REQUEST_STATUSES), z.string().check(z.minLength(1))),
    /** A workflow step a failure names, as the operator reads of it (the same words as the operator's mail). */
    steps: z.record(z.enum(WORKFLOW_STEPS), z.string().check(z.minLength(1))),
    types: z.record(z.enum(REQUEST_TYPES), z.string().check(z.minLength(1))),
    channels: z.record(z.enum(CHANNELS), z.string().check(z.minLength(1))),
    languages: z.record(z.enum(LANGUAGES), z.string().check(z.minLength(1))),
    request: z.record(z.string(), z.string().check(z.minLength(1))),
    events: z.record(z.string(), z.string().check(z.minLength(1))),
    templates: z.record(z.string(), z.string().check(z.minLength(1))),
    actions: z.record(z.string(), z.string().check(z.minLength(1))),
    enter: z.record(z.string(), z.string().check(z.minLength(1))),
    /** The list of mail intake held (`reason_<HeldReason>`, `verdict<SES verdict>`). */
    heldMail: z.record(z.string(), z.string().check(z.minLength(1))),
    reports: z.record(z.string(), z.string().check(z.minLength(1))),
    /** What is wrong with a field, by the kind the API names (FieldProblem.kind). */
    problems: z.record(z.enum(PROBLEM_KINDS), z.string().check(z.minLength(1))),
    /** The trail's codes in words (`<kind>.<code>`: a mail's intake outcome, why a mail was withheld, an alert, a deadline step). */
    codes: z.record(z.string(), z.string().check(z.minLength(1))),
  }),
);
export type ConsoleTexts = z.infer<ReturnType<typeof consoleTextsSchema>>;

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort().join(',');

/** One language's texts against the schema and against the English texts (the reference). */
export function parseConsoleTexts(json: unknown, source: string, reference?: ConsoleTexts): ConsoleTexts {
  const parsed = consoleTextsSchema().safeParse(json);
  if (!parsed.success) throw new ConfigurationError(source, parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })));
  const texts = parsed.data;
  const problems: FieldProblem[] = [];
  if (reference) {
    for (const group of Object.keys(reference) as Array<keyof ConsoleTexts>) {
      if (group === 'language') continue;
      const expected = reference[group] as Record<string, string>;
      const actual = texts[group] as Record<string, string>;
      for (const name of Object.keys(expected)) {
        if (actual[name] === undefined) problems.push({ field: `${group}.${name}`, message: 'is missing' });
        else if (placeholders(actual[name]) !== placeholders(expected[name]!)) problems.push({ field: `${group}.${name}`, message: `must use the placeholders of the English text: {${placeholders(expected[name]!)}}` });
      }
      for (const name of Object.keys(actual)) if (expected[name] === undefined) problems.push({ field: `${group}.${name}`, message: 'is not a text of the console (English has no such text)' });
    }
  }
  for (const [group, names] of [['statuses', REQUEST_STATUSES], ['types', REQUEST_TYPES], ['channels', CHANNELS], ['languages', LANGUAGES], ['problems', PROBLEM_KINDS], ['steps', WORKFLOW_STEPS]] as const) {
    for (const name of names) if (!(texts[group] as Record<string, string>)[name]) problems.push({ field: `${group}.${name}`, message: 'is missing' });
  }
  if (problems.length) throw new ConfigurationError(source, problems);
  return texts;
}

const consoleTextsFile = (language: Language) => `rules/console/${language}.json`;

/** Validates the texts of every language in these files, each against English (throws ConfigurationError naming the file and field). */
export function checkConsoleTexts(files: Record<Language, unknown>): void {
  const english = parseConsoleTexts(files.en, consoleTextsFile('en'));
  for (const language of LANGUAGES) if (language !== 'en') parseConsoleTexts(files[language], consoleTextsFile(language), english);
}

const consoleTextsByLanguage = onFirstLoad(async (language: Language) => {
  const file = (await import(`../../rules/console/${language}.json`, { with: { type: 'json' } })) as { default: unknown };
  return parseConsoleTexts(file.default, consoleTextsFile(language), language === 'en' ? undefined : await loadConsoleTexts('en'));
});

/** A language's console texts, imported and validated (against English) once per process. */
export async function loadConsoleTexts(language: Language): Promise<ConsoleTexts> {
  if (!LANGUAGES.includes(language)) throw new UnsupportedLanguageError(String(language), LANGUAGES);
  return consoleTextsByLanguage.load(language);
}
