import * as z from './schema.ts';
import { onFirstUse } from './on-first-use.ts';

/** A field a person may name: a plain identifier, never `__proto__` or a path. */
export const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** More fields than this in one rectification is not a person correcting their data. */
export const MAX_CHANGES = 20;
export const MAX_CHANGE_CHARS = 1000;

/**
 * What a person (or an operator) states for a rectification: field → new value, bounded in number and size so a
 * request always fits one stored item. Which fields, and what each value must look like, the profile says
 * (correctableFields and checkCorrections in config/profile-schema.ts).
 */
export const changesSchema = onFirstUse(() =>
  z.pipe(
    // Counted before any entry is read: too many fields is one problem, not one per field.
    z.unknown().check(
      z.refine((changes) => typeof changes !== 'object' || changes === null || Object.keys(changes).length <= MAX_CHANGES, {
        message: `at most ${MAX_CHANGES} fields at once`,
        params: { kind: 'tooMany', limit: MAX_CHANGES },
      }),
    ),
    z.record(
      z.string().check(z.regex(FIELD_NAME, 'a field name: a letter, then letters, digits or _ (at most 64)')),
      z.string().check(z.trim(), z.minLength(1, 'a new value is required'), z.maxLength(MAX_CHANGE_CHARS)),
    ),
  ),
);
