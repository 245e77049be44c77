import { REQUEST_TYPES, type RequestType } from '../request-types.ts';
import { normaliseText, words } from './text.ts';
import type { CompiledVocabulary, PhraseWord } from './vocabulary.ts';

/**
 * Lifting a block names the block ("снять блокировку", "remove the block", "бұғаттан шығару"),
 * so unblocking wording also matches blocking; the more specific wish wins.
 */
const OVERRIDDEN_BY: Partial<Record<RequestType, RequestType>> = { blocking: 'unblocking' };

/** Every request type the wording asks for, in every shipped language at once (people mix them). */
export function classifyRequestTypes(text: string, vocabularies: readonly CompiledVocabulary[]): RequestType[] {
  const normalised = normaliseText(text);
  const found = new Set<RequestType>();
  for (const vocabulary of vocabularies) {
    const index = new WordIndex(words(vocabulary.fold(normalised)));
    for (const phrase of vocabulary.phrases) {
      if (!found.has(phrase.type) && index.hasPhrase(phrase.words, vocabulary.window)) found.add(phrase.type);
    }
  }
  return REQUEST_TYPES.filter((type) => {
    const overriding = OVERRIDDEN_BY[type];
    return found.has(type) && !(overriding && found.has(overriding));
  });
}

/** The types of the operator's fixed subject lines this subject carries (e.g. after "Re:" or in «quotes»). */
export function fixedSubjectTypes(
  subject: string,
  fixedSubjects: ReadonlyArray<{ subject: string; types: readonly RequestType[] }>,
): RequestType[] {
  const spoken = ` ${words(normaliseText(subject)).join(' ')} `;
  const types = new Set(
    fixedSubjects
      .filter((fixed) => {
        const wanted = words(normaliseText(fixed.subject)).join(' ');
        return wanted !== '' && spoken.includes(` ${wanted} `);
      })
      .flatMap((fixed) => fixed.types),
  );
  return REQUEST_TYPES.filter((type) => types.has(type));
}

/** Positions of each distinct word, so phrases are matched by lookup rather than by rescanning text. */
class WordIndex {
  private readonly positions = new Map<string, number[]>();
  private readonly matches = new Map<string, number[]>();

  constructor(text: readonly string[]) {
    text.forEach((word, position) => {
      const list = this.positions.get(word);
      if (list) list.push(position);
      else this.positions.set(word, [position]);
    });
  }

  /** True when every word of the phrase occurs within `window` consecutive words of its first word. */
  hasPhrase(phrase: readonly PhraseWord[], window: number): boolean {
    const [first, ...others] = phrase.map((word) => this.positionsOf(word));
    if (!first || others.some((list) => list.length === 0)) return false;
    return first.some((anchor) => others.every((list) => hasNear(list, anchor, window)));
  }

  private positionsOf(word: PhraseWord): number[] {
    const key = `${word.stem ? '*' : '='}${word.text}`;
    let list = this.matches.get(key);
    if (!list) {
      list = word.stem
        ? [...this.positions].filter(([text]) => text.startsWith(word.text)).flatMap(([, at]) => at)
        : [...(this.positions.get(word.text) ?? [])];
      list.sort((a, b) => a - b);
      this.matches.set(key, list);
    }
    return list;
  }
}

/** Binary search in sorted positions for one closer than `window` to the anchor (other than itself). */
function hasNear(sorted: readonly number[], anchor: number, window: number): boolean {
  let low = 0;
  let high = sorted.length;
  const from = anchor - window + 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? Infinity) < from) low = middle + 1;
    else high = middle;
  }
  for (let i = low; i < sorted.length; i++) {
    const position = sorted[i] ?? Infinity;
    if (position >= anchor + window) return false;
    if (position !== anchor) return true;
  }
  return false;
}
