import { z } from 'zod';
import { LanguageSchema, RequestTypeSchema, LANGUAGES } from '../domain/request-types.ts';

/** A text the person reads; one entry per language the operator answers in (checked below). */
const LocalizedText = z.partialRecord(LanguageSchema, z.string().min(1));

const Term = z.strictObject({
  requestType: RequestTypeSchema,
  amount: z.number().int().positive(),
  unit: z.enum(['working_days', 'calendar_days', 'calendar_months']),
  source: z.string().min(1).describe('Where the operator promises this term, e.g. its policy clause'),
});

const Purpose = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case id, letters, digits and _'),
  description: LocalizedText,
  legalBasis: LocalizedText,
  version: z.string().min(1).describe('Version of the legal text the person agreed to'),
  consentTerm: z
    .strictObject({ years: z.number().int().positive(), autoProlong: z.boolean() })
    .optional(),
  marketing: z.boolean().default(false),
});

const DynamoDbSource = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  kind: z.literal('dynamodb'),
  description: LocalizedText,
  tableName: z.string().min(3),
  /** Attribute holding the person's e-mail address (the subject identifier). */
  keyAttribute: z.string().min(1),
  /** Query this index instead of the table key, when the address is not the partition key. */
  indexName: z.string().min(1).optional(),
  /** Data categories held there, named for the person. */
  categories: LocalizedText,
});

export const DataSourceSchema = z.discriminatedUnion('kind', [DynamoDbSource]);

export const OperatorProfileSchema = z
  .strictObject({
    operator: z.strictObject({
      name: LocalizedText,
      legalName: z.string().min(1),
      bin: z
        .string()
        .regex(/^\d{12}$/, 'a BIN has 12 digits')
        .optional(),
      contactEmail: z.email(),
      website: z.url().optional(),
      address: z.string().optional(),
    }),
    supportAddress: z.email(),
    jurisdiction: z.string().min(2),
    languages: z.array(LanguageSchema).min(1),
    defaultLanguage: LanguageSchema,
    policyVersion: z.string().min(1),
    policyUrl: z.url().optional(),
    retention: LocalizedText,
    terms: z.array(Term).default([]),
    purposes: z.array(Purpose).min(1),
    sources: z.array(DataSourceSchema).default([]),
    verification: z
      .strictObject({
        /** How long a verification link stays valid at most (it never outlives the due date either). */
        codeTtlHours: z.number().positive().max(24 * 14).default(72),
        /** The reasoned answer to an unverified request goes out this long before the due date. */
        answerMarginMinutes: z.number().int().nonnegative().default(240),
      })
      .prefault({}),
    /** Ships demo data (a table of sample customers) with the stack; never for production. */
    demo: z.boolean().default(false),
  })
  .superRefine((profile, ctx) => {
    if (!profile.languages.includes(profile.defaultLanguage)) {
      ctx.addIssue({ code: 'custom', path: ['defaultLanguage'], message: 'must be one of languages' });
    }
    // Every text a person may read must exist in every language the operator answers in.
    const checkLocalized = (value: Partial<Record<string, string>>, path: (string | number)[]) => {
      for (const language of profile.languages) {
        if (!value[language]) ctx.addIssue({ code: 'custom', path: [...path, language], message: `missing ${language} text` });
      }
    };
    checkLocalized(profile.operator.name, ['operator', 'name']);
    checkLocalized(profile.retention, ['retention']);
    profile.purposes.forEach((purpose, i) => {
      checkLocalized(purpose.description, ['purposes', i, 'description']);
      checkLocalized(purpose.legalBasis, ['purposes', i, 'legalBasis']);
    });
    profile.sources.forEach((source, i) => {
      checkLocalized(source.description, ['sources', i, 'description']);
      checkLocalized(source.categories, ['sources', i, 'categories']);
    });
    const ids = profile.sources.map((s) => s.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['sources', i, 'id'], message: `duplicate source id ${id}` });
    });
  });

export type OperatorProfile = z.infer<typeof OperatorProfileSchema>;
export type DataSource = z.infer<typeof DataSourceSchema>;
export type LocalizedText = z.infer<typeof LocalizedText>;

/** Picks the text in the wanted language, else the first the operator has. */
export function localize(text: LocalizedText, language: (typeof LANGUAGES)[number]): string {
  return text[language] ?? Object.values(text).find(Boolean) ?? '';
}
