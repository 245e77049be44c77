import { erasesParticularData } from '../domain/email/classify.ts';
import { vocabularies } from '../domain/email/vocabulary.ts';

/**
 * Whether the message of a form that asks to destroy data limits it in the person's own words ("only my phone
 * number", «тек телефон нөмірімді»): ticking "erasure" and writing that is not a wish to lose everything, and an
 * operator reads it first, as mail that says so is read at intake (erasesParticularData). A module of its own: the
 * HTTP function loads the mail vocabularies only for such a form (it asks only when the form destroys data and has words).
 */
export function formNamesParticularData(message: string): boolean {
  return erasesParticularData(message, vocabularies());
}
