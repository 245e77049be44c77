import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import type { LocalJwtAuthorizer } from './template.ts';

export class JwtRefused extends Error {}

type Jwks = { keys: Array<JsonWebKey & { kid?: string; alg?: string }> };

/**
 * API Gateway's JWT authorizer, locally: the token from the Authorization header (with or without `Bearer `),
 * RS256-signed by a key of the issuer's JWKS, `iss` equal to the issuer, `aud` (or, without it, `client_id`) one of
 * the audiences, `exp` in the future and `nbf`/`iat` not, and a Cognito `token_use` of id or access. The claims
 * reach the function as API Gateway passes them: every value a string, an array as `[a b]`.
 */
export class JwtAuthorizer {
  private keys?: Promise<Jwks>;

  constructor(
    private readonly config: LocalJwtAuthorizer,
    private readonly fetchJwks: (issuer: string) => Promise<Jwks>,
    private readonly clock: () => number = Date.now,
  ) {}

  private async key(kid: string): Promise<JsonWebKey> {
    this.keys ??= this.fetchJwks(this.config.issuer);
    let found = (await this.keys.catch(() => ({ keys: [] }) as Jwks)).keys.find((k) => k.kid === kid);
    if (!found) {
      // A key the cache does not know: the issuer may have rotated; read its JWKS again once.
      this.keys = this.fetchJwks(this.config.issuer);
      found = (await this.keys.catch(() => ({ keys: [] }) as Jwks)).keys.find((k) => k.kid === kid);
    }
    if (!found) throw new JwtRefused('the signing key is not in the issuer\'s JWKS');
    return found;
  }

  async verify(authorization: string | undefined): Promise<Record<string, string>> {
    const token = (authorization ?? '').replace(/^Bearer\s+/i, '').trim();
    const parts = token.split('.');
    if (parts.length !== 3) throw new JwtRefused('no JWT in the Authorization header');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    let header: { alg?: string; kid?: string };
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new JwtRefused('the JWT is not well-formed');
    }
    if (header.alg !== 'RS256' || !header.kid) throw new JwtRefused('the JWT is not signed with RS256 and a key id');
    const publicKey = createPublicKey({ key: await this.key(header.kid), format: 'jwk' });
    if (!verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), publicKey, Buffer.from(signaturePart, 'base64url'))) throw new JwtRefused('the signature does not verify');
    if (claims.iss !== this.config.issuer) throw new JwtRefused('the issuer is not the authorizer\'s');
    const audience = claims.aud !== undefined ? [claims.aud].flat() : [claims.client_id];
    if (!audience.some((a) => typeof a === 'string' && this.config.audience.includes(a))) throw new JwtRefused('the audience is not the authorizer\'s');
    const now = Math.floor(this.clock() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) throw new JwtRefused('the token has expired');
    if (typeof claims.nbf === 'number' && claims.nbf > now) throw new JwtRefused('the token is not valid yet');
    if (typeof claims.iat === 'number' && claims.iat > now + 300) throw new JwtRefused('the token was issued in the future');
    if (claims.token_use !== 'id' && claims.token_use !== 'access') throw new JwtRefused('the token is neither an ID nor an access token');
    return Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, claimText(value)]));
  }
}

/** How API Gateway's HTTP API hands a claim to the function. */
function claimText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(claimText).join(' ')}]`;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
