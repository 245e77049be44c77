/**
 * The one door to zod: every schema of derbes is built with `z` from here (`import * as z from '…/schema.ts'`). It is
 * zod's `zod/mini` (the same core as zod "classic", with a functional, tree-shakable API): a function's bundle then
 * carries only the parts of zod its schemas use, and a schema's construction does not give each instance its own
 * methods — the init of a Lambda is shorter. zod/mini sets no locale on its own; English is set here, once, so every
 * issue message reads as it did.
 *
 * Its names are re-exported one by one (`export *`), not as one `z` object: a namespace object re-exported as a value
 * is kept whole by the bundler — all of zod/mini with every locale it bundles — where a namespace import of this
 * module is shaken down to the functions used.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
