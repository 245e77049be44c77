/**
 * The one door to zod: every schema of derbes is built with `z` from here. It is zod's `zod/mini` (the same core as
 * zod "classic", with a functional, tree-shakable API): a function's bundle then carries only the parts of zod its
 * schemas use, and a schema's construction does not give each instance its own methods — the init of a Lambda is
 * shorter. zod/mini sets no locale on its own; English is set here, once, so every issue message reads as it did.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

export { z };
