import { randomBytes } from 'node:crypto';
import { localize } from '../config/profile-schema.ts';
import { escapeHtml } from '../domain/html.ts';
import { messagesFor } from '../domain/messages.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { hashVerificationCode } from '../domain/verification-code.ts';
import type { Dependencies } from './dependencies.ts';
import type { SourceResult } from './ports.ts';

/** How long the download links of an access package work. */
export const PACKAGE_LINK_DAYS = 7;

// A type alias (not an interface) so it fits the token store's Record<string, unknown> bound.
export type DownloadGrant = {
  requestId: string;
  objectKey: string;
  contentType: string;
  filename: string;
};

/** The machine-readable copy: the same facts as the answer, structured. */
function packageJson(deps: Dependencies, request: DataSubjectRequest, results: SourceResult[]) {
  const lang = request.language;
  return {
    reference: request.id,
    generatedAt: deps.clock.now().toISOString(),
    controller: { name: deps.profile.operator.legalName, bin: deps.profile.operator.bin, contact: deps.profile.operator.contactEmail },
    request: { types: request.types, receivedAt: request.receivedAt },
    data: results
      .filter((r) => r.status === 'ok')
      .map((r) => {
        const source = deps.profile.sources.find((s) => s.id === r.sourceId)!;
        return { source: source.id, description: localize(source.description, lang), categories: localize(source.categories, lang), records: r.records };
      }),
    purposes: deps.profile.purposes.map((p) => ({ id: p.id, description: localize(p.description, lang), legalBasis: localize(p.legalBasis, lang) })),
    retention: localize(deps.profile.retention, lang),
    recipients: deps.profile.processors.map((p) => ({ name: p.name, role: p.role, country: p.country, purpose: localize(p.purpose, lang) })),
    crossBorder: deps.profile.crossBorder ? { countries: deps.profile.crossBorder.countries, description: localize(deps.profile.crossBorder.description, lang) } : null,
  };
}

/** The readable copy: the answer's access section as a page in the person's language. */
function packageHtml(request: DataSubjectRequest, title: string, body: string): string {
  return `<!doctype html><html lang="${request.language}"><head><meta charset="utf-8"><title>${escapeHtml(title)} — ${request.id}</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}main{white-space:pre-wrap;line-height:1.5}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${request.id}</p><main>${escapeHtml(body)}</main></body></html>`;
}

/**
 * Stores the access package (JSON and a readable page, encrypted by the bucket's key) and returns the answer's
 * section with one single-use, expiring link to each.
 */
export async function publishAccessPackage(deps: Dependencies, request: DataSubjectRequest, results: SourceResult[], accessText: string): Promise<string> {
  const m = messagesFor(request.language);
  const folder = `packages/${request.id}/${randomBytes(8).toString('hex')}`;
  const expiresAt = new Date(deps.clock.now().getTime() + PACKAGE_LINK_DAYS * 86_400_000).toISOString();
  const files = [
    { key: `${folder}/data.json`, body: JSON.stringify(packageJson(deps, request, results), null, 2), contentType: 'application/json; charset=utf-8', filename: `${request.id}.json` },
    { key: `${folder}/data.html`, body: packageHtml(request, m.page('downloadTitle'), accessText), contentType: 'text/html; charset=utf-8', filename: `${request.id}.html` },
  ];
  const links: string[] = [];
  for (const file of files) {
    await deps.packages.put(file.key, file.body, file.contentType);
    const token = randomBytes(32).toString('base64url');
    await deps.downloads.put(hashVerificationCode(token), { requestId: request.id, objectKey: file.key, contentType: file.contentType, filename: file.filename }, expiresAt);
    links.push(`${deps.publicUrl}/download?token=${token}&lang=${request.language}`);
  }
  return m.answer('packageLinks', { jsonLink: links[0]!, htmlLink: links[1]!, expiresAt: m.date(expiresAt, request.deadline.timeZone) });
}

/** The POST behind a download page: the token is used up here, so a scanner's GET never spends it. */
export async function download(deps: Dependencies, token: string): Promise<DownloadGrant & { body: string }> {
  const grant = await deps.downloads.consume(hashVerificationCode(token), deps.clock.now());
  return { ...grant, body: await deps.packages.read(grant.objectKey) };
}
