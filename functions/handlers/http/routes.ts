/**
 * The HTTP API's routes, shared by the handler (which must serve each) and the CDK stack (which
 * declares each), so the two cannot disagree.
 */
export const HTTP_ROUTE_KEYS = ['GET /', 'POST /api/requests', 'GET /verify', 'POST /verify', 'POST /api/verifications', 'GET /health'] as const;
export type HttpRouteKey = (typeof HTTP_ROUTE_KEYS)[number];
