import { randomInt } from 'node:crypto';
import * as z from '../schema.ts';
import type { BreachNoticeDeadline } from '../deadlines/index.ts';
import { ValidationError, toFieldProblems } from '../errors.ts';
import { isValidIin } from '../iin.ts';
import { onFirstUse } from '../on-first-use.ts';
import { LanguageSchema, type Language } from '../request-types.ts';

/**
 * A personal-data breach in the operator's register: what happened, when it was detected, what was done, who is
 * responsible, the notice due to each authority (one per regime the profile answers to) and whether it was filed.
 */

/** The schemas of what the operator hands in, built on first use (see onFirstUse): every function bundles this module. */
function buildBreachSchemas() {
  const FreeText = z.union([z.string().check(z.trim(), z.minLength(1), z.maxLength(4000)), z.partialRecord(LanguageSchema, z.string().check(z.trim(), z.minLength(1), z.maxLength(4000)))]);

  const OFFSET_PATTERN = /(Z|[+-]\d{2}:?\d{2})$/i;
  const Instant = z
    .string()
    .check(z.refine((value) => OFFSET_PATTERN.test(value) && !Number.isNaN(Date.parse(value)), { message: 'must be an ISO 8601 instant with an offset, e.g. 2026-03-20T17:00:00+05:00' }));

  const ShortList = z.array(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))).check(z.minLength(1), z.maxLength(50));

  const ResponsiblePersonSchema = z.strictObject({
    name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
    position: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
    email: z.email(),
    phone: z.optional(z.string().check(z.trim(), z.minLength(5), z.maxLength(40))),
  });

  const BreachInputSchema = z.strictObject({
    detectedAt: Instant,
    description: FreeText,
    dataCategories: ShortList,
    systems: ShortList,
    measuresTaken: FreeText,
    likelyConsequences: z.optional(FreeText),
    responsible: ResponsiblePersonSchema,
  });

  /** One affected person as the operator lists them: at least one way to identify them (KZ: name and/or IIN and/or phone). */
  const AffectedPersonSchema = z
    .strictObject({
      name: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(300))),
      iin: z.optional(z.string().check(z.trim(), z.refine(isValidIin, { message: 'must be a valid IIN (12 digits with its check digit)' }))),
      phone: z.optional(z.string().check(z.trim(), z.regex(/^\+?[0-9 ()-]{5,30}$/, 'a phone number, e.g. +7 701 555 01 23'))),
      email: z.optional(z.email()),
      language: z.optional(LanguageSchema),
    })
    .check(z.refine((p) => p.iin || p.phone || p.email, { message: 'needs an IIN, a phone number or an e-mail address', path: ['iin'] }));

  const AddSubjectsInputSchema = z.union([
    z.strictObject({ people: z.array(AffectedPersonSchema).check(z.minLength(1), z.maxLength(MAX_SUBJECTS_PER_CALL)) }),
    /** E-mail addresses to look up in the profile's data sources (find only). */
    z.strictObject({ find: z.array(z.email()).check(z.minLength(1), z.maxLength(MAX_SUBJECTS_PER_CALL)) }),
  ]);

  const PersonNoticeInputSchema = z.strictObject({
    texts: z.partialRecord(LanguageSchema, z.string().check(z.trim(), z.minLength(1), z.maxLength(4000))),
    /** The data involved, as the person reads it, for a language the register's categories are not written in. */
    dataCategories: z.optional(z.partialRecord(LanguageSchema, ShortList)),
  });

  return { FreeText, ResponsiblePersonSchema, BreachInputSchema, AffectedPersonSchema, AddSubjectsInputSchema, PersonNoticeInputSchema };
}
export const breachSchemas = onFirstUse(buildBreachSchemas);

