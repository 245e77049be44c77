import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { call, callRaw, orNone, positionalsUpTo, report, type Io } from './operator.ts';

const USAGE = `usage: derbes breaches list
       derbes breaches record --file breach.json | --detected <ISO time> --what "…" --category c [--category d …] --system s [--system t …]
                              --measures "…" --responsible-name "…" --responsible-email a@b [--responsible-phone …] [--responsible-position …]
                              [--consequences "…"]
       derbes breaches show <reference>
       derbes breaches affected <reference> (--find a@b [c@d …] | --file people.json)   add affected people (found in the sources, or listed:
                              people.json is [{"name","iin","phone","email","language"}, …] or {"people":[…]})
       derbes breaches notice <reference> [--lang ru|kk|en] [--jurisdiction KZ] [--pdf file.pdf]
       derbes breaches filed <reference> [--jurisdiction KZ] [--at <ISO time>] [--reference "…"]
       derbes breaches mail <reference> [--text-ru "…"] [--text-kk "…"] [--text-en "…"] [--category-kk c …] [--category-en c …] [--approve]
                                     preview the mail to affected people; --approve sends it. It names the data involved: the
                                     register's categories in the profile's default language, --category-<lang> (repeated) in another`;

/** The register's fields as `record` takes them: a problem the API names by its field is told by the option. */
const RECORD_OPTIONS = {
  detectedAt: '--detected',
  description: '--what',
  dataCategories: '--category',
  systems: '--system',
  measuresTaken: '--measures',
  likelyConsequences: '--consequences',
  'responsible.name': '--responsible-name',
  'responsible.email': '--responsible-email',
  'responsible.phone': '--responsible-phone',
  'responsible.position': '--responsible-position',
} as const;
const REQUIRED_FOR_RECORD = ['detected', 'what', 'category', 'system', 'measures', 'responsible-name', 'responsible-email'] as const;

/** The option a field of the API's answer stands for (`dataCategories.0` → `--category`), or the field as it is. */
const optionFor = (field: string) => Object.entries(RECORD_OPTIONS).find(([name]) => field === name || field.startsWith(`${name}.`))?.[1] ?? field;

/**
 * The people of a `--file`: a list, or the API's own `{"people":[…]}`; anything else is refused, saying what it is.
 */
function peopleOf(file: string): unknown[] {
  const given = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (Array.isArray(given)) return given;
  if (given && typeof given === 'object' && Array.isArray((given as { people?: unknown }).people)) return (given as { people: unknown[] }).people;
  const what = given === null ? 'null' : Array.isArray(given) ? 'a list' : typeof given === 'object' ? `an object with ${Object.keys(given).map((k) => `"${k}"`).join(', ') || 'no keys'}` : `a ${typeof given}`;
  throw new CliInputError(`${file} holds ${what}: give a list of people, [{"name","iin","phone","email","language"}, …], or {"people":[…]}`);
}

/** What the operator typed cannot be sent: said, with the usage, and nothing is sent. */
class CliInputError extends Error {}

/** Longer lists go to the API in batches of this many (its limit per call). */
const BATCH = 200;

