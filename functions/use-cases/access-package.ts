import { randomBytes } from 'node:crypto';
import { localize } from '../config/profile-schema.ts';
import { InvalidTokenError } from '../domain/errors.ts';
import { escapeHtml } from '../domain/html.ts';
import { loadMessages, messagesFor, type Messages } from '../domain/messages.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { hashSecretCode, isWellFormedCode, newSecretCode } from '../domain/secret-code.ts';
import { consentHistory, type ConsentHistoryLine } from './consent.ts';
import type { Dependencies } from './dependencies.ts';
import { ownRecords, sourceSteps } from './fulfilment-plan.ts';
import type { DownloadGrant, SourceResult } from './ports.ts';
import { disclosedRecord, presentRecord, recordLines, type ShownRecord } from './records.ts';

/** How long the download links of an access package work. */
export const PACKAGE_LINK_DAYS = 7;

type PackageFormat = NonNullable<DownloadGrant['part']>;

/** Everything the law entitles a person to know, in their language: one model for the mail, the page and the file. */
export interface AccessReport {
  /** False when a source could not be read in time: "nothing held" may then only be said of those that answered. */
  complete: boolean;
  /** `readBefore`: the request that destroyed the records just after they were read for this one (see SourceResult). */
  data: Array<{ sourceId: string; name: string; records: ShownRecord[]; disclosed: Array<Record<string, unknown>>; readBefore?: string }>;
  purposes: Array<{ id: string; purpose: string; basis: string }>;
  sources: Array<{ id: string; name: string; categories: string }>;
  retention: string;
  recipients: Array<{ name: string; role: string; country: string; purpose: string }>;
  crossBorder?: { countries: string[]; description: string };
  consents: ConsentHistoryLine[];
}

/** The report of what is held about the person (from the sources that answered) and how it is used. */
export async function accessReport(deps: Pick<Dependencies, 'profile' | 'consent' | 'personKey'>, request: DataSubjectRequest, results: SourceResult[]): Promise<AccessReport> {
  const lang = request.language;
  const m = await loadMessages(lang);
  const data = deps.profile.sources.flatMap((source) => {
    const result = results.find((r) => r.sourceId === source.id);
    if (!result?.outcomes.access || !result.records.length) return [];
    return [
      {
        sourceId: source.id,
        name: localize(source.description, lang),
        records: result.records.map((record) => presentRecord(source, record, m, request.deadline.timeZone)),
        disclosed: result.records.map((record) => disclosedRecord(source, record)),
        ...(result.readBefore && { readBefore: result.readBefore }),
      },
    ];
  });
  const crossBorder = deps.profile.crossBorder;
  const named = crossBorder?.countries.filter((code) => code !== 'ZZ') ?? [];
  return {
    complete: deps.profile.sources.every((source) => !sourceSteps(deps.profile, source, request).includes('access') || results.some((r) => r.sourceId === source.id && r.outcomes.access)),
    data,
    purposes: deps.profile.purposes.map((p) => ({ id: p.id, purpose: localize(p.description, lang), basis: localize(p.legalBasis, lang) })),
    sources: deps.profile.sources.map((s) => ({ id: s.id, name: localize(s.description, lang), categories: localize(s.categories, lang) })),
    retention: localize(deps.profile.retention, lang),
    recipients: deps.profile.processors.map((p) => ({ name: localize(p.name, lang), role: m.roleName(p.role), country: m.country(p.country), purpose: localize(p.purpose, lang) })),
    ...(crossBorder && { crossBorder: { countries: named.map((code) => m.country(code)), description: localize(crossBorder.description, lang) } }),
    consents: await consentHistory(deps, request, ownRecords(deps.profile, request, results)),
  };
}

