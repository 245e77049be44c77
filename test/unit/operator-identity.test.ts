import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ForbiddenError, UnauthorizedError } from '../../functions/domain/errors.ts';
import { groupsClaim, operatorFromClaims, keyIdOfName, operatorName, roleOfGroups, roleSatisfies } from '../../functions/domain/operator-identity.ts';
import { authorize as authorizeAgainst } from '../../functions/handlers/http/operator-routes.ts';
import { OPERATOR_ROUTE_ROLES } from '../../functions/handlers/http/operator-roles.ts';
import { CONSOLE_API_ROUTE_KEYS, consoleApiRouteKey, OPERATOR_ROUTE_KEYS, operatorRouteOf, type OperatorRouteKey } from '../../functions/handlers/http/routes.ts';

/** Claims as API Gateway's JWT authorizer hands them to the function: every value a string, arrays as `[a b]`. */
const claims = (groups: string, extra: Record<string, string> = {}) => ({
  sub: '3f0c9a52-7d1e-4c1b-9a34-5b2d8e6f1a07',
  email: 'aigerim@demo.kz',
  email_verified: 'true',
  token_use: 'id',
  'cognito:groups': groups,
  iss: 'https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEf123',
  aud: '4p1f2n0q8v7c6s5r3t2u1w0x9y',
  exp: '1764490000',
  ...extra,
});

const consoleEvent = (routeKey: string, jwtClaims?: Record<string, string>) =>
  ({ routeKey, headers: {}, requestContext: { http: { sourceIp: '127.0.0.1' }, ...(jwtClaims ? { authorizer: { jwt: { claims: jwtClaims, scopes: null } } } : {}) } }) as unknown as APIGatewayProxyEventV2;

describe('the cognito:groups claim', () => {
  it('reads the form API Gateway passes an array claim in, and a JSON array', () => {
    expect(groupsClaim('[admin decider]')).toEqual(['admin', 'decider']);
    expect(groupsClaim('[viewer]')).toEqual(['viewer']);
    expect(groupsClaim('[]')).toEqual([]);
    expect(groupsClaim('["decider","viewer"]')).toEqual(['decider', 'viewer']);
    expect(groupsClaim(['admin'])).toEqual(['admin']);
    expect(groupsClaim('decider')).toEqual(['decider']);
    expect(groupsClaim(undefined)).toEqual([]);
  });

  it('gives the highest role among the groups, nothing for groups that are not roles', () => {
    expect(roleOfGroups(['viewer', 'admin', 'decider'])).toBe('admin');
    expect(roleOfGroups(['viewer', 'decider'])).toBe('decider');
    expect(roleOfGroups(['administrators', 'Admin'])).toBeUndefined();
    expect(roleSatisfies('admin', 'decider')).toBe(true);
    expect(roleSatisfies('viewer', 'decider')).toBe(false);
  });
});

describe('claims → the operator', () => {
  it('names the person by sub and address, with their role', () => {
    expect(operatorFromClaims(claims('[decider viewer]'))).toEqual({ actor: { kind: 'person', sub: '3f0c9a52-7d1e-4c1b-9a34-5b2d8e6f1a07', email: 'aigerim@demo.kz' }, role: 'decider' });
    expect(operatorFromClaims(claims('')).role).toBeUndefined();
    expect(operatorName({ kind: 'person', sub: 's', email: 'aigerim@demo.kz' })).toBe('aigerim@demo.kz');
    expect(operatorName({ kind: 'key', keyId: 'key-0a1b2c3d4e5f' })).toBe('key key-0a1b2c3d4e5f');
    expect(keyIdOfName('key key-0a1b2c3d4e5f')).toBe('key-0a1b2c3d4e5f');
    expect(keyIdOfName('aigerim@demo.kz')).toBeUndefined();
  });

  it('takes only an ID token that names a person', () => {
    expect(() => operatorFromClaims(undefined)).toThrow(UnauthorizedError);
    expect(() => operatorFromClaims(claims('[admin]', { token_use: 'access' }))).toThrow(UnauthorizedError);
    expect(() => operatorFromClaims({ ...claims('[admin]'), email: undefined })).toThrow(UnauthorizedError);
    expect(() => operatorFromClaims({ ...claims('[admin]'), sub: '' })).toThrow(UnauthorizedError);
  });

  it('refuses an address the operator set themselves and nobody verified', () => {
    expect(() => operatorFromClaims(claims('[admin]', { email_verified: 'false' }))).toThrow(/not verified/);
    expect(() => operatorFromClaims({ ...claims('[admin]'), email_verified: undefined })).toThrow(/not verified/);
  });
});

