import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ValidationError } from '../../domain/errors.ts';
import { LANGUAGES, type Language } from '../../domain/request-types.ts';
import {
  addAffectedSubjects,
  approvePersonNotice,
  authorityNotice,
  breachView,
  previewPersonNotice,
  recordBreach,
  recordFiling,
} from '../../use-cases/breaches.ts';
import type { OperatorRoute } from './operator-call.ts';
import { header, json, objectBody } from './responses.ts';
import type { BREACH_ROUTE_KEYS } from './routes.ts';


function reference(event: APIGatewayProxyEventV2): string {
  const value = event.pathParameters?.reference;
  if (!value) throw new ValidationError([{ field: 'reference', message: 'is required' }], 'path');
  return value;
}

const body = (event: APIGatewayProxyEventV2) => objectBody(event, 'breach');

function language(event: APIGatewayProxyEventV2): Language {
  const wanted = event.queryStringParameters?.lang ?? 'ru';
  const found = LANGUAGES.find((l) => l === wanted);
  if (!found) throw new ValidationError([{ field: 'lang', message: `must be one of ${LANGUAGES.join(', ')}` }], 'query');
  return found;
}

export const breachRoutes: Record<(typeof BREACH_ROUTE_KEYS)[number], OperatorRoute> = {
  'GET /operator/breaches': async (_event, { deps }) => {
    const breaches = (await deps.breaches.list()).sort((a, b) => b.detectedAt.localeCompare(a.detectedAt));
    return json(200, { breaches: await Promise.all(breaches.map((breach) => breachView(deps, breach))) });
  },
  'POST /operator/breaches': async (event, { deps }) => {
    const { breach, created } = await recordBreach(deps, body(event), header(event, 'idempotency-key'));
    return json(created ? 201 : 200, await breachView(deps, breach));
  },
  'GET /operator/breaches/{reference}': async (event, { deps }) => {
    const breach = await deps.breaches.get(reference(event));
    return json(200, { ...(await breachView(deps, breach)), audit: await deps.audit.list(breach.id) });
  },
  /** {"people":[{name, iin, phone, email, language}]} as the operator lists them, or {"find":[e-mail…]} to look up in the sources. */
  'POST /operator/breaches/{reference}/subjects': async (event, { deps }) => json(200, await addAffectedSubjects(deps, reference(event), body(event))),
  /** The affected people, a page at a time (?cursor= from the previous page). */
  'GET /operator/breaches/{reference}/subjects': async (event, { deps }) => {
    const id = reference(event);
    await deps.breaches.get(id);
    return json(200, await deps.breaches.listSubjects(id, { cursor: event.queryStringParameters?.cursor, limit: 200 }));
  },
  /** The notice to the authority: ?lang=ru|kk|en, ?format=text|pdf, ?jurisdiction= where the breach owes several. */
  'GET /operator/breaches/{reference}/notice': async (event, { deps }) => {
    const format = event.queryStringParameters?.format ?? 'text';
    if (format !== 'text' && format !== 'pdf') throw new ValidationError([{ field: 'format', message: 'must be text or pdf' }], 'query');
    const lang = language(event);
    const id = reference(event);
    // PDFKit and its fonts (a third of the operator API's code) are loaded for a PDF only.
    const produced = await authorityNotice(deps, id, { language: lang, format, jurisdiction: event.queryStringParameters?.jurisdiction }, async (document) =>
      (await import('../../adapters/documents/pdf.ts')).renderPdf(document, { author: deps.profile.operator.legalName, createdAt: deps.clock.now() }),
    );
    const headers = { 'cache-control': 'no-store', 'x-derbes-missing': produced.missing.join(',') || 'none', 'x-derbes-sha256': produced.sha256 };
    if (produced.pdf) {
      return {
        statusCode: 200,
        headers: { ...headers, 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${id}-${lang}.pdf"` },
        body: produced.pdf.toString('base64'),
        isBase64Encoded: true,
      };
    }
    return { statusCode: 200, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: produced.text };
  },
  /** {"jurisdiction"?, "filedAt"?, "reference"?}: the operator filed the notice. */
  'POST /operator/breaches/{reference}/filing': async (event, { deps }) => {
    return json(200, await breachView(deps, await recordFiling(deps, reference(event), body(event))));
  },
  /** What each affected person would receive, per language in use; {"texts":{…}} to see it with the operator's words. */
  'POST /operator/breaches/{reference}/person-notice/preview': async (event, { deps }) => json(200, { mails: await previewPersonNotice(deps, reference(event), body(event)) }),
  /** {"texts":{"ru":…,"kk":…}}: approves the mail and starts sending it. */
  'POST /operator/breaches/{reference}/person-notice': async (event, { deps }) => {
    const { breach, sent } = await approvePersonNotice(deps, reference(event), body(event));
    return json(200, { ...(await breachView(deps, breach)), sentNow: sent });
  },
};
