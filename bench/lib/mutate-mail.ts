/**
 * Deterministic damage to real messages, for fuzzing intake: the same seed always yields the same
 * bytes, so any failure can be replayed from the seed and the corpus file it started from.
 */

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, below). */
  below(below: number): number;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: tiny, fast, and good enough to spread mutations. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const below = (limit: number): number => Math.floor(next() * limit);
  return {
    next,
    below,
    pick: <T>(items: readonly T[]): T => {
      const item = items[below(items.length)];
      if (item === undefined) throw new Error('cannot pick from an empty list');
      return item;
    },
  };
}

/** Latin-1 maps every byte to one character and back, so text edits keep the other bytes intact. */
const asText = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const asBytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

interface Message {
  /** Header fields, each with its folded continuation lines. */
  fields: string[];
  /** The blank line between header and body; empty when there is no body. */
  separator: string;
  body: string;
}

function split(text: string): Message {
  const blankLine = /\r?\n\r?\n/.exec(text);
  const head = blankLine ? text.slice(0, blankLine.index) : text;
  const fields: string[] = [];
  for (const line of head.split(/(?<=\n)/)) {
    const last = fields.length - 1;
    if (/^[ \t]/.test(line) && last >= 0) fields[last] += line;
    else fields.push(line);
  }
  // Every field ends with a line break, so fields can be moved and added freely.
  const ended = fields.map((field) => (field.endsWith('\n') ? field : `${field}\r\n`));
  if (!blankLine) return { fields: ended, separator: '', body: '' };
  return { fields: ended, separator: blankLine[0].endsWith('\r\n') ? '\r\n' : '\n', body: text.slice(blankLine.index + blankLine[0].length) };
}

const join = (message: Message): string => `${message.fields.join('')}${message.separator}${message.body}`;

function onMessage(edit: (message: Message, random: Random) => void): (text: string, random: Random) => string {
  return (text, random) => {
    const message = split(text);
    edit(message, random);
    return join(message);
  };
}

const isField = (name: string) => (field: string): boolean => field.toLowerCase().startsWith(`${name}:`);

const CHARSETS = ['utf-8', 'windows-1251', 'koi8-r', 'iso-8859-1', 'x-unknown-charset', '', 'utf-7', 'gb2312', 'utf-16'];
const ENCODINGS = ['base64', 'quoted-printable', '8bit', 'binary', 'x-uuencode', 'bogus'];
const INJECTED_HEADERS = [
  'Auto-Submitted: auto-generated',
  'Precedence: bulk',
  'List-Id: <fuzz.example.org>',
  'Return-Path: <>',
  'In-Reply-To: <DRB-7K3M9-QX2PT.receipt.fuzz@derbes.local>',
  'References: <DRB-00000-00000@derbes.local> <broken',
  'Content-Type: multipart/report; report-type=delivery-status',
  'X-Auto-Response-Suppress: All',
  'From: <>',
  'From: "Only A Name"',
  'Subject: =?utf-8?B?0KPQtNCw0LvQuNGC0LUg0LTQsNC90L3Ri9C1?=',
];

function randomBytes(random: Random, length: number): string {
  return Array.from({ length }, () => String.fromCharCode(random.below(256))).join('');
}

