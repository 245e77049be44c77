import type { Language } from '../../functions/domain/request-types.ts';

/**
 * Language purity of what a person or an operator reads: in a Russian or Kazakh text no Latin-script word, in an
 * English text no Cyrillic one — except references, addresses, URLs, and values that come from the profile or the
 * person (names, records, the operator's own words), which are removed before the words are looked at.
 */

/** A request's reference, or a breach's. */
const REFERENCE = /(?:DRB|BRC)-[0-9A-Z]{5}-[0-9A-Z]{5}/g;
const URL = /https?:\/\/\S+/g;
const ADDRESS = /[^\s<>()«»"',;:]+@[^\s<>()«»"',;:]+\.[^\s<>()«»"',;:.]+/g;
/** Roman numerals name laws and clauses («№ 94-V», «статья 19 (II)»). */
const ROMAN = /^[IVXLCDM]+$/;
/** Names of file formats, which Russian and Kazakh write in Latin letters too. */
const FORMAT_NAMES = new Set(['JSON', 'HTML']);
const CYRILLIC = /[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+/g;
const LATIN_WORD = /[A-Za-z]+/g;

/** The words of `text` that are in the wrong script for `language`. */
export function impureWords(text: string, language: Language, exempt: readonly string[] = []): string[] {
  let rest = text.replace(URL, ' ');
  // Longest first, so a name is removed whole before a shorter value inside it; codes of two letters ("ru") are no values.
  for (const value of [...exempt].filter((v) => v.length > 2).sort((a, b) => b.length - a.length)) rest = rest.split(value).join(' ');
  rest = rest.replace(ADDRESS, ' ').replace(REFERENCE, ' ');
  if (language === 'en') return rest.match(CYRILLIC) ?? [];
  return (rest.match(LATIN_WORD) ?? []).filter((word) => word.length > 1 && !ROMAN.test(word) && !FORMAT_NAMES.has(word));
}

/** Letters only Kazakh has among Cyrillic alphabets: a Kazakh text of any length uses some. */
const KAZAKH_LETTERS = /[ӘәҒғҚқҢңӨөҰұҮүҺһІі]/;
/** Kazakh words often typed with Russian letters instead of Kazakh ones (and how they are spelt). */
const KAZAKH_MISSPELLINGS: Record<string, string> = {
  жане: 'және',
  сурау: 'сұрау',
  акпарат: 'ақпарат',
  уакыт: 'уақыт',
  ушин: 'үшін',
  келисим: 'келісім',
  деректериниз: 'деректеріңіз',
  ондеу: 'өңдеу',
  тандау: 'таңдау',
};
const wordStart = (word: string) => new RegExp(`(?<!\\p{L})${word}`, 'iu');

/** What is wrong with a Kazakh text: no Kazakh letters at all, or words typed without them. */
export function kazakhProblems(text: string): string[] {
  const problems: string[] = [];
  if (!KAZAKH_LETTERS.test(text)) problems.push('no Kazakh letters (ә ғ қ ң ө ұ ү һ і) anywhere');
  for (const [wrong, right] of Object.entries(KAZAKH_MISSPELLINGS)) if (wordStart(wrong).test(text)) problems.push(`«${wrong}…» should be «${right}…»`);
  return problems;
}
