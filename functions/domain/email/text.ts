/**
 * The one normalisation every comparison of human text goes through: composed characters, no
 * invisible format characters (soft hyphens, zero-width spaces from HTML mail), lower case, `е` for
 * `ё`, single spaces.
 */
export function normaliseText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\p{Cf}/gu, '')
    .toLowerCase()
    .replaceAll('ё', 'е')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Words of normalised text; punctuation, hyphens and quotes separate words. */
export function words(normalised: string): string[] {
  return normalised.match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
}
