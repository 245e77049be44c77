import { onFirstUse } from './on-first-use.ts';

/** An extension an operator's system can open a file by: a dot and up to ten letters or digits at the end. */
const EXTENSION = /\.[\p{L}\p{N}]{1,10}$/u;

/**
 * What a shown name must not carry: control and format characters (bidirectional overrides — `scan\u202Efdp.exe`
 * reads as `scanexe.pdf` — zero-width ones), line and paragraph separators, private-use and unassigned code points,
 * and the fillers that draw nothing (Hangul fillers, the blank braille pattern, the combining grapheme joiner).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u034F\u115F\u1160\u3164\uFFA0\u2800]/gu;
/** Slashes in other scripts, which some systems turn into a path separator. */
const SLASH_LOOKALIKES = /[\u2044\u2215\u29F8\uFF0F\uFF3C]/gu;
/** A name of nothing but dots, spaces and ellipses ('..', '. .', '…') names no file. */
const NOTHING = /^[\s.…]*$/u;

/** Built when a name is first cut, not at every cold start of the functions that bundle this module. */
const graphemes = onFirstUse(() => new Intl.Segmenter(undefined, { granularity: 'grapheme' }));

/**
 * A name people sent with a file (a mail's attachment, a form's upload), safe to show, store and offer for download:
 * its last path segment (a sender may give `C:\Users\…\scan.pdf` or `../../etc/passwd`), without the characters
 * INVISIBLE lists, a lone surrogate as U+FFFD (half an emoji is not text, and a store may change it under an audit
 * event's hash), at most `maxChars` characters (see shortened). `fallback` when nothing usable is left, with the
 * extension when that is all there was (`.pdf` → `attachment.pdf`).
 */
export function safeFilename(name: string | null | undefined, maxChars: number, fallback: string): string {
  const last = (name ?? '').toWellFormed().replace(SLASH_LOOKALIKES, '/').split(/[\\/]/).at(-1) ?? '';
  const clean = shortened(last.replace(INVISIBLE, '').trim(), maxChars);
  const extension = EXTENSION.exec(clean)?.[0] ?? '';
  if (NOTHING.test(clean.slice(0, clean.length - extension.length))) return NOTHING.test(clean) ? fallback : `${fallback}${extension}`;
  return clean;
}

/**
 * The name within `budget`, where each character costs `cost` (one by default; a store that counts encoded bytes
 * passes its own): kept whole when it fits, else its beginning, an ellipsis and its extension, so that the file is
 * still known for what it is (`.pdf`). Cut between characters as people see them (never inside an emoji, a flag or
 * a letter with its accent), without the spaces and dots the cut leaves before the ellipsis. Empty when not even the
 * ellipsis fits.
 */
export function shortened(name: string, budget: number, cost: (character: string) => number = () => 1): string {
  const costOf = (text: string, limit = Infinity) => {
    let sum = 0;
    for (const character of text) if ((sum += cost(character)) > limit) break;
    return sum;
  };
  if (costOf(name, budget) <= budget) return name;
  const found = EXTENSION.exec(name)?.[0] ?? '';
  const extension = costOf(`…${found}`) <= budget ? found : '';
  const tail = `…${extension}`;
  let spent = costOf(tail);
  if (spent > budget) return '';
  let kept = '';
  for (const { segment } of graphemes().segment(name.slice(0, name.length - extension.length))) {
    spent += costOf(segment);
    if (spent > budget) break;
    kept += segment;
  }
  return `${kept.replace(/[\s.…]+$/u, '')}${tail}`;
}

/**
 * A download under the name it came with: any name a mail carried (Cyrillic, quotes, control characters) as RFC 6266
 * `filename*` in UTF-8, with a plain ASCII fallback for clients that read only `filename`.
 */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
