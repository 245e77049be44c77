import { REQUEST_TYPES, type RequestType } from '../request-types.ts';
import { normaliseText, words } from './text.ts';
import type { CompiledVocabulary, PhraseWord } from './vocabulary.ts';

/**
 * Lifting a block names the block ("снять блокировку", "remove the block", "бұғаттан шығару"),
 * so unblocking wording also matches blocking; the more specific wish wins.
 */
const OVERRIDDEN_BY: Partial<Record<RequestType, RequestType>> = { blocking: 'unblocking' };

/**
 * Every request type the wording asks for, in every shipped language at once (people mix them).
 *
 * A withdrawal of consent ends every purpose; one worded about marketing ("отзываю согласие на рассылку", "I withdraw
 * my consent to marketing emails") asks to stop marketing, and is read as an opt-out (see withdrawalScope).
 */
export function classifyRequestTypes(text: string, vocabularies: readonly CompiledVocabulary[]): RequestType[] {
  const wording = readWording(text, vocabularies);
  return typesOf(wording.types, wording.withdrawal);
}

/**
 * What a mail asks for, from its subject and body read together. A subject names the request ("Отзыв согласия"), the
 * body says what it covers, so a withdrawal is read at the body's scope where the body has one of its own.
 */
export function classifyMailRequestTypes(subject: string, body: string, vocabularies: readonly CompiledVocabulary[]): RequestType[] {
  const whole = readWording(`${subject}\n${body}`, vocabularies);
  const withdrawal = whole.withdrawal && (readWording(body, vocabularies).withdrawal ?? whole.withdrawal);
  return typesOf(whole.types, withdrawal);
}

/**
 * What a mail asks for when its subject is one of the policy's fixed lines (`fixedTypes`, see fixedSubjectTypes): what
 * the line names and whatever else the body asks for ("Отзываю согласие и прошу удалить мои данные" under a fixed
 * withdrawal is an erasure too), since a person who picked the policy's line may still ask for more. The body says how
 * far a withdrawal reaches, as it does under any other subject: a fixed withdrawal whose body withdraws consent to
 * marketing alone ("Отзываю согласие на получение рекламных рассылок") is an opt-out of marketing; one whose body has no
 * withdrawal of its own, or a wider one, ends every purpose.
 */
export function fixedMailRequestTypes(fixedTypes: readonly RequestType[], body: string, vocabularies: readonly CompiledVocabulary[]): RequestType[] {
  const asked = readWording(body, vocabularies);
  const named = new Set([...fixedTypes.filter((type) => type !== 'consent_withdrawal'), ...asked.types]);
  return typesOf(named, asked.withdrawal ?? (fixedTypes.includes('consent_withdrawal') ? 'every purpose' : undefined));
}

/**
 * Whether a mail that asks to destroy data (an erasure, or a withdrawal of consent, which may erase too) names
 * particular data (a phone number, an address, a city, the order history) or limits what it asks ("only", «кроме»),
 * rather than asking for the person's data or account as a whole: "удалите мой номер телефона из базы" asks for less
 * than the destruction of everything held, and reading it as that would destroy what the person meant to keep, beyond
 * undoing. The whole mail counts, the subject with every sentence ("Please delete my data. Only the phone number."),
 * since the wish and what it covers are often written apart; reading one letter more is an operator's minute, erasing
 * everything is for good. A word naming data does not count where a key word beside it makes it what the data is
 * found by ("all data associated with my email address"); that is read within its sentence. Callers ask this only of
 * a mail that destroys data: it does not look for the wish itself.
 */
export function erasesParticularData(text: string, vocabularies: readonly CompiledVocabulary[]): boolean {
  for (const sentence of text.split(SENTENCE_END)) {
    if (!HAS_LETTER.test(sentence)) continue;
    // Each word as each vocabulary folds it: folded[from][at]. Folds map letter to letter, so words align.
    const normalised = normaliseText(sentence);
    const folded = vocabularies.map((vocabulary) => words(vocabulary.fold(normalised)));
    const spelled = (from: number, at: number, list: readonly PhraseWord[]) =>
      at >= 0 && at < folded[from]!.length && list.some((word) => spells(folded[from]![at]!, word));
    // A key in any language keeps a word from naming the data: "учётную запись, привязанную к номеру телефона" is
    // not an erasure of a phone number in Kazakh either, where "телефон" is listed too.
    const isKey = (at: number) =>
      vocabularies.some(({ particularData: { keyWords, side } }, from) =>
        [1, 2, 3, 4].some((distance) => spelled(from, side === 'before' ? at - distance : at + distance, keyWords)),
      );
    const names = (at: number) =>
      vocabularies.some(({ particularData }, from) => spelled(from, at, particularData.limitWords)) ||
      (vocabularies.some(({ particularData }, from) => spelled(from, at, particularData.words)) && !isKey(at));
    if (folded[0]!.some((_, at) => names(at))) return true;
  }
  return false;
}

/** How far a withdrawal of consent reaches: every purpose, or marketing alone. */
type WithdrawalScope = 'every purpose' | 'marketing';

interface Wording {
  /** The types asked for, a withdrawal of consent apart. */
  types: Set<RequestType>;
  withdrawal?: WithdrawalScope;
}

function readWording(text: string, vocabularies: readonly CompiledVocabulary[]): Wording {
  const normalised = normaliseText(text);
  const types = new Set<RequestType>();
  let withdrawn = false;
  for (const vocabulary of vocabularies) {
    const index = new WordIndex(words(vocabulary.fold(normalised)));
    for (const phrase of vocabulary.phrases) {
      const known = phrase.type === 'consent_withdrawal' ? withdrawn : types.has(phrase.type);
      if (known || !index.anchorsOf(phrase.words, vocabulary.window).length) continue;
      if (phrase.type === 'consent_withdrawal') withdrawn = true;
      else types.add(phrase.type);
    }
  }
  return { types, ...(withdrawn && { withdrawal: withdrawalScope(text, vocabularies) }) };
}

