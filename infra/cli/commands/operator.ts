import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export type Io = { out: (line: string) => void; err: (line: string) => void };

/**
 * Where the operator API is and the key to it: DERBES_API_URL (default the local runtime) and
 * DERBES_OPERATOR_KEY, or, for a local runtime, the key it keeps in DATA_DIR/secrets.json.
 */
function connection(): { url: string; key: string } {
  const url = (process.env.DERBES_API_URL ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/+$/, '');
  let key = process.env.DERBES_OPERATOR_KEY;
  const secretsFile = join(resolve(process.env.DATA_DIR ?? '.derbes'), 'secrets.json');
  if (!key && existsSync(secretsFile)) {
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
    key = Object.entries(secrets).find(([name]) => name.includes('OperatorKey'))?.[1];
  }
  if (!key) throw new Error('set DERBES_OPERATOR_KEY (printed by `npm start`, or the OperatorKey secret in AWS)');
  return { url, key };
}

/** One operator API call; the body as bytes (a PDF, say), with the response headers. */
export async function callRaw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const { url, key } = connection();
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

export async function call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await callRaw(method, path, body, headers);
  return { status: response.status, json: JSON.parse(response.body.toString('utf8')) as Record<string, unknown> };
}

/**
 * The command's positionals when there are at most `most`: parseArgs keeps a value typed after a repeatable option's
 * first (`--change a=b c=d`) as a positional, and a command that ignored it would act on part of what was typed.
 */
export function positionalsUpTo(positionals: string[], most: number, io: Io, usage: string): string[] | undefined {
  if (positionals.length <= most) return positionals;
  io.err(`unexpected ${positionals.slice(most).join(' ')} (an option takes one value each time: --change a=b --change c=d)`);
  io.err(usage);
  return undefined;
}

/**
 * A stored file (an attachment, a mail as it arrived) saved to `out`. The API answers with a link that lives a minute
 * (the file never passes through the operator function, whose answer Lambda holds to 6 MB); the link is fetched
 * without the operator key, and never printed: it opens the file to whoever holds it.
 */
export async function downloadTo(io: Io, path: string, out: string | undefined, usage: string): Promise<number> {
  if (!out) {
    io.err(`--out <file> is required: where to save the file`);
    io.err(usage);
    return 2;
  }
  const answer = await call('GET', path);
  if (answer.status >= 400) return report(io, answer, () => []);
  const file = await fetch(String(answer.json.url));
  if (!file.ok) {
    // S3's own words: which refusal (an expired link, a changed one), never the link.
    io.err(`${file.status} ${/<Code>([^<]*)<\/Code>/.exec(await file.text())?.[1] ?? 'error'}: the download link was refused`);
    return 1;
  }
  const bytes = Buffer.from(await file.arrayBuffer());
  writeFileSync(out, bytes);
  io.out(`${out}: ${bytes.length} bytes`);
  return 0;
}

/** A list's lines, or the line that says it is empty: an empty list prints that, not nothing. */
export const orNone = (lines: string[], none: string): string[] => (lines.length ? lines : [none]);

export function report(io: Io, result: { status: number; json: Record<string, unknown> }, render: (json: Record<string, unknown>) => string[]): number {
  if (result.status >= 400) {
    io.err(`${result.status} ${String(result.json.error)}: ${String(result.json.message)}`);
    return 1;
  }
  render(result.json).forEach(io.out);
  return 0;
}

interface RequestRow {
  reference: string;
  status: string;
  types: string[];
  dueAt: string;
  atRisk: boolean;
  overdue: boolean;
  attention?: { step: string; code: string };
}
const row = (r: RequestRow) =>
  `${r.reference}  ${r.status.padEnd(21)} due ${r.dueAt}${r.overdue ? '  OVERDUE' : r.atRisk ? '  AT RISK' : ''}${r.attention ? `  NEEDS ATTENTION (${r.attention.step}: ${r.attention.code})` : ''}  ${r.types.join(',') || '(unclassified)'}`;

/** A file the person sent, kept: `derbes requests attachment <reference> <key> --out <file>` saves it. */
interface KeptFile {
  size: number;
  key?: string;
}
const keptLines = (files: KeptFile[] | undefined) => (files ?? []).flatMap((f) => (f.key ? [`      attachment ${f.key}  ${f.size} bytes`] : []));

interface RequestDetail extends RequestRow {
  email: string;
  name?: string;
  language: string;
  channel: string;
  verified: boolean;
  subject?: string;
  message?: string;
  changes?: Record<string, string>;
  erasureFields?: string[];
  entry?: { by: string; at: string; identity: string; attestation?: string };
  notes: Array<{ at: string; by: string; text: string }>;
  thread: Array<{ direction: 'in' | 'out'; at: string; outcome?: string; template?: string; messageId?: string; sesMessageId?: string; text?: string; by?: string; attachments?: KeptFile[]; moreAttachments?: number }>;
  formAttachments?: KeptFile[];
  audit: Array<{ at: string; type: string; detail: unknown }>;
}

