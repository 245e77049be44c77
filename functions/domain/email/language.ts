import type { Language } from '../request-types.ts';

/** Letters Kazakh Cyrillic has and Russian lacks. */
const KAZAKH_LETTERS = /[әғқңөұүһіӘҒҚҢӨҰҮҺІ]/u;
const CYRILLIC = /\p{Script=Cyrillic}/u;
const LATIN = /\p{Script=Latin}/u;
const LETTER = /\p{L}/u;

/** Below this many letters a guess is worse than the operator's default. */
const MIN_LETTERS = 8;
/**
 * Kazakh prose has these letters in roughly one letter in ten; a Russian text mentioning a Kazakh
 * name has far fewer.
 */
const MIN_KAZAKH_SHARE = 0.03;

/** Kazakh-specific letters → kk, otherwise Cyrillic → ru, Latin → en; too little text → fallback. */
export function detectLanguage(text: string, fallback: Language): Language {
  let cyrillic = 0;
  let kazakh = 0;
  let latin = 0;
  for (const character of text) {
    if (!LETTER.test(character)) continue;
    if (CYRILLIC.test(character)) {
      cyrillic++;
      if (KAZAKH_LETTERS.test(character)) kazakh++;
    } else if (LATIN.test(character)) {
      latin++;
    }
  }
  if (cyrillic + latin < MIN_LETTERS) return fallback;
  if (latin > cyrillic) return 'en';
  return kazakh > 0 && kazakh >= cyrillic * MIN_KAZAKH_SHARE ? 'kk' : 'ru';
}
