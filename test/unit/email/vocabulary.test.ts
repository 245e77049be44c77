import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../functions/domain/errors.ts';
import { loadVocabulary, vocabularies } from '../../../functions/domain/email/index.ts';
import ru from '../../../rules/vocabulary/ru.json' with { type: 'json' };

function problemsOf(raw: unknown): string[] {
  try {
    loadVocabulary(raw, 'rules/vocabulary/ru.json', 'ru');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toContain('rules/vocabulary/ru.json');
    return (error as ConfigurationError).problems.map((problem) => problem.field);
  }
  throw new Error('the vocabulary was accepted');
}

const edited = (edit: (vocabulary: Record<string, any>) => void): unknown => {
  const copy = structuredClone(ru) as Record<string, any>;
  edit(copy);
  return copy;
};

describe('vocabulary loader', () => {
  it('loads the shipped vocabularies, one per language', () => {
    expect(vocabularies().map((vocabulary) => vocabulary.language)).toEqual(['ru', 'kk', 'en']);
    expect(vocabularies().every((vocabulary) => vocabulary.phrases.length > 0)).toBe(true);
  });

  it('refuses a phrase that is not written normalised, naming it', () => {
    expect(problemsOf(edited((v) => (v.requests.erasure[1] = 'Удалите данные')))).toEqual(['requests.erasure.1']);
    expect(problemsOf(edited((v) => (v.requests.access[0] = 'её  данн*')))).toEqual(['requests.access.0']);
  });

  it('refuses a request type without wording', () => {
    expect(problemsOf(edited((v) => delete v.requests.claim))).toEqual(['requests.claim']);
    expect(problemsOf(edited((v) => (v.requests.claim = [])))).toEqual(['requests.claim']);
  });

  it('refuses an unknown request type, a bad window and a bad quote marker', () => {
    expect(problemsOf(edited((v) => (v.requests.delete_everything = ['удал*'])))).toEqual(['requests.delete_everything']);
    expect(() => loadVocabulary(edited((v) => (v.requests.delete_everything = ['удал*'])), 'ru.json', 'ru')).toThrow(
      /requests\.delete_everything: is not a field this takes/,
    );
    expect(problemsOf(edited((v) => (v.window = 0)))).toEqual(['window']);
    expect(problemsOf(edited((v) => (v.quotedHistory.introEndings = ['Написал:'])))).toEqual(['quotedHistory.introEndings.0']);
    expect(problemsOf(edited((v) => (v.quotedHistory.headerLabels.from = ['от'])))).toEqual(['quotedHistory.headerLabels.from.0']);
  });

  it('lists every bad field at once', () => {
    expect(problemsOf(edited((v) => ((v.window = 'six'), (v.letterFolds = { әә: 'a' }))))).toEqual(
      expect.arrayContaining(['window', 'letterFolds.әә']),
    );
  });

  it('refuses a file whose language is not the one it is loaded for', () => {
    expect(problemsOf(edited((v) => (v.language = 'kk')))).toEqual(['language']);
  });

  it('refuses something that is not a vocabulary at all', () => {
    expect(problemsOf(null)).toEqual(['(root)']);
  });
});
