import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { InvokePermission, PolicyStatement } from './template.ts';
import { LOCAL_ACCOUNT } from './template.ts';

/** What one AWS call needs: an action (`service:Operation`) on a resource (an ARN, or `*`). */
export interface Authorization {
  action: string;
  resource: string;
}

const list = (value: string | string[] | undefined): string[] | undefined => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

function globToRegExp(pattern: string, anyCharacter: string): string {
  return pattern
    .split('')
    .map((c) => (c === '*' ? `${anyCharacter}*` : c === '?' ? anyCharacter : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
}

/** IAM action matching, compiled once: case-insensitive, `*` and `?` wildcards. */
function actionMatcher(pattern: string): (action: string) => boolean {
  const regExp = new RegExp(`^${globToRegExp(pattern, '.')}$`, 'i');
  return (action) => regExp.test(action);
}

/** IAM action matching: case-insensitive, `*` and `?` wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
  return actionMatcher(pattern)(action);
}

const arnHead = (arn: string) => arn.split(':').slice(0, 5);
const arnTail = (arn: string) => arn.split(':').slice(5).join(':');

/**
 * IAM resource matching, compiled once: case-sensitive; in an ARN the wildcards stay within the partition, service,
 * region and account segments, and may span anything in the resource part (`bucket/*` matches `bucket/a/b`).
 */
function resourceMatcher(pattern: string): (resource: string) => boolean {
  if (pattern === '*') return () => true;
  const whole = new RegExp(`^${globToRegExp(pattern, '.')}$`);
  if (!pattern.startsWith('arn:')) return (resource) => whole.test(resource);
  const head = arnHead(pattern);
  const segments = head.map((segment) => new RegExp(`^${globToRegExp(segment, '[^:]')}$`));
  const tail = new RegExp(`^${globToRegExp(arnTail(pattern), '.')}$`);
  return (resource) => {
    if (!resource.startsWith('arn:')) return whole.test(resource);
    const r = arnHead(resource);
    if (head.length < 5 || r.length < 5) return false;
    return segments.every((segment, i) => segment.test(r[i]!)) && tail.test(arnTail(resource));
  };
}

/**
 * IAM resource matching: case-sensitive; in an ARN the wildcards stay within the partition, service, region and
 * account segments, and may span anything in the resource part (`bucket/*` matches `bucket/a/b`).
 */
export function resourceMatches(pattern: string, resource: string): boolean {
  return resourceMatcher(pattern)(resource);
}

/** A statement with its patterns compiled: whether it applies to a call (conditions aside, see RolePolicy). */
function compileStatement(statement: PolicyStatement): { effect: string; applies: (request: Authorization) => boolean } {
  const anyOf = (patterns: string[] | undefined, compile: (pattern: string) => (value: string) => boolean) => {
    if (!patterns) return undefined;
    const matchers = patterns.map(compile);
    return (value: string) => matchers.some((matches) => matches(value));
  };
  const actions = anyOf(list(statement.Action), actionMatcher);
  const notActions = anyOf(list(statement.NotAction), actionMatcher);
  const resources = anyOf(list(statement.Resource), resourceMatcher);
  const notResources = anyOf(list(statement.NotResource), resourceMatcher);
  return {
    effect: statement.Effect,
    applies: ({ action, resource }) => {
      const actionHit = actions ? actions(action) : notActions ? !notActions(action) : false;
      if (!actionHit) return false;
      return resources ? resources(resource) : notResources ? !notResources(resource) : false;
    },
  };
}

/** How many decisions a policy remembers (per distinct action and resource); past that it starts over. */
const DECISIONS_KEPT = 10_000;

/**
 * One role's identity policy, as the template states it: an explicit Deny wins, then any Allow, otherwise the
 * call is denied. Conditions cannot be evaluated without AWS's request context; a conditional statement is
 * taken as stated (listed at start, so nobody mistakes it for enforced). The statements are compiled once, and
 * as a policy does not change, each decision is kept for the next call on the same action and resource.
 */
export class RolePolicy {
  private readonly compiled: Array<ReturnType<typeof compileStatement>>;
  private readonly decisions = new Map<string, 'allow' | 'explicit-deny' | 'implicit-deny'>();

  constructor(
    readonly roleName: string,
    private readonly statements: PolicyStatement[],
  ) {
    this.compiled = statements.map(compileStatement);
  }

  get conditionalStatements(): number {
    return this.statements.filter((s) => s.Condition && Object.keys(s.Condition).length).length;
  }

  decide(request: Authorization): 'allow' | 'explicit-deny' | 'implicit-deny' {
    const key = `${request.action}\n${request.resource}`;
    let decision = this.decisions.get(key);
    if (decision) return decision;
    const applying = this.compiled.filter((s) => s.applies(request));
    decision = applying.some((s) => s.effect === 'Deny') ? 'explicit-deny' : applying.some((s) => s.effect === 'Allow') ? 'allow' : 'implicit-deny';
    if (this.decisions.size >= DECISIONS_KEPT) this.decisions.clear();
    this.decisions.set(key, decision);
    return decision;
  }
}

/** A caller of the local AWS endpoints: a function (its role, assumed under its name) with its own access key. */
export interface Principal {
  /** As AWS names an assumed role's session: arn:aws:sts::<account>:assumed-role/<role>/<session>. */
  arn: string;
  policy: RolePolicy;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Refused as AWS refuses it; each local endpoint renders it in its service's protocol. */
export class AccessDenied extends Error {
  constructor(
    readonly principal: Principal,
    readonly request: Authorization,
    explicit: boolean,
  ) {
    super(
      `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} ` +
        (explicit ? `with an explicit deny in an identity-based policy` : `because no identity-based policy allows the ${request.action} action`),
    );
    this.name = 'AccessDenied';
  }
}

/** The credentials no principal holds (the request was not signed by a local function). */
export class UnrecognizedClient extends Error {
  constructor() {
    super('The security token included in the request is invalid.');
    this.name = 'UnrecognizedClientException';
  }
}

/**
 * A query-signed call (a presigned URL) refused as S3 refuses one: `AccessDenied` for a link that has expired,
 * `SignatureDoesNotMatch` for one changed after it was signed (another key, another parameter, another host),
 * `AuthorizationQueryParametersError` for one whose signing parameters are missing or malformed.
 */
export class SignatureRefused extends Error {
  constructor(
    readonly code: 'AccessDenied' | 'SignatureDoesNotMatch' | 'AuthorizationQueryParametersError',
    message: string,
  ) {
    super(message);
    this.name = 'SignatureRefused';
  }
}

/** What a signature covers of a call. */
export interface SignedCall {
  method: string;
  /** The path as it arrived, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/** The longest a presigned URL may live (SigV4: seven days). */
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;

/** RFC 3986 percent-encoding, as SigV4's canonical query string takes it. */
const uriEncode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * The SigV4 signature of a query-signed call as its signer computed it (AWS's "Authenticating requests: using query
 * parameters"): the canonical request over the method, the path, every query parameter but the signature, the
 * signed headers and S3's unsigned payload, signed with the key derived from the secret for the credential's scope.
 */
function querySignature(call: SignedCall, secretAccessKey: string, scope: { date: string; region: string; service: string }, signedHeaders: string[]): string {
  const query = [...call.query]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const headers = signedHeaders.map((name) => `${name}:${[call.headers[name] ?? ''].flat().join(',').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [call.method, call.path, query, headers, signedHeaders.join(';'), call.query.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD'].join('\n');
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', call.query.get('X-Amz-Date'), credentialScope, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, scope.date), scope.region), scope.service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

/** A call the local runtime refused, as CloudTrail would list it: who, what, on which resource. */
export interface Denial {
  at: string;
  principal: string;
  action: string;
  resource: string;
}

/** The refusals since start, newest last: the latest 1,000 are kept, and `total` counts them all. */
export class Denials {
  private readonly kept: Denial[] = [];
  total = 0;

  record(principal: string, request: Authorization): void {
    this.total++;
    this.kept.push({ at: new Date().toISOString(), principal, ...request });
    if (this.kept.length > 1000) this.kept.shift();
  }

  list(): Denial[] {
    return [...this.kept];
  }
}

/**
 * Every principal the local endpoints know, by access key. Each function gets its own key pair, so the key a
 * request was signed with says which role to check it against.
 */
export class Principals {
  private readonly byKey = new Map<string, Principal>();

  constructor(private readonly denials: Denials) {}

  /** A key pair for a function running under a role. */
  add(sessionName: string, policy: RolePolicy): Principal {
    const principal: Principal = {
      arn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${policy.roleName}/${sessionName}`,
      policy,
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64url'),
    };
    this.byKey.set(principal.accessKeyId, principal);
    return principal;
  }

  /** The principal that signed the request (SigV4 `Credential=<key>/…`), or UnrecognizedClient. */
  identify(authorization: string | undefined): Principal {
    const key = /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
    const principal = key ? this.byKey.get(key) : undefined;
    if (!principal) throw new UnrecognizedClient();
    return principal;
  }

  /**
   * The principal that signed a presigned URL to this `service` (`X-Amz-Credential=<key>/…`), once its signature
   * verifies and it has not expired — checked as S3 checks them, so a link that works here is one that works in AWS,
   * and one changed in any signed part (the path, the object's key, a parameter, the host) or past its time is refused.
   */
  identifyPresigned(call: SignedCall, service: string, now = new Date()): Principal {
    const q = call.query;
    const [key = '', date = '', region = '', scopeService = '', terminator = ''] = (q.get('X-Amz-Credential') ?? '').split('/');
    const principal = this.byKey.get(key);
    if (!principal) throw new UnrecognizedClient();
    const signedAt = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(q.get('X-Amz-Date') ?? '');
    const expires = Number(q.get('X-Amz-Expires'));
    const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
    if (
      q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' ||
      !signedAt ||
      date !== signedAt.slice(1, 4).join('') ||
      scopeService !== service ||
      terminator !== 'aws4_request' ||
      !Number.isInteger(expires) ||
      expires < 1 ||
      expires > MAX_EXPIRES_SECONDS ||
      !signedHeaders.includes('host') ||
      !/^[0-9a-f]{64}$/.test(q.get('X-Amz-Signature') ?? '')
    ) {
      throw new SignatureRefused('AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
    }
    const expected = querySignature(call, principal.secretAccessKey, { date, region, service }, signedHeaders);
    if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(q.get('X-Amz-Signature')!, 'hex'))) {
      throw new SignatureRefused('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    }
    const [, y, mo, d, h, mi, sec] = signedAt.map(Number) as number[];
    if (Date.UTC(y!, mo! - 1, d!, h!, mi!, sec!) + expires * 1000 < now.getTime()) throw new SignatureRefused('AccessDenied', 'Request has expired');
    return principal;
  }

  /** Every authorization the call needs must be allowed, or the whole call is refused, naming the first that is not. */
  authorize(principal: Principal, requests: Authorization[]): void {
    for (const request of requests) {
      const decision = principal.policy.decide(request);
      if (decision !== 'allow') {
        this.denials.record(principal.arn, request);
        throw new AccessDenied(principal, request, decision === 'explicit-deny');
      }
    }
  }
}

/**
 * Resource-based permissions on functions (AWS::Lambda::Permission): API Gateway, SES and EventBridge may invoke
 * a function only where the template grants it, for the source it names.
 */
export class InvokePermissions {
  constructor(private readonly permissions: InvokePermission[]) {}

  allows(functionLogicalId: string, principal: string, source: { arn?: string; account?: string }): boolean {
    return this.permissions.some(
      (p) =>
        p.functionLogicalId === functionLogicalId &&
        p.principal === principal &&
        (!p.sourceArn || (source.arn !== undefined && resourceMatches(p.sourceArn, source.arn))) &&
        (!p.sourceAccount || p.sourceAccount === source.account),
    );
  }
}