/** The access part of the answer mail. */
export function accessText(report: AccessReport, m: Messages): string {
  const records = report.data.length
    ? report.data
        .map((source) => {
          const records = source.records.map((r) => recordLines(r, m));
          if (source.readBefore) records.unshift(m.answer('readBeforeErasure', { reference: source.readBefore }));
          return m.answer('sourceRecords', { source: source.name, records: records.join('\n\n') });
        })
        .join('\n\n')
    : m.answer(report.complete ? 'noRecords' : 'noRecordsSoFar');
  const parts = [
    m.answer('access', {
      records,
      purposes: report.purposes.map((p) => m.answer('purpose', { purpose: p.purpose, basis: p.basis })).join('\n'),
      sources: report.sources.map((s) => m.answer('source', { source: s.name, categories: s.categories })).join('\n'),
      retention: report.retention,
      recipients: report.recipients.length ? report.recipients.map((r) => m.answer('recipient', r)).join('\n') : m.answer('noRecipients'),
    }),
  ];
  if (report.crossBorder) {
    const { countries, description } = report.crossBorder;
    parts.push(countries.length ? m.answer('crossBorder', { countries: m.list(countries), description }) : m.answer('crossBorderUnnamed', { description }));
  }
  if (report.consents.length) {
    const lines = report.consents.map((line) =>
      m.answer('consentEvent', {
        purpose: line.purpose,
        event: line.event,
        at: line.at,
        // How it was given, then until when it runs: a date followed by a channel would read as the channel's.
        details: `${line.channel ? `, ${line.channel}` : ''}${line.until ? m.answer('consentTermEnds', { until: line.until }) : ''}${line.reference ? m.answer('consentRequest', { reference: line.reference }) : ''}`,
      }),
    );
    parts.push(m.answer('consentHistory', { consents: lines.join('\n') }));
  }
  return parts.join('\n\n');
}

/** The machine-readable copy: the same facts as the answer, structured, with field names and their labels. */
function packageJson(deps: Pick<Dependencies, 'profile' | 'clock'>, request: DataSubjectRequest, report: AccessReport) {
  return {
    reference: request.id,
    generatedAt: deps.clock.now().toISOString(),
    language: request.language,
    // Named as the person reads it elsewhere, in their language; the registered name beside it.
    controller: { name: localize(deps.profile.operator.name, request.language), legalName: deps.profile.operator.legalName, bin: deps.profile.operator.bin, contact: deps.profile.operator.contactEmail },
    request: { types: request.types, receivedAt: request.receivedAt },
    data: report.data.map((source) => ({
      source: source.sourceId,
      description: source.name,
      records: source.disclosed,
      labels: Object.fromEntries(source.records.flatMap((r) => r.fields.map((f) => [f.field, f.label]))),
      withheld: source.records.flatMap((r) => r.withheld.map((w) => ({ field: w.field, label: w.label, reason: w.reason }))),
      // The request that erased these records just after they were read for this one.
      ...(source.readBefore && { erasedUnder: source.readBefore }),
    })),
    purposes: report.purposes.map((p) => ({ id: p.id, description: p.purpose, legalBasis: p.basis })),
    sources: report.sources,
    retention: report.retention,
    recipients: report.recipients,
    crossBorder: report.crossBorder ?? null,
    consents: report.consents,
  };
}

const table = (head: string[], rows: string[][]) =>
  `<table><thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

/** The readable copy: a page in the person's language with a heading per part and a table per record; prints cleanly. */
export function packageHtml(request: DataSubjectRequest, operatorName: string, report: AccessReport): string {
  const m = messagesFor(request.language); // publishAccessPackage has loaded it
  const t = m.packageText;
  const section = (title: string, body: string) => `<section><h2>${escapeHtml(title)}</h2>\n${body}</section>`;
  const data = report.data.length
    ? report.data
        .map(
          (source) =>
            `<h3>${escapeHtml(source.name)}</h3>\n${source.readBefore ? `<p>${escapeHtml(m.answer('readBeforeErasure', { reference: source.readBefore }))}</p>\n` : ''}${source.records
              .map((record, i) =>
                [
                  table([`${t('record')} ${i + 1}`, t('value')], record.fields.map((f) => [f.label, f.value])),
                  ...record.withheld.map((w) => `<p class="withheld">${escapeHtml(m.answer('withheld', { field: w.label, reason: w.reason }))}</p>`),
                ].join('\n'),
              )
              .join('\n')}`,
        )
        .join('\n')
    : `<p>${escapeHtml(report.complete ? t('noData') : m.answer('noRecordsSoFar'))}</p>`;
  const parts = [
    section(t('data'), data),
    section(t('purposes'), table([t('purpose'), t('basis')], report.purposes.map((p) => [p.purpose, p.basis]))),
    section(t('sources'), table([t('source'), t('categories')], report.sources.map((s) => [s.name, s.categories]))),
    section(t('retention'), `<p>${escapeHtml(report.retention)}</p>`),
    section(
      t('recipients'),
      report.recipients.length
        ? table([t('recipient'), t('role'), t('country'), t('what')], report.recipients.map((r) => [r.name, r.role, r.country, r.purpose]))
        : `<p>${escapeHtml(m.answer('noRecipients'))}</p>`,
    ),
    ...(report.crossBorder
      ? [
          section(
            t('crossBorder'),
            `<p>${escapeHtml(
              report.crossBorder.countries.length
                ? m.answer('crossBorder', { countries: m.list(report.crossBorder.countries), description: report.crossBorder.description })
                : m.answer('crossBorderUnnamed', { description: report.crossBorder.description }),
            )}</p>`,
          ),
        ]
      : []),
    ...(report.consents.length
      ? [section(t('consents'), table([t('purpose'), t('event'), t('evidence')], report.consents.map((c) => [c.purpose, `${c.event} — ${c.at}`, [c.channel, c.reference].filter(Boolean).join(', ')])))]
      : []),
  ];
  return `<!doctype html>
