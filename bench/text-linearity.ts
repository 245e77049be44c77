/**
 * Bench: the mail-text functions that read hostile input (quote stripping, HTML to text, request-type
 * classification, a withdrawal's scope read sentence by sentence) stay linear. Each is run on an input of size n and
 * of size 4n, built the same way, median of 5; a linear function takes about 4× as long on the larger input, a
 * quadratic one about 16×.
 * Run: npm run bench:text — one line per function with both times and their ratio.
 */
import { performance } from 'node:perf_hooks';
import { classifyMailRequestTypes, classifyRequestTypes } from '../functions/domain/email/classify.ts';
import { htmlToText } from '../functions/domain/email/html-text.ts';
import { vocabularies } from '../functions/domain/email/index.ts';
import { quoteMarkersOf, stripQuotedHistory } from '../functions/domain/email/quoted-history.ts';

const RUNS = 5;
const SCALE = 4;
const markers = quoteMarkersOf(vocabularies());

const cases: Array<{ name: string; input: (n: number) => string; run: (text: string) => unknown }> = [
  {
    name: 'stripQuotedHistory, lines that look like markers',
    input: (n) => `${'-'.repeat(5 * n)}x\n${'<a@a'.repeat(2 * n)}:x\n${`${'-'.repeat(399)}x\n`.repeat(2 * n)}`,
    run: (text) => stripQuotedHistory(text, markers),
  },
  {
    name: 'htmlToText, nested and unclosed markup',
    input: (n) => '<b>x</b>'.repeat(5 * n) + '<blockquote>'.repeat(5 * n) + '</blockquote>'.repeat(5 * n) + '<!-- -->&#1;'.repeat(5 * n) + '<'.repeat(10 * n),
    run: htmlToText,
  },
  {
    name: 'classifyRequestTypes, a text of matching words',
    input: (n) => 'удалите данные рассылку прекратите '.repeat(2 * n),
    run: (text) => classifyRequestTypes(text, vocabularies()),
  },
  ...['.', '…', 'а;', 'отзываю согласие на рассылку; '].map((filler) => ({
    name: `classifyMailRequestTypes, a withdrawal before a run of ${JSON.stringify(filler)} (sentence ends)`,
    input: (n: number) => `Отзываю согласие на рассылку ${filler.repeat(Math.ceil((2 * n) / filler.length))}`,
    run: (text: string) => classifyMailRequestTypes('', text, vocabularies()),
  })),
];

function medianMs(run: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

const n = 10_000;
for (const { name, input, run } of cases) {
  const small = input(n);
  const large = input(n * SCALE);
  run(small); // warm up the JIT before measuring
  const smallMs = medianMs(() => run(small));
  const largeMs = medianMs(() => run(large));
  console.log(
    `${name}: ${(small.length / 1000).toFixed(0)} k chars ${smallMs.toFixed(1)} ms, ${(large.length / 1000).toFixed(0)} k chars ${largeMs.toFixed(1)} ms, ratio ${(largeMs / smallMs).toFixed(2)} for ${SCALE}× the input (linear ≈ ${SCALE}, quadratic ≈ ${SCALE * SCALE})`,
  );
}
