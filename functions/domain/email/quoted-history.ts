import { normaliseText } from './text.ts';
import type { CompiledVocabulary } from './vocabulary.ts';

export interface QuoteMarkers {
  introEndings: string[];
  separators: string[];
  fromLabels: string[];
  dateLabels: string[];
}

/** A mail client's language need not be the writer's, so the markers of every language apply. */
export function quoteMarkersOf(vocabularies: readonly CompiledVocabulary[]): QuoteMarkers {
  const all = vocabularies.map((vocabulary) => vocabulary.quotedHistory);
  return {
    introEndings: all.flatMap((markers) => markers.introEndings),
    separators: all.flatMap((markers) => markers.separators),
    fromLabels: all.flatMap((markers) => markers.headerLabels.from),
    dateLabels: all.flatMap((markers) => markers.headerLabels.date),
  };
}

/** "пн, 3 мар. 2025 г. в 10:00, Магазин <shop@example.kz>:" — Gmail, Yandex and mail.ru in any language. */
const ADDRESS_INTRO = /<[^<>\s@]+@[^<>\s]+>:$/;
/** The usenet signature separator "-- ". */
const SIGNATURE = '--';
/** Reply introductions and separators are short lines; longer lines are not inspected. */
const MAX_MARKER_LINE_CHARS = 400;

/**
 * The writer's own words: lines quoted with `>` are dropped, and everything from the first
 * reply introduction, forward separator, Outlook header block or signature on is cut, so a quoted
 * notice does not re-classify a reply. Cheap heuristics; an odd quote left in only costs triage.
 */
export function stripQuotedHistory(text: string, markers: QuoteMarkers): string {
  const lines = text.split(/\r?\n/);
  const kept: string[] = [];
  for (const [index, line] of lines.entries()) {
    const trimmed = line.trim();
    if (trimmed.startsWith('>')) continue;
    // Only short lines with a colon or leading dashes can start a quote; most skip normalising.
    const candidate =
      trimmed.length <= MAX_MARKER_LINE_CHARS && (trimmed.includes(':') || trimmed.startsWith('-'));
    if (candidate && startsQuote(normaliseText(line), () => normaliseText(lines[index + 1] ?? ''), markers)) break;
    kept.push(line.trimEnd());
  }
  return kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

function startsQuote(line: string, next: () => string, markers: QuoteMarkers): boolean {
  if (line === SIGNATURE || ADDRESS_INTRO.test(line)) return true;
  if (markers.introEndings.some((ending) => line.endsWith(ending))) return true;
  const separator = dashedText(line);
  if (separator !== undefined && markers.separators.includes(separator)) return true;
  if (!markers.fromLabels.some((label) => line.startsWith(label))) return false;
  const following = next();
  return markers.dateLabels.some((label) => following.startsWith(label));
}

/** "-----Original Message-----" → "original message"; undefined unless dashes surround the text. */
function dashedText(line: string): string | undefined {
  let start = 0;
  while (line[start] === '-') start++;
  let end = line.length;
  while (end > start && line[end - 1] === '-') end--;
  return start >= 2 && line.length - end >= 2 ? line.slice(start, end).trim() : undefined;
}