function randomEncodedWord(random: Random): string {
  const charset = random.pick(CHARSETS);
  const payload = randomBytes(random, 1 + random.below(40));
  switch (random.below(5)) {
    case 0:
      return `=?${charset}?B?${Buffer.from(payload, 'latin1').toString('base64')}?=`;
    case 1:
      return `=?${charset}?Q?${Array.from(payload, (c) => `=${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')}?=`;
    case 2:
      return `=?${charset}?B?${Buffer.from(payload, 'latin1').toString('base64').slice(0, -1)}`;
    case 3:
      return `=?${charset}?X?${payload}?=`;
    default:
      return `=?${charset}*ru?q?=ZZ=G0_?=`;
  }
}

/** Each mutation is a named, seeded edit of the message text (one Latin-1 character per byte). */
export const MUTATIONS: ReadonlyArray<{ name: string; apply: (text: string, random: Random) => string }> = [
  { name: 'truncate', apply: (text, random) => text.slice(0, random.below(text.length + 1)) },
  {
    name: 'flip-bytes',
    apply: (text, random) => {
      const characters = text.split('');
      for (let flips = 1 + random.below(16); flips > 0 && characters.length > 0; flips--) {
        characters[random.below(characters.length)] = String.fromCharCode(random.below(256));
      }
      return characters.join('');
    },
  },
  {
    name: 'duplicate-header',
    apply: onMessage((message, random) => {
      if (message.fields.length === 0) return;
      message.fields.splice(random.below(message.fields.length + 1), 0, random.pick(message.fields));
    }),
  },
  {
    name: 'delete-header',
    apply: onMessage((message, random) => {
      message.fields.splice(random.below(message.fields.length), 1);
    }),
  },
  {
    name: 'remove-from',
    apply: onMessage((message) => {
      message.fields = message.fields.filter((field) => !isField('from')(field));
    }),
  },
  {
    name: 'inject-header',
    apply: onMessage((message, random) => {
      message.fields.splice(random.below(message.fields.length + 1), 0, `${random.pick(INJECTED_HEADERS)}\r\n`);
    }),
  },
  {
    name: 'garbage-from',
    apply: onMessage((message, random) => {
      const junk = random.pick(['<<@@>>', 'a@b@c', '@', 'x@[203.0.113.1]', 'user@-bad-.kz', `${randomEncodedWord(random)} <a@xn--zz>`, randomBytes(random, 30)]);
      message.fields = message.fields.map((field) => (isField('from')(field) ? `From: ${junk}\r\n` : field));
    }),
  },
  {
    name: 'break-boundary',
    apply: (text, random) => {
      const boundary = /boundary="?([^";\r\n]+)"?/i.exec(text)?.[1];
      if (!boundary) return text;
      switch (random.below(4)) {
        case 0:
          return text.replace(/boundary="?[^";\r\n]+"?/i, `boundary="${boundary}-changed"`);
        case 1:
          return text.replaceAll(`--${boundary}--`, '');
        case 2:
          return text.replace(`--${boundary}\r\n`, `--${boundary.slice(0, -1)}\r\n`);
        default:
          return text.replace(/;\s*boundary="?[^";\r\n]+"?/i, '');
      }
    },
  },
  {
    name: 'wrong-charset',
    apply: (text, random) => text.replace(/charset="?[^";\s]*"?/gi, () => `charset="${random.pick(CHARSETS)}"`),
  },
  {
    name: 'wrong-transfer-encoding',
    apply: (text, random) =>
      text.replace(/Content-Transfer-Encoding:[^\r\n]*/gi, () => `Content-Transfer-Encoding: ${random.pick(ENCODINGS)}`),
  },
  {
    name: 'huge-line',
    apply: (text, random) => {
      const at = random.below(text.length + 1);
      const line = random.pick(['A', 'я', '=', ' ', '<']).repeat(10_000 + random.below(300_000));
      return `${text.slice(0, at)}${line}${text.slice(at)}`;
    },
  },
  {
    name: 'random-encoded-words',
    apply: onMessage((message, random) => {
      const words = Array.from({ length: 1 + random.below(6) }, () => randomEncodedWord(random)).join(' ');
      const target = random.pick(['subject', 'from']);
      const value = target === 'from' ? `${words} <fuzz.test@example.kz>` : words;
      message.fields = message.fields.filter((field) => !isField(target)(field));
      message.fields.push(`${target === 'from' ? 'From' : 'Subject'}: ${value}\r\n`);
    }),
  },
  {
    name: 'control-bytes',
    apply: (text, random) => {
      const at = random.below(Math.min(text.length, 2_000) + 1);
      return `${text.slice(0, at)}${random.pick(['\0', '\x1b', '\r', '\n', '\x7f', '\xff'])}${text.slice(at)}`;
    },
  },
  {
    name: 'line-endings',
    apply: (text, random) => (random.below(2) === 0 ? text.replaceAll('\r\n', '\n') : text.replaceAll('\r\n', '\r')),
  },
  {
    name: 'nest-parts',
    apply: onMessage((message, random) => {
      const depth = 1 + random.below(400);
      const contentType = message.fields.find(isField('content-type')) ?? 'Content-Type: text/plain\r\n';
      let body = `${contentType}\r\n${message.body}`;
      for (let level = 0; level < depth; level++) {
        body = `Content-Type: multipart/mixed; boundary="f${level}"\r\n\r\n--f${level}\r\n${body}\r\n--f${level}--\r\n`;
      }
      const [outerType, ...rest] = body.split('\r\n\r\n');
      message.fields = [...message.fields.filter((field) => !isField('content-type')(field)), `${outerType}\r\n`];
      message.body = rest.join('\r\n\r\n');
    }),
  },
  {
    name: 'shuffle-lines',
    apply: (text, random) => {
      const lines = text.split('\n');
      for (let swaps = 1 + random.below(8); swaps > 0 && lines.length > 1; swaps--) {
        const a = random.below(lines.length);
        const b = random.below(lines.length);
        [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
      }
      return lines.join('\n');
    },
  },
];

/** One to three mutations, chosen and applied from the seed. */
export function mutateMail(raw: Uint8Array, seed: number): { bytes: Uint8Array; mutations: string[] } {
  const random = seededRandom(seed);
  let text = asText(raw);
  const mutations: string[] = [];
  for (let count = 1 + random.below(3); count > 0; count--) {
    const mutation = random.pick(MUTATIONS);
    text = mutation.apply(text, random);
    mutations.push(mutation.name);
  }
  return { bytes: asBytes(text), mutations };
}
