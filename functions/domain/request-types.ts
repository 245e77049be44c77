import * as z from './schema.ts';

/** The rights a person can exercise; identifiers are the public API's (see README). */
export const REQUEST_TYPES = [
  'access',
  'rectification',
  'blocking',
  'unblocking',
  'erasure',
  'consent_withdrawal',
  'marketing_opt_out',
  'claim',
] as const;

export const RequestTypeSchema = z.enum(REQUEST_TYPES);
export type RequestType = z.infer<typeof RequestTypeSchema>;

/**
 * The request types a person (or an operator) names: at least one. A type named twice is the same wish, kept once; a
 * list longer than there are types is nobody's choice, and is refused before any of its entries is read.
 */
export const requestTypeListSchema = () =>
  z.pipe(
    z.unknown().check(
      z.refine((list) => !Array.isArray(list) || list.length <= REQUEST_TYPES.length, {
        message: `at most ${REQUEST_TYPES.length} entries, one for each request type`,
        params: { kind: 'tooMany', limit: REQUEST_TYPES.length },
      }),
    ),
    z.array(RequestTypeSchema).check(z.minLength(1, 'choose at least one request type')),
  );

export const LANGUAGES = ['ru', 'kk', 'en'] as const;
export const LanguageSchema = z.enum(LANGUAGES);
export type Language = z.infer<typeof LanguageSchema>;