/**
 * Where a sentence ends for reading a withdrawal's scope: . ! ? … before a capital, a semicolon, a line break. One
 * character each, so a run of dots costs no backtracking.
 */
const SENTENCE_END = /[.!?…](?=\s+[\p{Lu}\p{Lt}])|[;\r\n]/u;
const HAS_LETTER = /\p{L}/u;
const OPENS_IN_LOWER_CASE = /^[^\p{L}]*\p{Ll}/u;

/** A word of a vocabulary's list, with the vocabulary it comes from: it is compared with text folded as that one folds. */
interface ListedWord {
  word: PhraseWord;
  from: number;
}

/**
 * How far a withdrawal reaches, read sentence by sentence (a subject, a signature or the next sentence is not its
 * scope). About marketing only where every sentence with a withdrawal phrase also has a marketing word and nothing
 * but the words of its withdrawal phrases, marketing words and their companions (all of any shipped language), and no
 * word naming processing itself. Any other word ("иные цели", "обработку", "third parties", "толығымен"), and a phrase
 * found only across sentences, ends every purpose: reading too little into a withdrawal would leave consent in force.
 * Each listed word is compared with the text as its own language folds it: people mix languages ("Marketing
 * хабарламалары", "рассылку, хатқа"), and one language's folding (Kazakh reads a Latin i as и) must not hide
 * another's word.
 */
function withdrawalScope(text: string, vocabularies: readonly CompiledVocabulary[]): WithdrawalScope {
  const listed = (pick: (vocabulary: CompiledVocabulary) => PhraseWord[]): ListedWord[] =>
    vocabularies.flatMap((vocabulary, from) => pick(vocabulary).map((word) => ({ word, from })));
  const marketing = listed((vocabulary) => vocabulary.marketingWords);
  const companions = listed((vocabulary) => vocabulary.marketingCompanionWords);
  const quantifiers = listed((vocabulary) => vocabulary.marketingQuantifierWords);
  const processing = listed((vocabulary) => vocabulary.processingWords);
  const continuations = listed((vocabulary) => vocabulary.continuationWords);
  /** Each word of a sentence as each vocabulary folds it: folded[from][at]. Folds map letter to letter, so words align. */
  const foldedWords = (normalised: string) => vocabularies.map((vocabulary) => words(vocabulary.fold(normalised)));
  const isListed = (folded: string[][], at: number, list: readonly ListedWord[]) => list.some(({ word, from }) => spells(folded[from]![at]!, word));
  // Statements: a sentence with those after it that open in lower case or with a continuation word ("И на обработку
  // данных тоже", "на передачу третьим лицам;"), which extend it.
  const statements: string[][][][] = [];
  for (const sentence of text.split(SENTENCE_END)) {
    if (!HAS_LETTER.test(sentence)) continue;
    const folded = foldedWords(normaliseText(sentence));
    const continues = OPENS_IN_LOWER_CASE.test(sentence) || (folded[0]!.length > 0 && isListed(folded, 0, continuations));
    if (continues && statements.length) statements.at(-1)!.push(folded);
    else statements.push([folded]);
  }
  let aboutMarketing = false;
  for (const statement of statements) {
    for (const [current, vocabulary] of vocabularies.entries()) {
      const withdrawals = statement.map((folded) => {
        const index = new WordIndex(folded[current]!);
        return vocabulary.phrases.filter((phrase) => phrase.type === 'consent_withdrawal' && index.anchorsOf(phrase.words, vocabulary.window).length);
      });
      if (withdrawals.every((found) => !found.length)) continue;
      const phraseWords = [...new Set(withdrawals.flat())].flatMap((phrase) => phrase.words).map((word) => ({ word, from: current }));
      const allowed = [...phraseWords, ...marketing, ...companions];
      const namesMarketing = (folded: string[][]) => folded[current]!.some((_, at) => isListed(folded, at, marketing));
      const withdrawalsNameMarketing = statement.every((folded, at) => !withdrawals[at]!.length || namesMarketing(folded));
      const isAllowed = (folded: string[][], at: number) =>
        !isListed(folded, at, processing) &&
        (isListed(folded, at, allowed) || (at + 1 < folded[current]!.length && isListed(folded, at, quantifiers) && isListed(folded, at + 1, marketing)));
      const onlyMarketing = statement.every((folded) => folded[current]!.every((_, at) => isAllowed(folded, at)));
      if (!withdrawalsNameMarketing || !onlyMarketing) return 'every purpose';
      aboutMarketing = true;
    }
  }
  return aboutMarketing ? 'marketing' : 'every purpose';
}

/** Whether a word of text is the phrase word (or begins with it, for a stem). */
const spells = (word: string, phraseWord: PhraseWord): boolean => (phraseWord.stem ? word.startsWith(phraseWord.text) : word === phraseWord.text);

function typesOf(asked: ReadonlySet<RequestType>, withdrawal: WithdrawalScope | undefined): RequestType[] {
  const found = new Set(asked);
  if (withdrawal === 'every purpose') found.add('consent_withdrawal');
  if (withdrawal === 'marketing') found.add('marketing_opt_out');
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

  /** The positions of the phrase's first word from which every other word of it occurs within `window` consecutive words. */
  anchorsOf(phrase: readonly PhraseWord[], window: number): number[] {
    const [first, ...others] = phrase.map((word) => this.positionsOf(word));
    if (!first || others.some((list) => list.length === 0)) return [];
    return first.filter((anchor) => others.every((list) => hasNear(list, anchor, window)));
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