/** One request for a person to read: who asked, in their words, what they asked to change, the mail both ways, the trail. */
function requestLines(r: RequestDetail): string[] {
  const indent = (text: string) => text.split('\n').map((line) => `    ${line}`);
  return [
    row(r),
    `  from: ${r.name ? `${r.name} <${r.email}>` : r.email}  (${r.channel}, ${r.language}, ${r.entry?.identity === 'attested' ? 'identity attested by the operator' : r.verified ? 'address confirmed' : 'address NOT confirmed'})`,
    ...(r.subject !== undefined ? [`  subject: ${r.subject}`] : []),
    ...(r.message ? ['  their words:', ...indent(r.message)] : ['  their words: (none)']),
    ...(r.changes ? ['  changes asked:', ...Object.entries(r.changes).map(([field, value]) => `    ${field} → ${value}`)] : []),
    ...(r.erasureFields ? [`  erasure limited to: ${r.erasureFields.join(', ')}`] : []),
    ...(r.entry ? [`  entered by ${r.entry.by} at ${r.entry.at}; identity: ${r.entry.identity === 'attested' ? `attested — ${r.entry.attestation ?? ''}` : 'by the mailed link'}`] : []),
    ...(r.formAttachments?.length ? ['  sent with the form:', ...keptLines(r.formAttachments)] : []),
    ...(r.notes?.length ? ['  notes:', ...r.notes.flatMap((n) => [`    ${n.at}  by ${n.by}`, ...indent(n.text).map((line) => `    ${line}`)])] : []),
    ...(r.thread.length
      ? [
          '  mail:',
          ...r.thread.flatMap((m) => [
            `    ${m.at}  ${m.direction === 'in' ? `in   ${m.outcome ?? ''}` : `out  ${m.template ?? ''}${m.by ? ` by ${m.by}` : ''}`}  ${m.messageId ?? ''}`.trimEnd(),
            ...(m.text ? indent(m.text).map((line) => `    ${line}`) : []),
            // What `derbes requests raw-mail|attachment` take to save the mail whole or a file it carried.
            ...(m.sesMessageId ? [`      raw mail ${m.sesMessageId}`] : []),
            ...keptLines(m.attachments),
            ...(m.moreAttachments ? [`      ${m.moreAttachments} more attachments are in the raw mail only`] : []),
          ]),
        ]
      : []),
    '  trail:',
    ...r.audit.map((e) => `    ${e.at}  ${e.type}  ${JSON.stringify(e.detail)}`),
  ];
}

interface OpenWorkRow {
  requestId: string;
  id: string;
  kind?: string;
  since: string;
}

