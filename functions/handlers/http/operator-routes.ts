import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dependencies } from '../../composition.ts';
import { readSetting, Settings } from '../../config/settings.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../../domain/errors.ts';
import { operatorFromClaims, roleSatisfies, type OperatorActor, type OperatorRole, type PoolStanding } from '../../domain/operator-identity.ts';
import { matchOperatorKey, operatorKeys } from '../../domain/operator-key.ts';
import { admit } from '../../use-cases/admission.ts';
import { eventsOfType } from '../../domain/audit.ts';
import { consentState, recordConsent } from '../../use-cases/consent.ts';
import { closeAsNotARequest, decide, extendDeadline, parseDecision, requestDetail, requestView, writeToPerson } from '../../use-cases/operator.ts';
import type { Route } from './dispatch.ts';
import { resumeRequest } from '../../use-cases/attention.ts';
import { header, json, objectBody } from './responses.ts';
import type { OperatorRoute } from './operator-call.ts';
import type { Dependencies } from '../../use-cases/dependencies.ts';
import { onBehalfOf } from '../../use-cases/on-behalf-of.ts';
import { inbox } from '../../use-cases/inbox.ts';
import { addNote, classify, enterRequest } from '../../use-cases/operator-actions.ts';
import { BREACH_ROUTE_KEYS, consoleApiRouteKey, EVIDENCE_ROUTE_KEYS, OPERATOR_ROUTE_KEYS, RETENTION_ROUTE_KEYS, type ConsoleApiRouteKey, type OperatorRouteKey } from './routes.ts';
import { OPERATOR_ROUTE_ROLES } from './operator-roles.ts';
import { operatorsRoutes, standingInPool } from './operators-routes.ts';

/** Open requests per page of the operator list. */
const OPERATOR_PAGE_SIZE = 100;

/** Bearer key against the keys of the secret; any mismatch is the same 401. A machine key acts as admin, named by its id. */
async function machineKey(event: APIGatewayProxyEventV2): Promise<{ actor: OperatorActor; role: OperatorRole }> {
  const presented = /^Bearer (\S+)$/.exec(event.headers?.authorization ?? '')?.[1];
  if (!presented) throw new UnauthorizedError('operator key required (Authorization: Bearer …)');
  const keyId = matchOperatorKey(presented, operatorKeys(await (await dependencies()).secret(readSetting(Settings.operatorKeySecret))));
  if (!keyId) throw new UnauthorizedError('operator key is not valid');
  return { actor: { kind: 'key', keyId }, role: 'admin' };
}

/**
 * Who calls, and whether their role allows the route. A /console/api/ route was let in by the gateway's JWT
 * authorizer, which verified the token and passes its claims; an /operator/ route presents the machine key.
 */
export async function authorize(
  event: APIGatewayProxyEventV2,
  route: OperatorRouteKey,
  viaConsole: boolean,
  standing: (sub: string) => Promise<PoolStanding> = standingInPool,
): Promise<OperatorActor> {
  const { actor, role } = viaConsole ? await person(jwtClaims(event), standing) : await machineKey(event);
  const least = OPERATOR_ROUTE_ROLES[route];
  if (!role || !roleSatisfies(role, least)) {
    throw new ForbiddenError(`${route.replace(' /operator/', ' /console/api/')} needs the role ${least}; ${actor.kind === 'person' ? actor.email : 'this key'} has ${role ? `the role ${role}` : 'no role'}`);
  }
  return actor;
}

/** The person the token names, with the role the pool gives them now (the token's groups may be out of date). */
async function person(claims: Record<string, unknown> | undefined, standing: (sub: string) => Promise<PoolStanding>): Promise<{ actor: OperatorActor; role: OperatorRole | undefined }> {
  const { actor } = operatorFromClaims(claims);
  if (actor.kind !== 'person') throw new UnauthorizedError('the console API takes a signed-in operator');
  const now = await standing(actor.sub);
  if (now === 'removed') throw new UnauthorizedError(`${actor.email} is no longer an operator`);
  return { actor, role: now.role };
}

