import * as z from '../schema.ts';
import { onFirstUse } from '../on-first-use.ts';
import { LanguageSchema, RequestTypeSchema } from '../request-types.ts';

/**
 * A word as intake spells normalised text: lower case, `е` for `ё`, letters and digits only.
 * A trailing `*` makes it a stem that matches any ending ("удал*" matches "удалите", "удаления").
 */
const WORD = /^[\p{Ll}\p{Lo}\p{N}]+\*?$/u;

/**
 * The schema of a vocabulary file, built on first use (see onFirstUse): intake drops automated mail, its own mail and
 * mail it cannot read before it reads any words, so a function's init builds none of it.
 */
export const vocabularySchema = onFirstUse(() => {
  const Phrase = z.string().check(
    z.refine(
      (phrase) => phrase.split(' ').every((word) => WORD.test(word) && !word.includes('ё')),
      'must be lower-case words or stems ending in * separated by single spaces, with е for ё',
    ),
  );

  const SingleWord = Phrase.check(z.refine((phrase) => !phrase.includes(' '), 'must be one word or stem'));

  /** Literal text compared with a normalised line, so it must be written normalised too. */
  const Marker = z.string().check(
    z.minLength(1),
    z.refine(
      (marker) => marker === marker.trim().toLowerCase() && !marker.includes('ё') && !/\s{2}/.test(marker),
      'must be trimmed lower case with single spaces and е for ё',
    ),
  );

  /** Intake only inspects lines with a colon for these, so each must end with one. */
  const ColonMarker = Marker.check(z.refine((marker) => marker.endsWith(':'), 'must end with a colon'));

  const Letter = z.string().check(z.length(1));

  return z.strictObject({
    language: LanguageSchema,
    /** Letters read as another letter before matching, for people typing without a national layout (қ → к). */
    letterFolds: z.record(Letter, Letter),
    /** A phrase matches when all its words occur within this many consecutive words, in any order. */
    window: z.number().check(z.int(), z.gte(1), z.lte(12)),
    /** Wording per request type; every type needs at least one phrase in every language. */
    requests: z.record(RequestTypeSchema, z.array(Phrase).check(z.minLength(1))),
    /**
     * Words that make a withdrawal of consent one about marketing ("отзываю согласие на рассылку"): a sentence with a
     * withdrawal phrase and one of these can be read as an opt-out of marketing rather than as ending every purpose.
     */
    marketingWords: z.array(SingleWord).check(z.minLength(1)),
    /**
     * The other words such a sentence may hold ("я", "на", "получение", "my", "emails", "берген"). A sentence with any
     * word outside its withdrawal phrase, the marketing words and these ("и иные цели", "обработку", "third parties")
     * keeps the withdrawal one of every purpose: the list is closed, so what it does not know widens the withdrawal.
     */
    marketingCompanionWords: z.array(SingleWord).check(z.minLength(1)),
    /**
     * Words naming processing itself ("обработку", "processing", "өңдеу"): never allowed in such a sentence, not even as
     * a word of its own withdrawal phrase ("прекратите обработку"), since stopping processing reaches every purpose.
     */
    processingWords: z.array(SingleWord).check(z.minLength(1)),
    /**
     * "All", "any": allowed in such a sentence only straight before a marketing word ("все рекламные рассылки", "all
     * marketing emails"); anywhere else ("все мои согласия и рассылку") they widen the withdrawal.
     */
    marketingQuantifierWords: z.array(SingleWord).check(z.minLength(1)),
    /**
     * Words that open a sentence continuing the one before ("И на обработку данных тоже.", "and to profiling"): read
     * as part of that sentence's withdrawal, as a sentence that begins in lower case is.
     */
    continuationWords: z.array(SingleWord).check(z.minLength(1)),
    /**
     * Particular data an erasure or a withdrawal of consent may name instead of the person's data or account ("удалите
     * мой номер телефона из базы", "delete my photo", "отзываю согласие на обработку моего номера телефона"), or words
     * that limit it ("только", "except"): such a mail goes to a person at the company rather than destroying
     * everything held.
     */
    particularData: z.strictObject({
      /** Words naming one kind of data: a phone number, an address, a photo, a name, a city, the order history. */
      words: z.array(SingleWord).check(z.minLength(1)),
      /** Words that limit what is asked to part of the data ("только", "кроме", "тек", "ғана", "only", "except"). */
      limitWords: z.array(SingleWord).check(z.minLength(1)),
      /**
       * Words that make such a word the key the data is found by, not what is to be erased ("data associated with
       * my email address", "телефон нөміріме тіркелген аккаунт"), within four words on `side` of it.
       */
      keyWords: z.array(SingleWord).check(z.minLength(1)),
      side: z.enum(['before', 'after']),
    }),
    /** Where quoted history begins, so a quoted notice does not re-classify a reply. */
    quotedHistory: z.strictObject({
      /** A line ending like this introduces the quote ("wrote:", "написал(а):"). */
      introEndings: z.array(ColonMarker),
      /** A dashed separator line with this text ("-----Original Message-----" → "original message"). */
      separators: z.array(Marker),
      /** A line starting with a `from` label followed by one starting with a `date` label (Outlook). */
      headerLabels: z.strictObject({ from: z.array(ColonMarker), date: z.array(ColonMarker) }),
    }),
  });
});

export type Vocabulary = z.infer<ReturnType<typeof vocabularySchema>>;