/** Every open request (the operator API gives them a page at a time), and the open work of answered ones. */
async function allOpenRequests(): Promise<{ status: number; json: Record<string, unknown> }> {
  const requests: RequestRow[] = [];
  let openWork: OpenWorkRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await call('GET', `/operator/requests${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (page.status >= 400) return page;
    requests.push(...(page.json.requests as RequestRow[]));
    if (!cursor) openWork = (page.json.openWork as OpenWorkRow[] | undefined) ?? [];
    cursor = page.json.nextCursor as string | undefined;
  } while (cursor);
  return { status: 200, json: { requests, openWork } };
}

const REQUESTS_USAGE =
  'usage: derbes requests [list | show <reference> | write <reference> --text "…" | note <reference> --text "…" | extend <reference> --reason "…" | resume <reference> | done <reference> <open work id>] [--json]\n' +
  '       derbes requests attachment <reference> <key> --out <file> | raw-mail <reference> <raw mail id> --out <file>   (a file the person sent, or their mail whole; `show` lists both)';

/** `derbes requests [list | show <reference> | write <reference> --text "…" | note <reference> --text "…" | extend <reference> --reason "…" | resume <reference> | done <reference> <item>] [--json]`. */
export async function requestsCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, reason: { type: 'string' }, text: { type: 'string' }, out: { type: 'string' } } });
  const given = positionalsUpTo(positionals, 3, io, REQUESTS_USAGE);
  if (!given) return 2;
  const [action = 'list', reference, item] = given;
  const asJson = (json: Record<string, unknown>) => [JSON.stringify(json, null, 2)];
  if (action === 'list') {
    return report(io, await allOpenRequests(), values.json ? asJson : (json) => {
      const openWork = (json.openWork as OpenWorkRow[] | undefined) ?? [];
      return [
        ...orNone((json.requests as RequestRow[]).map(row), 'No open requests.'),
        ...(openWork.length ? ['', 'Open work (answered, but left for you to do by hand; `derbes requests done <reference> <id>` when done):'] : []),
        ...openWork.map((w) => `${w.requestId}  ${w.id}${w.kind && w.kind !== w.id ? ` (${w.kind})` : ''}  since ${w.since}`),
      ];
    });
  }
  if (action === 'attachment' && reference && item) {
    return downloadTo(io, `/operator/requests/${encodeURIComponent(reference)}/attachment?key=${encodeURIComponent(item)}`, values.out, REQUESTS_USAGE);
  }
  if (action === 'raw-mail' && reference && item) {
    return downloadTo(io, `/operator/requests/${encodeURIComponent(reference)}/raw-mail?message=${encodeURIComponent(item)}`, values.out, REQUESTS_USAGE);
  }
  if (action === 'done' && reference && item) {
    return report(io, await call('POST', `/operator/requests/${encodeURIComponent(reference)}/open-work`, { done: item }), () => [`${reference}: ${item} done`]);
  }
  if (action === 'show' && reference) {
    return report(io, await call('GET', `/operator/requests/${encodeURIComponent(reference)}`), (json) => (values.json ? asJson(json) : requestLines(json as unknown as RequestDetail)));
  }
  if (action === 'write' && reference) {
    // One key per invocation: a retried call is one mail, and the same words written again are another.
    const sent = await call('POST', `/operator/requests/${encodeURIComponent(reference)}/messages`, { text: values.text }, { 'idempotency-key': randomUUID() });
    return report(io, sent, (json) => [`${String(json.reference)}: sent as ${String(json.messageId)}`]);
  }
  if (action === 'note' && reference) {
    return report(io, await call('POST', `/operator/requests/${encodeURIComponent(reference)}/notes`, { text: values.text }), (json) => [`${reference}: note ${String(json.id)} kept (not mailed)`]);
  }
  if (action === 'extend' && reference) {
    return report(io, await call('POST', `/operator/requests/${encodeURIComponent(reference)}/extension`, { reason: values.reason }), (json) => [row(json as never)]);
  }
  if (action === 'resume' && reference) {
    return report(io, await call('POST', `/operator/requests/${encodeURIComponent(reference)}/resume`), (json) => [`${String(json.reference)}: ${String(json.step)} runs again`]);
  }
  io.err(REQUESTS_USAGE);
  return 2;
}

const DECISIONS_USAGE =
  'usage: derbes decisions list | approve <reference> [--answer "…"] [--change field=value]… [--type t]… [--fields f1,f2 (an erasure of these personal fields only)] | deny <reference> --reason "…" --basis <refusal ground id | "the basis in words"> | not-a-request <reference> [--text "…"]';

/** `derbes decisions list | approve <ref> [...] | deny <ref> --reason "…" --basis … | not-a-request <ref> [--text "…"]`. */
export async function decisionsCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      reason: { type: 'string' },
      basis: { type: 'string' },
      answer: { type: 'string' },
      change: { type: 'string', multiple: true },
      type: { type: 'string', multiple: true },
      fields: { type: 'string', multiple: true },
      text: { type: 'string' },
    },
  });
  const given = positionalsUpTo(positionals, 2, io, DECISIONS_USAGE);
  if (!given) return 2;
  const [action = 'list', reference] = given;
  if (action === 'list') {
    return report(io, await call('GET', '/operator/decisions'), (json) =>
      orNone((json.decisions as Array<{ requestId: string; requestedAt: string; reasons: string[] }>).map((d) => `${d.requestId}  waiting since ${d.requestedAt}  ${d.reasons.join('; ')}`), 'No request waits for a decision.'),
    );
  }
  if (action === 'deny' && reference && (!values.reason || !values.basis)) {
    // The API refuses it too (400 naming the field); saying so here saves a round trip.
    io.err(`a refusal needs ${!values.reason ? '--reason (why, for the person)' : ''}${!values.reason && !values.basis ? ' and ' : ''}${!values.basis ? '--basis (a refusal ground id from rules/refusal-grounds, or the legal basis in words)' : ''}`);
    io.err(DECISIONS_USAGE);
    return 2;
  }
  if (action === 'not-a-request' && reference) {
    // Unclear mail that is no request (spam, a general question): closed, the words (if any) mailed to the person once.
    return report(io, await call('POST', `/operator/requests/${encodeURIComponent(reference)}/not-a-request`, values.text ? { text: values.text } : {}), (json) => [
      `${String(json.reference)}: closed as not a request${values.text ? '; your words are mailed to the person' : '; nothing is mailed'}`,
    ]);
  }
  if ((action === 'approve' || action === 'deny') && reference) {
    const changes = values.change?.map((c) => c.split('=')).map(([field, ...rest]) => [field, rest.join('=')]);
    const body = {
      decision: action,
      reason: values.reason,
      basis: values.basis,
      answer: values.answer,
      changes: changes ? Object.fromEntries(changes) : undefined,
      types: values.type,
      // --fields phone,photoUrl and --fields phone --fields photoUrl say the same.
      fields: values.fields?.flatMap((given) => given.split(',')).map((field) => field.trim()).filter(Boolean),
    };
    return report(io, await call('POST', `/operator/decisions/${encodeURIComponent(reference)}`, body), (json) => [`${String(json.reference)}: ${String(json.decision)} recorded; the workflow moves the request on`]);
  }
  io.err(DECISIONS_USAGE);
  return 2;
}
