import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ValidationError } from '../../domain/errors.ts';
import { approveRule, holdRequest, planChunk, retentionRules } from '../../use-cases/retention.ts';
import type { OperatorRoute } from './operator-call.ts';
import { json, objectBody } from './responses.ts';
import type { RETENTION_ROUTE_KEYS } from './routes.ts';


function sourceId(event: APIGatewayProxyEventV2): string {
  const value = event.pathParameters?.source;
  if (!value) throw new ValidationError([{ field: 'source', message: 'is required' }], 'path');
  return value;
}

export const retentionRoutes: Record<(typeof RETENTION_ROUTE_KEYS)[number], OperatorRoute> = {
  'GET /operator/retention': async (_event, { deps }) => json(200, { rules: await retentionRules(deps) }),
  /** A dry run over a few pages ({"cursor"} to go on): counts only, never a record. */
  'POST /operator/retention/{source}/plan': async (event, { deps }) => {
    const { cursor } = objectBody(event, 'retention');
    if (cursor !== undefined && typeof cursor !== 'string') throw new ValidationError([{ field: 'cursor', message: 'must be the cursor of the previous answer' }], 'plan');
    return json(200, await planChunk(deps, sourceId(event), cursor));
  },
  /** {"expired","held"}: the plan the operator read, recorded with the approval. */
  'POST /operator/retention/{source}/approval': async (event, { deps }) => {
    const { expired, held } = objectBody(event, 'retention');
    if (typeof expired !== 'number' || !held || typeof held !== 'object') {
      throw new ValidationError([{ field: 'expired', message: 'approve with the counts of the plan you read (derbes retention approve does this)' }], 'approval');
    }
    return json(200, await approveRule(deps, sourceId(event), { expired, held: held as Record<string, number> }));
  },
  /** {"basis":"…"} keeps the request's own records past their term; {"basis":null} lifts the hold. */
  'POST /operator/requests/{reference}/legal-hold': async (event, { deps, actor }) => {
    const reference = event.pathParameters?.reference;
    if (!reference) throw new ValidationError([{ field: 'reference', message: 'is required' }], 'path');
    const request = await holdRequest(deps, reference, objectBody(event, 'retention'), actor);
    return json(200, { reference: request.id, legalHold: request.legalHold ?? null });
  },
};