type BreachSchemas = ReturnType<typeof buildBreachSchemas>;
/** A text the operator writes once, or per language (the notice in Kazakh then reads Kazakh). */
export type FreeText = z.infer<BreachSchemas['FreeText']>;
export type ResponsiblePerson = z.infer<BreachSchemas['ResponsiblePersonSchema']>;
export type BreachInput = z.infer<BreachSchemas['BreachInputSchema']>;
export type AffectedPerson = z.infer<BreachSchemas['AffectedPersonSchema']>;
export type AddSubjectsInput = z.infer<BreachSchemas['AddSubjectsInputSchema']>;

/** The text in the wanted language where the operator gave one, else the text as written. */
export function textIn(text: FreeText, language: Language): string {
  if (typeof text === 'string') return text;
  return text[language] ?? Object.values(text).find(Boolean) ?? '';
}

/** The notice to one authority: when due (with the rule), and when the operator says it was filed. */
export interface AuthorityNotice {
  deadline: BreachNoticeDeadline;
  filedAt?: string;
  /** The authority's registration number or the channel used, as the operator gives it. */
  filingReference?: string;
}

/** The mail to affected people: drafted from the catalogue, approved once by the operator with their own words. */
export interface PersonNotice {
  approvedAt: string;
  /** When the last pending person was mailed (until then the watch keeps sending). */
  finishedAt?: string;
  /** The operator's own paragraph per language: what happened and what the person can do. */
  texts: Partial<Record<Language, string>>;
  /** The data involved, in every language the mail went out in (absent in notices approved before it was told). */
  dataCategories?: Partial<Record<Language, string[]>>;
}

export interface Breach extends Omit<BreachInput, 'detectedAt'> {
  /** Also the reference on every notice, e.g. BRC-7K3F9-Q2M4X. */
  id: string;
  detectedAt: string;
  recordedAt: string;
  /** Bumped on every write; a write based on an older read is refused. */
  version: number;
  notices: AuthorityNotice[];
  /** Affected people listed so far (their records are kept apart, see AffectedSubject). */
  subjectCount: number;
  personNotice?: PersonNotice;
}

export function parseBreachInput(input: unknown): BreachInput {
  const result = breachSchemas().BreachInputSchema.safeParse(input);
  if (!result.success) throw new ValidationError(toFieldProblems(result.error.issues), 'breach');
  return result.data;
}

/** The watch keeps a breach while a notice is unfiled or approved mails are still going out. */
export function needsWatching(breach: Pick<Breach, 'notices' | 'personNotice'>): boolean {
  return unfiledNotices(breach).length > 0 || Boolean(breach.personNotice && !breach.personNotice.finishedAt);
}

/** A notice is still owed while any authority's notice is unfiled. */
export function unfiledNotices(breach: Pick<Breach, 'notices'>): AuthorityNotice[] {
  return breach.notices.filter((notice) => !notice.filedAt);
}

// Crockford base32 without I, L, O, U, as request references.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const BREACH_REFERENCE_PATTERN = /^BRC-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

export function newBreachReference(): string {
  const block = () => Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `BRC-${block()}-${block()}`;
}

// ------------------------------------------------------------------ affected people

/** At most this many people or identifiers per call; the CLI sends longer lists in batches. */
export const MAX_SUBJECTS_PER_CALL = 200;

export function parseAddSubjects(input: unknown): AddSubjectsInput {
  const result = breachSchemas().AddSubjectsInputSchema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(toFieldProblems(result.error.issues), `affected people (send {"people":[…]} or {"find":[e-mail…]}, at most ${MAX_SUBJECTS_PER_CALL} per call)`);
  }
  return result.data;
}

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'no_address';

/**
 * An affected person as kept: under a keyed hash of their identifier (so a second listing is the same person),
 * with what the notice to the authority needs (name, IIN, phone) and what mailing them needs (address, language).
 */
export interface AffectedSubject extends AffectedPerson {
  key: string;
  language: Language;
  /** Where they were found, when they were found through the sources. */
  foundIn: string[];
  /** `heldSince`: the first time the person's per-address mail budget held their notice back (it stays pending). */
  delivery: { status: DeliveryStatus; messageId?: string; at?: string; error?: string; heldSince?: string };
}