describe('roles on the console API', () => {
  it('every operator route is served under /console/api/, derived from the one list', () => {
    expect(CONSOLE_API_ROUTE_KEYS).toHaveLength(OPERATOR_ROUTE_KEYS.length);
    expect(consoleApiRouteKey('POST /operator/decisions/{reference}')).toBe('POST /console/api/decisions/{reference}');
    expect(operatorRouteOf('GET /console/api/requests/{reference}')).toBe('GET /operator/requests/{reference}');
    expect(operatorRouteOf('GET /console/api/nothing')).toBeUndefined();
    expect(Object.keys(OPERATOR_ROUTE_ROLES).sort()).toEqual([...OPERATOR_ROUTE_KEYS].sort());
  });

  it('a viewer reads but cannot decide; a decider decides but cannot manage operators; an admin can', async () => {
    // The pool holds the same groups the tokens carry.
    const groupsOf = (event: APIGatewayProxyEventV2) => (event.requestContext as unknown as { authorizer: { jwt: { claims: Record<string, string> } } }).authorizer.jwt.claims['cognito:groups'];
    const authorize = (event: APIGatewayProxyEventV2, route: OperatorRouteKey, viaConsole: boolean) =>
      authorizeAgainst(event, route, viaConsole, async () => ({ role: roleOfGroups(groupsClaim(groupsOf(event))) }));
    const viewer = claims('[viewer]');
    await expect(authorize(consoleEvent('GET /console/api/requests', viewer), 'GET /operator/requests', true)).resolves.toMatchObject({ kind: 'person', email: 'aigerim@demo.kz' });
    await expect(authorize(consoleEvent('POST /console/api/decisions/{reference}', viewer), 'POST /operator/decisions/{reference}', true)).rejects.toThrow(
      new ForbiddenError('POST /console/api/decisions/{reference} needs the role decider; aigerim@demo.kz has the role viewer'),
    );
    const decider = claims('[decider]');
    await expect(authorize(consoleEvent('POST /console/api/decisions/{reference}', decider), 'POST /operator/decisions/{reference}', true)).resolves.toMatchObject({ kind: 'person' });
    await expect(authorize(consoleEvent('POST /console/api/operators', decider), 'POST /operator/operators', true)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(authorize(consoleEvent('POST /console/api/operators', claims('[admin]')), 'POST /operator/operators', true)).resolves.toMatchObject({ kind: 'person' });
    await expect(authorize(consoleEvent('GET /console/api/requests', claims('[]')), 'GET /operator/requests', true)).rejects.toThrow(/has no role/);
    // Held mail: a viewer reads the list and downloads a mail; making it a request or dismissing it is a decider's, and so
    // is closing unclear mail as not a request.
    for (const route of ['GET /operator/held-mail', 'GET /operator/held-mail/{id}/raw-mail'] as const) {
      await expect(authorize(consoleEvent(consoleApiRouteKey(route), viewer), route, true), route).resolves.toMatchObject({ kind: 'person' });
    }
    for (const route of ['POST /operator/held-mail/{id}/admission', 'POST /operator/held-mail/{id}/dismissal', 'POST /operator/requests/{reference}/not-a-request'] as const) {
      await expect(authorize(consoleEvent(consoleApiRouteKey(route), viewer), route, true), route).rejects.toBeInstanceOf(ForbiddenError);
      await expect(authorize(consoleEvent(consoleApiRouteKey(route), decider), route, true), route).resolves.toMatchObject({ kind: 'person' });
    }
  });

  it('a console route without verified claims is refused, whatever headers it carries', async () => {
    const event = consoleEvent('GET /console/api/requests');
    event.headers = { authorization: 'Bearer some-machine-key' };
    await expect(authorizeAgainst(event, 'GET /operator/requests', true, async () => ({ role: 'admin' }))).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('the role is the pool\'s now, not the token\'s: a removed admin is refused, a lowered one cannot do what they lost', async () => {
    const admin = consoleEvent('POST /console/api/operators', claims('[admin]'));
    await expect(authorizeAgainst(admin, 'POST /operator/operators', true, async () => 'removed')).rejects.toThrow(new UnauthorizedError('aigerim@demo.kz is no longer an operator'));
    await expect(authorizeAgainst(admin, 'POST /operator/operators', true, async () => ({ role: 'viewer' }))).rejects.toThrow(/has the role viewer/);
    await expect(authorizeAgainst(admin, 'POST /operator/operators', true, async () => ({ role: undefined }))).rejects.toThrow(/has no role/);
  });
});
