import { MAX_CHANGE_CHARS, MAX_CHANGES } from '../../domain/rectification.ts';
import { MAX_WAITING_PER_LINK } from '../../use-cases/ports.ts';
import { SUBMISSION_LIMITS } from '../../use-cases/submit-request.ts';

/**
 * The most fields a form of ours sends: the page of a link that holds MAX_WAITING_PER_LINK requests, each ticked (one
 * `references` field a box), beside its empty `references` and its `code`. The request form sends fewer: a
 * box per request type, four text fields, its files and a field per correctable field of the profile.
 */
export const MAX_FORM_FIELDS = MAX_WAITING_PER_LINK + 2;

/** A character a form's maxlength counts takes at most three UTF-8 bytes, each sent url-encoded as `%XX`. */
const ENCODED_CHARS_PER_CHAR = 9;
/** A field's name with its `=` and `&`, or a short value: a request type, a reference, a code, a key. */
const FIELD_ALLOWANCE = 256;

/**
 * The longest url-encoded body a form of ours sends: every text of the request form at its maxlength, each character
 * in the widest encoding, and every field's name and short value.
 */
export const MAX_URLENCODED_CHARS =
  ENCODED_CHARS_PER_CHAR * (SUBMISSION_LIMITS.email + SUBMISSION_LIMITS.name + SUBMISSION_LIMITS.message + MAX_CHANGES * MAX_CHANGE_CHARS) + MAX_FORM_FIELDS * FIELD_ALLOWANCE;
