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

export const LANGUAGES = ['ru', 'kk', 'en'] as const;
export const LanguageSchema = z.enum(LANGUAGES);
export type Language = z.infer<typeof LanguageSchema>;