/** The claims API Gateway's JWT authorizer put on the event (absent on routes without it). */
function jwtClaims(event: APIGatewayProxyEventV2): Record<string, unknown> | undefined {
  const context = event.requestContext as APIGatewayProxyEventV2['requestContext'] & { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
  return context.authorizer?.jwt?.claims;
}

function reference(event: APIGatewayProxyEventV2): string {
  const value = event.pathParameters?.reference;
  if (!value) throw new ValidationError([{ field: 'reference', message: 'is required' }], 'path');
  return value;
}

/** A held mail's id (its SES message id) from the path. */
function heldMailId(event: APIGatewayProxyEventV2): string {
  const value = event.pathParameters?.id;
  if (!value) throw new ValidationError([{ field: 'id', message: 'is required: the id of a held mail, as the list gives it' }], 'path');
  return value;
}

/** The held-mail use cases, loaded on the first call of one: admitting a mail brings mail intake's parsing with it. */
const heldMail = () => import('../../use-cases/held-mail.ts');

/** A client's key for "this action, once" (a double click, a retried call): 1 to 255 visible ASCII characters. */
function idempotencyKey(event: APIGatewayProxyEventV2): string | undefined {
  const key = header(event, 'idempotency-key');
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) throw new ValidationError([{ field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }], 'request');
  return key;
}

const body = (event: APIGatewayProxyEventV2) => objectBody(event, 'decision');

/** The breach, retention and evidence routes, each loading their module on the first call of one (records-routes.ts). */
const RECORDS_ROUTE_KEYS = [...BREACH_ROUTE_KEYS, ...RETENTION_ROUTE_KEYS, ...EVIDENCE_ROUTE_KEYS];
const recordsRoutes = Object.fromEntries(
  RECORDS_ROUTE_KEYS.map((key): [typeof key, OperatorRoute] => [key, async (event, call) => (await import('./records-routes.ts')).recordsRoutes[key](event, call)]),
) as Record<(typeof RECORDS_ROUTE_KEYS)[number], OperatorRoute>;