interface NoticeRow {
  jurisdiction: string;
  dueAt: string;
  filedAt?: string;
  overdue: boolean;
}
interface BreachRow {
  reference: string;
  detectedAt: string;
  notices: NoticeRow[];
  subjectCount: number;
  deliveries: Record<string, number>;
}
const noticeText = (n: NoticeRow) => `${n.jurisdiction} ${n.filedAt ? `filed ${n.filedAt}` : `due ${n.dueAt}${n.overdue ? '  OVERDUE' : ''}`}`;
const row = (b: BreachRow) =>
  `${b.reference}  detected ${b.detectedAt}  ${b.notices.map(noticeText).join('; ') || 'no notice owed'}  people ${b.subjectCount}${Object.keys(b.deliveries).length ? ` (${Object.entries(b.deliveries).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`;

/** `derbes breaches …`: the breach register through the operator API. */
export async function breachesCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      file: { type: 'string' },
      detected: { type: 'string' },
      what: { type: 'string' },
      category: { type: 'string', multiple: true },
      system: { type: 'string', multiple: true },
      measures: { type: 'string' },
      consequences: { type: 'string' },
      'responsible-name': { type: 'string' },
      'responsible-email': { type: 'string' },
      'responsible-phone': { type: 'string' },
      'responsible-position': { type: 'string' },
      find: { type: 'string', multiple: true },
      lang: { type: 'string' },
      jurisdiction: { type: 'string' },
      pdf: { type: 'string' },
      at: { type: 'string' },
      reference: { type: 'string' },
      'text-ru': { type: 'string' },
      'text-kk': { type: 'string' },
      'text-en': { type: 'string' },
      'category-ru': { type: 'string', multiple: true },
      'category-kk': { type: 'string', multiple: true },
      'category-en': { type: 'string', multiple: true },
      approve: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [action = 'list', reference, ...more] = positionals;
  if (action === 'help' || values.help) {
    io.out(USAGE);
    return 0;
  }
  // `--find a@b c@d` reads as one list: parseArgs leaves all but the first as positionals, which only `affected` takes.
  if (action !== 'affected' && !positionalsUpTo(positionals, 2, io, USAGE)) return 2;
  const asJson = (json: Record<string, unknown>) => [JSON.stringify(json, null, 2)];
  const path = (suffix = '') => `/operator/breaches/${encodeURIComponent(reference ?? '')}${suffix}`;
  if (action === 'list') return report(io, await call('GET', '/operator/breaches'), values.json ? asJson : (json) => orNone((json.breaches as BreachRow[]).map(row), 'No breaches recorded.'));
  if (action === 'record') {
    const missing = REQUIRED_FOR_RECORD.filter((option) => values[option] === undefined);
    if (!values.file && missing.length) {
      io.err(`missing: ${missing.map((option) => `--${option}`).join(', ')}`);
      io.err(USAGE);
      return 2;
    }
    const breach = values.file
      ? JSON.parse(readFileSync(values.file, 'utf8'))
      : {
          detectedAt: values.detected,
          description: values.what,
          dataCategories: values.category,
          systems: values.system,
          measuresTaken: values.measures,
          likelyConsequences: values.consequences,
          responsible: { name: values['responsible-name'], email: values['responsible-email'], phone: values['responsible-phone'], position: values['responsible-position'] },
        };
    const recorded = await call('POST', '/operator/breaches', breach);
    // Typed as options, a problem is told by the option, not by the API's field.
    const fields = recorded.json.fields as Array<{ field: string; message: string }> | undefined;
    if (recorded.status === 400 && !values.file && fields?.length) {
      io.err(fields.map((f) => `${optionFor(f.field)}: ${f.message}`).join('; '));
      return 1;
    }
    return report(io, recorded, values.json ? asJson : (json) => [row(json as never), `Notice text and PDF: derbes breaches notice ${String(json.reference)} --lang ru|kk|en`]);
  }
  if (!reference) {
    io.err(USAGE);
    return 2;
  }
  if (action === 'show') {
    return report(io, await call('GET', path()), (json) =>
      values.json ? asJson(json) : [row(json as never), ...(json.audit as Array<{ at: string; type: string; detail: unknown }>).map((e) => `  ${e.at}  ${e.type}  ${JSON.stringify(e.detail)}`)],
    );
  }
  if (action === 'affected') {
    const lists: Array<Record<string, unknown>> = [];
    let people: unknown[] = [];
    try {
      if (values.file) people = peopleOf(values.file);
    } catch (error) {
      if (!(error instanceof CliInputError)) throw error;
      io.err(error.message);
      return 2;
    }
    for (let i = 0; i < people.length; i += BATCH) lists.push({ people: people.slice(i, i + BATCH) });
    const find = [...(values.find ?? []), ...more];
    for (let i = 0; i < find.length; i += BATCH) lists.push({ find: find.slice(i, i + BATCH) });
    if (!lists.length) {
      io.err('give --find <e-mail>… or --file people.json');
      return 2;
    }
    for (const list of lists) {
      const code = report(io, await call('POST', path('/subjects'), list), (json) => [
        `added ${String(json.added)}, already listed ${String(json.alreadyListed)}, not found in any source ${String(json.notFound)}; ${String(json.subjectCount)} people in all` +
          ((json.failedSources as string[]).length ? `; sources that failed (ask again): ${(json.failedSources as string[]).join(', ')}` : ''),
      ]);
      if (code) return code;
    }
    return 0;
  }
  if (action === 'notice') {
    const query = new URLSearchParams({ lang: values.lang ?? 'ru', format: values.pdf ? 'pdf' : 'text', ...(values.jurisdiction ? { jurisdiction: values.jurisdiction } : {}) });
    const response = await callRaw('GET', path(`/notice?${query}`));
    if (response.status >= 400) return report(io, { status: response.status, json: JSON.parse(response.body.toString('utf8')) as Record<string, unknown> }, () => []);
    if (values.pdf) {
      writeFileSync(values.pdf, response.body);
      io.out(`written ${values.pdf} (sha256 ${response.headers.get('x-derbes-sha256')})`);
    } else {
      io.out(response.body.toString('utf8'));
    }
    const missing = response.headers.get('x-derbes-missing');
    if (missing && missing !== 'none') io.err(`not in the register yet (the notice says so): ${missing}`);
    return 0;
  }
  if (action === 'filed') {
    return report(io, await call('POST', path('/filing'), { jurisdiction: values.jurisdiction, filedAt: values.at, reference: values.reference }), (json) => [row(json as never)]);
  }
  if (action === 'mail') {
    const texts = Object.fromEntries(Object.entries({ ru: values['text-ru'], kk: values['text-kk'], en: values['text-en'] }).filter(([, text]) => text));
    const categories = Object.fromEntries(Object.entries({ ru: values['category-ru'], kk: values['category-kk'], en: values['category-en'] }).filter(([, list]) => list));
    const notice = { texts, ...(Object.keys(categories).length && { dataCategories: categories }) };
    if (values.approve) {
      return report(io, await call('POST', path('/person-notice'), notice), (json) => {
        const { deliveries } = json as unknown as BreachRow;
        const waiting = (deliveries.pending ?? 0) + (deliveries.held ?? 0);
        return [row(json as never), `sent now: ${String(json.sentNow)}; ${waiting ? `${waiting} more go out with the watch's runs` : 'nothing is left waiting to go out'}`];
      });
    }
    return report(io, await call('POST', path('/person-notice/preview'), notice), (json) =>
      (json.mails as Array<{ language: string; subject: string; text: string }>).flatMap((m) => [`--- ${m.language}: ${m.subject}`, m.text, '']),
    );
  }
  io.err(USAGE);
  return 2;
}
