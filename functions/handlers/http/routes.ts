/**
 * The HTTP API's routes, shared by the handlers (which must serve each) and the CDK stack (which declares each,
 * and sends public routes to the public function and operator routes to the operator function), so they cannot
 * disagree.
 */
/** The operator's console: its pages, style, modules and texts (static; what they show comes from the operator API). */
export const CONSOLE_ROUTE_KEYS = ['GET /console', 'GET /console/{file}'] as const;
export const PUBLIC_ROUTE_KEYS = [
  'GET /',
  'POST /api/requests',
  'GET /verify',
  'POST /verify',
  'POST /api/verifications',
  'GET /download',
  'POST /download',
  'GET /health',
  // The console's sign-in page and where the user pool is (nothing secret); its script and the token module are
  // files of the console's folder (console/sign-in.js, console/auth.js).
  'GET /console/sign-in',
  'GET /console/config.json',
  ...CONSOLE_ROUTE_KEYS,
] as const;
/** The breach register, part of the operator API. */
export const BREACH_ROUTE_KEYS = [
  'GET /operator/breaches',
  'POST /operator/breaches',
  'GET /operator/breaches/{reference}',
  'POST /operator/breaches/{reference}/subjects',
  'GET /operator/breaches/{reference}/subjects',
  'GET /operator/breaches/{reference}/notice',
  'POST /operator/breaches/{reference}/filing',
  'POST /operator/breaches/{reference}/person-notice/preview',
  'POST /operator/breaches/{reference}/person-notice',
] as const;
/** The retention purge: its rules, dry runs and approvals. */
export const RETENTION_ROUTE_KEYS = [
  'GET /operator/retention',
  'POST /operator/retention/{source}/plan',
  'POST /operator/retention/{source}/approval',
  'POST /operator/requests/{reference}/legal-hold',
] as const;
/** Evidence for the authority: the audit trails' hash chains verified, a request's evidence pack, reports per period. */
export const EVIDENCE_ROUTE_KEYS = [
  'GET /operator/evidence/chains',
  'GET /operator/evidence/chains/{reference}',
  'GET /operator/evidence/digests',
  'GET /operator/requests/{reference}/evidence',
  'GET /operator/reports',
] as const;
/** The people who sign in to the console (the user pool), managed by an admin. */
export const OPERATORS_ROUTE_KEYS = ['GET /operator/operators', 'POST /operator/operators', 'DELETE /operator/operators/{email}'] as const;
/**
 * The operator API. Under /operator/ for machine clients with the operator key (Authorization: Bearer <key>); each
 * route is also served under /console/api/ for people signed in to the console (the gateway's JWT authorizer).
 */
export const OPERATOR_ROUTE_KEYS = [
  ...BREACH_ROUTE_KEYS,
  ...RETENTION_ROUTE_KEYS,
  ...EVIDENCE_ROUTE_KEYS,
  ...OPERATORS_ROUTE_KEYS,
  'GET /operator/inbox',
  'GET /operator/requests',
  'POST /operator/requests',
  'GET /operator/requests/{reference}',
  'POST /operator/requests/{reference}/notes',
  'POST /operator/requests/{reference}/classification',
  'POST /operator/requests/{reference}/not-a-request',
  'GET /operator/decisions',
  'POST /operator/decisions/{reference}',
  'POST /operator/requests/{reference}/extension',
  'POST /operator/requests/{reference}/messages',
  'POST /operator/requests/{reference}/resume',
  'POST /operator/requests/{reference}/open-work',
  'GET /operator/requests/{reference}/attachment',
  'GET /operator/requests/{reference}/raw-mail',
  // Mail intake held: listed, downloaded whole, made a request or dismissed.
  'GET /operator/held-mail',
  'GET /operator/held-mail/{id}/raw-mail',
  'POST /operator/held-mail/{id}/admission',
  'POST /operator/held-mail/{id}/dismissal',
  'POST /operator/consents',
  'GET /operator/consents',
  'GET /operator/suppressions',
] as const;
export type PublicRouteKey = (typeof PUBLIC_ROUTE_KEYS)[number];
export type OperatorRouteKey = (typeof OPERATOR_ROUTE_KEYS)[number];

const OPERATOR_PREFIX = ' /operator/';
const CONSOLE_API_PREFIX = ' /console/api/';
/** An operator route as the console calls it: `GET /operator/requests` → `GET /console/api/requests`. */
export type ConsoleApiRouteKey<K extends OperatorRouteKey = OperatorRouteKey> = K extends `${infer M} /operator/${infer R}` ? `${M} /console/api/${R}` : never;
export const consoleApiRouteKey = <K extends OperatorRouteKey>(key: K) => key.replace(OPERATOR_PREFIX, CONSOLE_API_PREFIX) as ConsoleApiRouteKey<K>;
/** The console's API: every operator route, derived (never listed twice); each carries the JWT authorizer. */
export const CONSOLE_API_ROUTE_KEYS: ReadonlyArray<ConsoleApiRouteKey> = OPERATOR_ROUTE_KEYS.map(consoleApiRouteKey);
/** The operator route a console route serves (undefined for any other route key). */
export function operatorRouteOf(routeKey: string): OperatorRouteKey | undefined {
  if (!routeKey.includes(CONSOLE_API_PREFIX)) return undefined;
  const key = routeKey.replace(CONSOLE_API_PREFIX, OPERATOR_PREFIX);
  return (OPERATOR_ROUTE_KEYS as readonly string[]).includes(key) ? (key as OperatorRouteKey) : undefined;
}
export const HTTP_ROUTE_KEYS = [...PUBLIC_ROUTE_KEYS, ...OPERATOR_ROUTE_KEYS, ...CONSOLE_API_ROUTE_KEYS] as const;
