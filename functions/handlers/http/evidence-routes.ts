import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dependencies } from '../../composition.ts';
import { BREACH_REFERENCE_PATTERN } from '../../domain/breaches/breach.ts';
import { ValidationError } from '../../domain/errors.ts';
import { REFERENCE_PATTERN } from '../../domain/request.ts';
import { verifyPage, verifyTrail } from '../../use-cases/evidence.ts';
import type { OperatorActor } from '../../use-cases/operator.ts';
import { json, type Result } from './responses.ts';
import type { EVIDENCE_ROUTE_KEYS } from './routes.ts';

type Route = (event: APIGatewayProxyEventV2, actor: OperatorActor) => Promise<Result>;


export const evidenceRoutes: Record<(typeof EVIDENCE_ROUTE_KEYS)[number], Route> = {
  /** Every trail's chain, a page at a time (?cursor= from the previous page's `cursor`). */
  'GET /operator/evidence/chains': async (event) => json(200, await verifyPage(await dependencies(), event.queryStringParameters?.cursor)),
  'GET /operator/evidence/chains/{reference}': async (event) => {
    const reference = event.pathParameters?.reference ?? '';
    // A request's or a breach's reference: the trails an operator names.
    if (!new RegExp(`^${REFERENCE_PATTERN.source}$`).test(reference) && !BREACH_REFERENCE_PATTERN.test(reference)) throw new ValidationError([{ field: 'reference', message: 'must be a request (DRB-…) or breach (BRC-…) reference' }], 'path');
    return json(200, await verifyTrail(await dependencies(), reference));
  },
};
