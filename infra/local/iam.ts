import { randomBytes } from 'node:crypto';
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

/** IAM action matching: case-insensitive, `*` and `?` wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
  return new RegExp(`^${globToRegExp(pattern, '.')}$`, 'i').test(action);
}

/**
 * IAM resource matching: case-sensitive; in an ARN the wildcards stay within the partition, service, region and
 * account segments, and may span anything in the resource part (`bucket/*` matches `bucket/a/b`).
 */
export function resourceMatches(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  const head = (arn: string) => arn.split(':').slice(0, 5);
  const tail = (arn: string) => arn.split(':').slice(5).join(':');
  if (!pattern.startsWith('arn:') || !resource.startsWith('arn:')) return new RegExp(`^${globToRegExp(pattern, '.')}$`).test(resource);
  const [p, r] = [head(pattern), head(resource)];
  if (p.length < 5 || r.length < 5) return false;
  const segmentsMatch = p.every((segment, i) => new RegExp(`^${globToRegExp(segment, '[^:]')}$`).test(r[i]!));
  return segmentsMatch && new RegExp(`^${globToRegExp(tail(pattern), '.')}$`).test(tail(resource));
}

function statementApplies(statement: PolicyStatement, { action, resource }: Authorization): boolean {
  const actions = list(statement.Action);
  const notActions = list(statement.NotAction);
  const resources = list(statement.Resource);
  const notResources = list(statement.NotResource);
  const actionHit = actions ? actions.some((a) => actionMatches(a, action)) : notActions ? !notActions.some((a) => actionMatches(a, action)) : false;
  if (!actionHit) return false;
  return resources ? resources.some((r) => resourceMatches(r, resource)) : notResources ? !notResources.some((r) => resourceMatches(r, resource)) : false;
}

/**
 * One role's identity policy, as the template states it: an explicit Deny wins, then any Allow, otherwise the
 * call is denied. Conditions cannot be evaluated without AWS's request context; a conditional statement is
 * taken as stated (listed at start, so nobody mistakes it for enforced).
 */
export class RolePolicy {
  constructor(
    readonly roleName: string,
    private readonly statements: PolicyStatement[],
  ) {}

  get conditionalStatements(): number {
    return this.statements.filter((s) => s.Condition && Object.keys(s.Condition).length).length;
  }

  decide(request: Authorization): 'allow' | 'explicit-deny' | 'implicit-deny' {
    const applying = this.statements.filter((s) => statementApplies(s, request));
    if (applying.some((s) => s.Effect === 'Deny')) return 'explicit-deny';
    return applying.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny';
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