<html lang="${request.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t('title'))} — ${request.id}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#111}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #999}h3{margin-top:1.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}.withheld{font-style:italic}.meta{color:#444}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,tr{break-inside:avoid}}
</style></head>
<body><header><h1>${escapeHtml(t('title'))}</h1><p class="meta">${escapeHtml(operatorName)} · ${escapeHtml(t('intro'))} ${request.id}</p></header>
<main>
${parts.join('\n')}
</main></body></html>`;
}

/**
 * Stores the access package (JSON and a readable page, encrypted by the bucket's key) and returns the answer's
 * section with one single-use, expiring link to each. Both renderings are one object (one S3 request, not two);
 * each link's grant names its part.
 */
export async function publishAccessPackage(deps: Pick<Dependencies, 'profile' | 'clock' | 'packages' | 'downloads' | 'publicUrl'>, request: DataSubjectRequest, report: AccessReport): Promise<string> {
  const m = await loadMessages(request.language);
  const objectKey = `packages/${request.id}/${randomBytes(8).toString('hex')}/package.json`;
  const expiresAt = new Date(deps.clock.now().getTime() + PACKAGE_LINK_DAYS * 86_400_000).toISOString();
  const operatorName = localize(deps.profile.operator.name, request.language);
  const parts: Record<PackageFormat, string> = { json: JSON.stringify(packageJson(deps, request, report), null, 2), html: packageHtml(request, operatorName, report) };
  await deps.packages.put(objectKey, JSON.stringify(parts), 'application/json; charset=utf-8');
  const files = [
    { part: 'json', contentType: 'application/json; charset=utf-8', filename: `${request.id}.json` },
    { part: 'html', contentType: 'text/html; charset=utf-8', filename: `${request.id}.html` },
  ] as const;
  const links: Partial<Record<PackageFormat, string>> = {};
  for (const file of files) {
    const { code: token, codeHash } = newSecretCode();
    await deps.downloads.put(codeHash, { requestId: request.id, objectKey, ...file }, expiresAt);
    links[file.part] = `${deps.publicUrl}/download?token=${token}&lang=${request.language}&format=${file.part}`;
  }
  return m.answer('packageLinks', { jsonLink: links.json!, htmlLink: links.html!, expiresAt: m.date(expiresAt, request.deadline.timeZone) });
}

/** The POST behind a download page: the token is used up here, so a scanner's GET never spends it. */
export async function download(deps: Pick<Dependencies, 'downloads' | 'packages' | 'clock'>, token: string): Promise<DownloadGrant & { body: string }> {
  if (!isWellFormedCode(token)) throw new InvalidTokenError('download token is malformed');
  const grant = await deps.downloads.consume(hashSecretCode(token), deps.clock.now());
  const stored = await deps.packages.read(grant.objectKey);
  // A grant made before the renderings shared an object has none: its object is the file.
  const body = grant.part ? (JSON.parse(stored) as Record<PackageFormat, string>)[grant.part] : stored;
  return { ...grant, body };
}
