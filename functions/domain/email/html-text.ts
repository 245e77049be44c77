/** Elements whose text is not the sender's message: code, metadata, and quoted history. */
const SKIPPED = new Set(['script', 'style', 'head', 'title', 'template', 'blockquote']);
/** Elements that end a line when rendered. */
const LINE_BREAKING = new Set([
  'br', 'p', 'div', 'li', 'tr', 'table', 'ul', 'ol', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'section', 'article',
]);
const NAMED_ENTITIES: Record<string, string> = {
  nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", laquo: '«', raquo: '»',
  ndash: '–', mdash: '—', hellip: '…', shy: '', zwnj: '', zwj: '',
};

/**
 * Plain text of an HTML-only message, for classification. Quoted history in `<blockquote>` (Gmail,
 * Apple Mail, Thunderbird) is left out here; the rest is found on the text. Single pass, so
 * hostile markup cannot make it slow.
 */
export function htmlToText(html: string): string {
  const out: string[] = [];
  const skipping = new Map<string, number>();
  let skippedDepth = 0;
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf('<', at);
    const textEnd = open < 0 ? html.length : open;
    if (skippedDepth === 0) out.push(decodeEntities(html.slice(at, textEnd).replace(/\s+/g, ' ')));
    if (open < 0) break;
    if (html.startsWith('<!--', open)) {
      const close = html.indexOf('-->', open + 4);
      if (close < 0) break;
      at = close + 3;
      continue;
    }
    const close = html.indexOf('>', open + 1);
    if (close < 0) break;
    const tag = /^(\/?)([a-zA-Z][a-zA-Z0-9]*)/.exec(html.slice(open + 1, Math.min(close, open + 40)));
    at = close + 1;
    if (!tag) continue;
    const closing = tag[1] === '/';
    const name = (tag[2] ?? '').toLowerCase();
    if (SKIPPED.has(name) && html[close - 1] !== '/') {
      const depth = (skipping.get(name) ?? 0) + (closing ? -1 : 1);
      if (depth >= 0) {
        skipping.set(name, depth);
        skippedDepth += closing ? -1 : 1;
      }
    }
    if (LINE_BREAKING.has(name) && skippedDepth === 0) out.push('\n');
  }
  return out
    .join('')
    .split('\n')
    .map((line) => line.replace(/ {2,}/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{2,8}));/gi, (entity, decimal, hex, name) => {
    if (name !== undefined) return NAMED_ENTITIES[String(name).toLowerCase()] ?? entity;
    const codePoint = decimal !== undefined ? Number(decimal) : Number.parseInt(String(hex), 16);
    return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity;
  });
}
