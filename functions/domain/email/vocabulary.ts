import en from '../../../rules/vocabulary/en.json' with { type: 'json' };
import kk from '../../../rules/vocabulary/kk.json' with { type: 'json' };
import ru from '../../../rules/vocabulary/ru.json' with { type: 'json' };
import { onFirstUse } from '../on-first-use.ts';
import { vocabularySchema, type Vocabulary } from './vocabulary-schema.ts';
import { ConfigurationError, toFieldProblems } from '../errors.ts';
import { LANGUAGES, type Language, type RequestType } from '../request-types.ts';

export interface PhraseWord {
  text: string;
  /** A stem matches any word it begins; otherwise the word must be equal. */
  stem: boolean;
}

export interface CompiledPhrase {
  type: RequestType;
  words: PhraseWord[];
}

/** A language's vocabulary ready for matching: phrases are folded the way text will be. */
export interface CompiledVocabulary {
  language: Language;
  fold: (normalised: string) => string;
  window: number;
  phrases: CompiledPhrase[];
  /** See vocabularySchema: the words that tell a withdrawal about marketing alone. */
  marketingWords: PhraseWord[];
  marketingCompanionWords: PhraseWord[];
  marketingQuantifierWords: PhraseWord[];
  processingWords: PhraseWord[];
  continuationWords: PhraseWord[];
  /** See vocabularySchema: particular data a mail may name, words that limit it, and those that make such data its key. */
  particularData: { words: PhraseWord[]; limitWords: PhraseWord[]; keyWords: PhraseWord[]; side: 'before' | 'after' };
  quotedHistory: Vocabulary['quotedHistory'];
}

/** Validates one vocabulary file; a bad file throws a ConfigurationError naming each bad field. */
export function loadVocabulary(raw: unknown, source: string, language: Language): CompiledVocabulary {
  const parsed = vocabularySchema().safeParse(raw);
  if (!parsed.success) throw new ConfigurationError(source, toFieldProblems(parsed.error.issues));
  const vocabulary = parsed.data;
  if (vocabulary.language !== language) {
    throw new ConfigurationError(source, [{ field: 'language', message: `must be "${language}" for this file` }]);
  }
  const fold = folder(vocabulary.letterFolds);
  const phraseWord = (word: string): PhraseWord => ({ text: fold(word.replace(/\*$/, '')), stem: word.endsWith('*') });
  const phrases = Object.entries(vocabulary.requests).flatMap(([type, list]) =>
    list.map((phrase) => ({ type: type as RequestType, words: phrase.split(' ').map(phraseWord) })),
  );
  return {
    language,
    fold,
    window: vocabulary.window,
    phrases,
    marketingWords: vocabulary.marketingWords.map(phraseWord),
    marketingCompanionWords: vocabulary.marketingCompanionWords.map(phraseWord),
    marketingQuantifierWords: vocabulary.marketingQuantifierWords.map(phraseWord),
    processingWords: vocabulary.processingWords.map(phraseWord),
    continuationWords: vocabulary.continuationWords.map(phraseWord),
    particularData: {
      words: vocabulary.particularData.words.map(phraseWord),
      limitWords: vocabulary.particularData.limitWords.map(phraseWord),
      keyWords: vocabulary.particularData.keyWords.map(phraseWord),
      side: vocabulary.particularData.side,
    },
    quotedHistory: vocabulary.quotedHistory,
  };
}

function folder(letterFolds: Record<string, string>): (text: string) => string {
  const folds = new Map(Object.entries(letterFolds));
  if (folds.size === 0) return (text) => text;
  return (text) => Array.from(text, (letter) => folds.get(letter) ?? letter).join('');
}

const SHIPPED: Record<Language, unknown> = { ru, kk, en };

/**
 * Loaded once, when a mail's words are first read (a malformed vocabulary fails that invocation loudly; every shipped
 * file is also loaded by test/unit/email/vocabulary.test.ts): mail dropped before its words are read never loads it.
 */
export const vocabularies: () => readonly CompiledVocabulary[] = onFirstUse(() =>
  LANGUAGES.map((language) => loadVocabulary(SHIPPED[language], `rules/vocabulary/${language}.json`, language)),
);
