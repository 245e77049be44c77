import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BREACH_REFERENCE_PATTERN } from '../../domain/breaches/breach.ts';
import { documentAsText } from '../../domain/document.ts';
import { ValidationError } from '../../domain/errors.ts';
import { REFERENCE_PATTERN } from '../../domain/request.ts';
import { LANGUAGES, type Language } from '../../domain/request-types.ts';
import { reportCsv } from '../../domain/report.ts';
import { evidencePack, verifyDigestChain, verifyPage, verifyTrail } from '../../use-cases/evidence.ts';
import { periodReport, reportChart } from '../../use-cases/report.ts';
import type { OperatorRoute } from './operator-call.ts';
import { json, type Result } from './responses.ts';
import type { EVIDENCE_ROUTE_KEYS } from './routes.ts';


const REQUEST_REFERENCE = new RegExp(`^${REFERENCE_PATTERN.source}$`);

function reference(event: APIGatewayProxyEventV2): string {
  return event.pathParameters?.reference ?? '';
}

function query(event: APIGatewayProxyEventV2, name: string, allowed: readonly string[], fallback: string): string {
  const value = event.queryStringParameters?.[name] ?? fallback;
  if (!allowed.includes(value)) throw new ValidationError([{ field: name, message: `must be one of ${allowed.join(', ')}` }], 'query');
  return value;
}

export const evidenceRoutes: Record<(typeof EVIDENCE_ROUTE_KEYS)[number], OperatorRoute> = {
  /** Every trail's chain, a page at a time (?cursor= from the previous page's `cursor`). */
  'GET /operator/evidence/chains': async (event, { deps }) => json(200, await verifyPage(deps, event.queryStringParameters?.cursor)),
  'GET /operator/evidence/chains/{reference}': async (event, { deps }) => {
    const ref = reference(event);
    // A request's or a breach's reference: the trails an operator names.
    if (!REQUEST_REFERENCE.test(ref) && !BREACH_REFERENCE_PATTERN.test(ref)) throw new ValidationError([{ field: 'reference', message: 'must be a request (DRB-…) or breach (BRC-…) reference' }], 'path');
    return json(200, await verifyTrail(deps, ref));
  },
  /** The chain of daily digests walked back from the latest, and every trail a digest listed that the heads index lost. */
  'GET /operator/evidence/digests': async (_event, { deps }) => json(200, await verifyDigestChain(deps)),
  /** A request's evidence pack for the authority: ?lang=ru|kk|en (the operator's language by default), ?format=pdf|text. */
  'GET /operator/requests/{reference}/evidence': async (event, { deps }): Promise<Result> => {
    const ref = reference(event);
    if (!REQUEST_REFERENCE.test(ref)) throw new ValidationError([{ field: 'reference', message: 'must be a request reference (DRB-…)' }], 'path');
    const language = query(event, 'lang', LANGUAGES, deps.profile.defaultLanguage) as Language;
    const format = query(event, 'format', ['pdf', 'text'], 'pdf');
    // PDFKit and its fonts are loaded for a PDF only.
    const render =
      format === 'pdf'
        ? async (document: Parameters<typeof documentAsText>[0]) =>
            (await import('../../adapters/documents/pdf.ts')).renderPdf(document, { author: deps.profile.operator.legalName, createdAt: deps.clock.now() })
        : undefined;
    const pack = await evidencePack(deps, ref, language, render);
    if (pack.pdf) {
      return {
        statusCode: 200,
        headers: {
          'content-type': 'application/pdf',
          'content-disposition': `attachment; filename="${ref}-evidence-${language}.pdf"`,
          'cache-control': 'no-store',
          'x-derbes-sha256': pack.sha256!,
        },
        body: pack.pdf.toString('base64'),
        isBase64Encoded: true,
      };
    }
    return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: documentAsText(pack.document) };
  },
  /** The figures of requests received ?from=YYYY-MM-DD&to=YYYY-MM-DD, as ?format=json|csv|svg (the chart, in ?lang=). */
  'GET /operator/reports': async (event, { deps }): Promise<Result> => {
    const format = query(event, 'format', ['json', 'csv', 'svg'], 'json');
    const language = query(event, 'lang', LANGUAGES, deps.profile.defaultLanguage) as Language;
    const report = await periodReport(deps, { from: event.queryStringParameters?.from, to: event.queryStringParameters?.to });
    if (format === 'json') return json(200, report);
    const [type, body] = format === 'csv' ? ['text/csv; charset=utf-8', reportCsv(report)] : ['image/svg+xml; charset=utf-8', await reportChart(report, language)];
    return { statusCode: 200, headers: { 'content-type': type, 'cache-control': 'no-store' }, body };
  },
};
