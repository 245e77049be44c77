import { TextsNotLoadedError, UnsupportedLanguageError } from './errors.ts';
import { onFirstLoad } from './on-first-use.ts';
import { LANGUAGES, type Language } from './request-types.ts';

/**
 * The message catalogues (rules/messages/<language>.json) as shipped, still unvalidated: the mails, pages and answers
 * (domain/messages.ts), and the sections that breach, retention and evidence texts read (each validates its own).
 *
 * A language's file is imported when a text in that language is first needed, not at start: a bundle holds each
 * language in a chunk of its own, so a function loads the languages it writes in — the operator's default language
 * and the person's — not all three. `loadMessageCatalogue` (async, once per language and process) loads one; the
 * texts' synchronous readers then find it, and throw TextsNotLoadedError for a language that was not loaded: a text is
 * never rendered from another language instead.
 */
const catalogues = onFirstLoad((language: Language) =>
  import(`../../rules/messages/${language}.json`, { with: { type: 'json' } }).then((module: { default: unknown }) => module.default),
);

/** The file of a language's catalogue, as named in errors. */
export const messageCatalogueFile = (language: Language) => `rules/messages/${language}.json`;

/** Loads a language's catalogue file (once per process; a failed import is tried again on the next call). */
export async function loadMessageCatalogue(language: Language): Promise<void> {
  // The language names a file: only the languages derbes ships.
  if (!LANGUAGES.includes(language)) throw new UnsupportedLanguageError(String(language), LANGUAGES);
  await catalogues.load(language);
}

/** A loaded catalogue's document (unvalidated); throws TextsNotLoadedError if its language was not loaded. */
export function loadedMessageCatalogue(language: Language): unknown {
  const catalogue = catalogues.loaded(language);
  if (catalogue === undefined) throw new TextsNotLoadedError(language);
  return catalogue;
}
