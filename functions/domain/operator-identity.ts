import { UnauthorizedError } from './errors.ts';

/** What an operator may do, each role including the ones before it. */
export const OPERATOR_ROLES = ['viewer', 'decider', 'admin'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/**
 * Who acted through the operator API: a person signed in to the console (the user pool's `sub`, and their address
 * as it was when they signed in), or a machine client by the id of its key (never the key itself).
 */
/** A person's place in the user pool now: the role their groups give (none, if no group is a role), or removed. */
export type PoolStanding = { role: OperatorRole | undefined } | 'removed';

export type OperatorActor = { kind: 'person'; sub: string; email: string } | { kind: 'key'; keyId: string };

/** How the audit and the console name an actor in one line. */
export function operatorName(actor: OperatorActor): string {
  return actor.kind === 'person' ? actor.email : `key ${actor.keyId}`;
}

/** The key's id in a name operatorName gave a key (`key <id>`, as a request keeps who entered, wrote or decided); else none. */
export function keyIdOfName(name: string): string | undefined {
  return /^key (key-\S+)$/.exec(name)?.[1];
}

/** True when `role` includes everything `least` may do. */
export function roleSatisfies(role: OperatorRole, least: OperatorRole): boolean {
  return OPERATOR_ROLES.indexOf(role) >= OPERATOR_ROLES.indexOf(least);
}

/**
 * The groups in a `cognito:groups` claim. API Gateway's JWT authorizer hands an array claim to the function as one
 * string, `[admin decider]` (space-separated in brackets); a JSON array (as in the token itself) is taken too.
 */
export function groupsClaim(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  if (typeof value !== 'string') return [];
  const bracketed = /^\[(.*)\]$/s.exec(value.trim());
  if (!bracketed) return [value.trim()];
  const inner = bracketed[1]!.trim();
  if (inner.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed.filter((g): g is string => typeof g === 'string');
    } catch {
      // not JSON: the authorizer's own form, read below
    }
  }
  return inner.split(/[\s,]+/).filter(Boolean);
}

/** The highest role among the groups; groups that are not roles give nothing. */
export function roleOfGroups(groups: readonly string[]): OperatorRole | undefined {
  return [...OPERATOR_ROLES].reverse().find((role) => groups.includes(role));
}

/**
 * The operator the verified claims of a console token name: the person and their role. The token's signature,
 * issuer, audience and expiry were checked by the gateway's JWT authorizer before the function was called; here the
 * claims must name a person by ID token (`token_use` "id" carries the address the audit records).
 */
export function operatorFromClaims(claims: Record<string, unknown> | undefined): { actor: OperatorActor; role: OperatorRole | undefined } {
  if (!claims) throw new UnauthorizedError('sign in to the console: no verified token');
  const sub = claims.sub;
  const email = claims.email;
  if (claims.token_use !== 'id' || typeof sub !== 'string' || !sub || typeof email !== 'string' || !email) {
    throw new UnauthorizedError('the console API takes the ID token of a signed-in operator (Authorization: Bearer <ID token>)');
  }
  // The audit names the operator by this address: only one an admin gave them (verified when added) is taken.
  if (claims.email_verified !== 'true' && claims.email_verified !== true) throw new UnauthorizedError('the operator\'s address is not verified');
  return { actor: { kind: 'person', sub, email }, role: roleOfGroups(groupsClaim(claims['cognito:groups'])) };
}