const handlers: Record<OperatorRouteKey, OperatorRoute> = {
  ...recordsRoutes,
  ...operatorsRoutes,
  /** Open requests by due date, a page at a time: `nextCursor` (absent on the last page) goes back as ?cursor=. */
  'GET /operator/requests': async (event, { deps }) => {
    const now = deps.clock.now();
    const cursor = event.queryStringParameters?.cursor;
    const page = await deps.requests.listOpen({ limit: OPERATOR_PAGE_SIZE, cursor });
    return json(200, {
      requests: page.requests.map((r) => requestView(r, now, deps.profile.escalation)),
      ...(page.cursor ? { nextCursor: page.cursor } : {}),
      // With the first page: answered requests with a follow-up left to do by hand (a processor not told).
      ...(cursor ? {} : { openWork: await deps.openWork.list() }),
    });
  },
  /**
   * The inbox: open requests by due date with every filter's count; ?filter=overdue|atRisk|needsDecision|
   * needsClassification|failure|newReply, or ?q= a reference or an address (every request of that address).
   */
  'GET /operator/inbox': async (event, { deps }) => json(200, await inbox(deps, event.queryStringParameters ?? {})),
  /**
   * A request received by phone, post or in person, entered by the operator: the form's fields plus channel,
   * receivedAt (starts the deadline) and identity (mail | attested, with attestation). Idempotency-Key is required,
   * so a double submit makes one request.
   */
  'POST /operator/requests': async (event, { deps, actor }) => {
    const key = idempotencyKey(event);
    if (!key) throw new ValidationError([{ field: 'Idempotency-Key', message: 'is required: one key per entered request, so a repeated submit makes one request' }], 'request');
    const { request, created } = await enterRequest(deps, body(event), actor, { key: `operator:${key}`, field: 'Idempotency-Key' });
    return json(created ? 201 : 200, requestView(request, deps.clock.now(), deps.profile.escalation));
  },
  /** An internal note for other operators: {"text": "…"}; kept with the request, never mailed. */
  'POST /operator/requests/{reference}/notes': async (event, { deps, actor }) => json(200, await addNote(deps, reference(event), body(event), actor)),
  /** What unclear mail asks for: {"types": ["access", …]}; the request moves on as those. */
  'POST /operator/requests/{reference}/classification': async (event, { deps, actor }) => json(200, await classify(deps, reference(event), body(event), actor)),
  /** Unclear mail that is no request (spam, a general question): {"text"?: "…"} closes it, the words (if any) mailed once. */
  'POST /operator/requests/{reference}/not-a-request': async (event, { deps, actor }) => json(200, await closeAsNotARequest(deps, reference(event), body(event), actor)),
  /** After a failed step was fixed: run it again (the request shows `attention` until then). */
  'POST /operator/requests/{reference}/resume': async (event, { deps }) => json(200, await resumeRequest(deps, reference(event))),
  'GET /operator/requests/{reference}': async (event, { deps }) => json(200, await requestDetail(deps, reference(event))),
  'GET /operator/decisions': async (_event, { deps }) => {
    const pending = await deps.decisions.list();
    return json(200, { decisions: pending });
  },
  /** The company's own applications record consents here, with their evidence. */
  'POST /operator/consents': async (event, { deps }) => {
    const change = await recordConsent(deps, body(event));
    return json(200, { recorded: change.recorded.map((e) => e.type), state: change.state });
  },
  /** Current state of every purpose for one person (?email=…); ?history=1 exports the whole history. */
  'GET /operator/consents': async (event, { deps }) => {
    const email = event.queryStringParameters?.email;
    if (!email) throw new ValidationError([{ field: 'email', message: 'is required (query parameter)' }], 'consent query');
    if (event.queryStringParameters?.history) return json(200, { history: await deps.consent.history(await deps.personKey(email)) });
    return json(200, { consents: await consentState(deps, email) });
  },
  /**
   * One kept attachment of the request's mail (?key= as listed in its audit trail): a link that downloads it, for a
   * minute (see DownloadLink). The file never passes through this function: its answer is held to 6 MB.
   */
  'GET /operator/requests/{reference}/attachment': async (event, { deps }) => {
    const key = event.queryStringParameters?.key;
    if (!key) throw new ValidationError([{ field: 'key', message: 'is required (query parameter)' }], 'attachment');
    return json(200, await deps.mailArchive.attachmentLink(reference(event), key));
  },
  /** A mail received under the request (?message= its SES message id, as its thread lists it), as it arrived: a link that downloads it as an .eml. */
  'GET /operator/requests/{reference}/raw-mail': async (event, { deps }) => {
    const message = event.queryStringParameters?.message;
    if (!message) throw new ValidationError([{ field: 'message', message: 'is required (query parameter): the sesMessageId of a mail in the thread' }], 'raw mail');
    const requestId = reference(event);
    await deps.requests.get(requestId);
    // Only a mail this request's trail records: another request's message id is simply not found.
    if (!eventsOfType(await deps.audit.list(requestId), 'mail.received').some((e) => e.detail.sesMessageId === message)) throw new NotFoundError(`no mail ${message} under request ${requestId}`);
    return json(200, await deps.mailArchive.rawMailLink(message, `${requestId}-${message.slice(0, 12).replace(/[^\w-]/g, '_')}.eml`));
  },
  /** Mail intake held, the latest first, 100 a page (`nextCursor` goes back as ?cursor=), with `total`. */
  'GET /operator/held-mail': async (event, { deps }) => json(200, await (await heldMail()).listHeldMail(deps, event.queryStringParameters ?? {})),
  /** A held mail as it arrived, to read before admitting or dismissing it: a link that downloads it as an .eml. */
  'GET /operator/held-mail/{id}/raw-mail': async (event, { deps }) => json(200, await (await heldMail()).heldRawMailLink(deps, heldMailId(event))),
  /** The operator vouches for a held mail: it makes its request (one, however often asked), received when it arrived. */
  'POST /operator/held-mail/{id}/admission': async (event, { deps, actor }) => json(200, await (await heldMail()).admitHeldMail(deps, heldMailId(event), actor)),
  /** The operator dismisses a held mail: no request; recorded on its own trail, off the list. */
  'POST /operator/held-mail/{id}/dismissal': async (event, { deps, actor }) => json(200, await (await heldMail()).dismissHeldMail(deps, heldMailId(event), actor)),
  /** The operator did a follow-up by hand (told a processor): {"done": "<item id>"} takes it off the list. */
  'POST /operator/requests/{reference}/open-work': async (event, { deps, actor }) => {
    const { done } = (body(event) ?? {}) as { done?: unknown };
    if (typeof done !== 'string' || !done) throw new ValidationError([{ field: 'done', message: 'the id of the open work item that is done' }], 'open work');
    const requestId = reference(event);
    const item = (await deps.openWork.list()).find((w) => w.requestId === requestId && w.id === done);
    if (!item) throw new NotFoundError(`no open work ${done} for request ${requestId}`);
    // Recorded first: a follow-up off the list but not recorded done would be tried, and opened, again.
    await deps.audit.append(requestId, { type: 'open-work.done', detail: { id: done, operator: actor } });
    await deps.openWork.remove(requestId, done);
    return json(200, { reference: requestId, done });
  },
  'POST /operator/requests/{reference}/extension': async (event, { deps, actor }) => {
    const { reason } = (body(event) ?? {}) as { reason?: unknown };
    return json(200, await extendDeadline(deps, reference(event), reason, actor));
  },
  /** The operator writes to the person: {"text": "…"}, mailed in the person's language, threaded, kept with the request. */
  'POST /operator/requests/{reference}/messages': async (event, { deps, actor }) => {
    const { text } = (body(event) ?? {}) as { text?: unknown };
    return json(200, await writeToPerson(deps, reference(event), text, actor, idempotencyKey(event)));
  },
  /** Before sending marketing, the company's systems ask: has this address opted out? (?email=…) */
  'GET /operator/suppressions': async (event, { deps }) => {
    const email = event.queryStringParameters?.email;
    if (!email) throw new ValidationError([{ field: 'email', message: 'is required (query parameter)' }], 'suppression query');
    return json(200, { suppressed: await deps.suppressions.has(email) });
  },
  'POST /operator/decisions/{reference}': async (event, { deps, actor }) => {
    // The decision is recorded and the waiting workflow released: it moves the request on (answer or refusal).
    return json(200, await decide(deps, reference(event), parseDecision(body(event)), actor));
  },
};

/**
 * Every operator route lets the call in by its client's own bucket (apart from the public ones), finds who calls and
 * checks their role, then does its work on their behalf: under /operator/ for the machine key, under /console/api/
 * for a person signed in to the console.
 */
function guarded(key: OperatorRouteKey, viaConsole: boolean): Route {
  return async (event) => {
    const deps = await dependencies();
    await admit(deps, 'operator', event.requestContext.http.sourceIp);
    return operatorCall(deps, key, event, await authorize(event, key, viaConsole));
  };
}

/** One operator route's work for an operator already let in: whatever it writes names them (see `onBehalfOf`). */
export function operatorCall(deps: Dependencies, key: OperatorRouteKey, event: APIGatewayProxyEventV2, actor: OperatorActor) {
  return handlers[key](event, { actor, deps: onBehalfOf(deps, actor) });
}

export const operatorRoutes = Object.fromEntries(
  OPERATOR_ROUTE_KEYS.flatMap((key) => [
    [key, guarded(key, false)],
    [consoleApiRouteKey(key), guarded(key, true)],
  ]),
) as Record<OperatorRouteKey | ConsoleApiRouteKey, Route>;
