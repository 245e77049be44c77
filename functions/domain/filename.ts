/** An extension an operator's system can open a file by: a dot and up to ten letters or digits at the end. */
const EXTENSION = /\.[\p{L}\p{N}]{1,10}$/u;

/**
 * A name people sent with a file (a mail's attachment, a form's upload), safe to show, store and offer for download:
 * its last path segment (a sender may give `C:\Users\…\scan.pdf` or `../../etc/passwd`), without control, format,
 * bidirectional or zero-width characters (`scan\u202Efdp.exe` would read as `scanexe.pdf`), a lone surrogate as
 * U+FFFD (half an emoji is not text, and a store may change it under an audit event's hash), at most `maxChars`
 * characters (see shortened). `fallback` when nothing usable is left.
 */
export function safeFilename(name: string | null | undefined, maxChars: number, fallback: string): string {
  const last = (name ?? '').toWellFormed().split(/[\\/]/).at(-1) ?? '';
  const clean = last.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  const kept = shortened(clean, maxChars);
  return kept === '' || kept === '.' || kept === '..' ? fallback : kept;
}

/**
 * The name within `budget`, where each character costs `cost` (one by default; a store that counts encoded bytes
 * passes its own): kept whole when it fits, else its beginning, an ellipsis and its extension, so that the file is
 * still known for what it is (`.pdf`). Cut between characters, never inside one.
 */
export function shortened(name: string, budget: number, cost: (character: string) => number = () => 1): string {
  const costOf = (text: string) => Array.from(text).reduce((sum, character) => sum + cost(character), 0);
  if (costOf(name) <= budget) return name;
  const characters = Array.from(name);
  const found = EXTENSION.exec(name)?.[0] ?? '';
  const extension = costOf(`…${found}`) <= budget ? found : '';
  const tail = `…${extension}`;
  let spent = costOf(tail);
  let kept = '';
  for (const character of characters.slice(0, characters.length - Array.from(extension).length)) {
    spent += cost(character);
    if (spent > budget) break;
    kept += character;
  }
  return kept + tail;
}
