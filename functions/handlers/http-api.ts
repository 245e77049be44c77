import { createHash } from 'node:crypto';
import { destroysData } from '../domain/request-policy.ts';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dependencies } from '../composition.ts';
import { correctableFields, localize } from '../config/profile-schema.ts';
import { OPEN_STATUSES, REFERENCE_PATTERN, type DataSubjectRequest } from '../domain/request.ts';
import { DerbesError, FormTooLargeError, InvalidTokenError, ValidationError } from '../domain/errors.ts';
import { loadMessages, type Messages } from '../domain/messages.ts';
import { isWellFormedCode } from '../domain/secret-code.ts';
import { LANGUAGES, type Language } from '../domain/request-types.ts';
import { download } from '../use-cases/access-package.ts';
import { admit, clientNetwork } from '../use-cases/admission.ts';
import { confirmVerification, disownVerification } from '../use-cases/confirm-verification.ts';
import { SUBMISSION_LIMITS, bodyHash, parseSubmission, submissionInput, submitRequest, type Submission } from '../use-cases/submit-request.ts';
import type { Dependencies } from '../use-cases/dependencies.ts';
import { MAX_CHANGE_CHARS } from '../domain/rectification.ts';
import { MAX_WAITING_PER_LINK } from '../use-cases/ports.ts';
import { requestsOfCode } from '../use-cases/verification-page.ts';
import { inLanguage } from '../domain/localized.ts';
import { consoleSignInRoutes } from './http/console-sign-in.ts';
import { attachmentFieldProblems, checkAttachments, formAttachmentLimits, type TakenFile } from '../domain/form-attachments.ts';
import { keepFormAttachments } from '../use-cases/form-attachments.ts';
import { parseMultipartForm } from './http/multipart-form.ts';
import { parseUrlencodedForm } from './http/urlencoded-form.ts';
import { serveRoutes, type Route } from './http/dispatch.ts';
import { consoleRoutes } from './http/console-routes.ts';
import { errorBody, errorHeaders, jsonError } from './http/error-responses.ts';
import { confirmPage, confirmedPage, disownedPage, downloadPage, formProblems, messagePage, requestFormPage, type FormSettings, type FormValues } from './http/pages.ts';
import type { PublicRouteKey } from './http/routes.ts';
import { header, html, json, objectBody, rawBody, type Result } from './http/responses.ts';
import { logger } from './logger.ts';

const isMultipart = (event: APIGatewayProxyEventV2) => (header(event, 'content-type') ?? '').startsWith('multipart/form-data');
/** The plain HTML form: url-encoded, or multipart when it carries files. */
const isForm = (event: APIGatewayProxyEventV2) => (header(event, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded') || isMultipart(event);

const bodyBytes = (event: APIGatewayProxyEventV2) => (event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0));

/**
 * The form's fields and files, read once per event — or the problem that left them unreadable, kept beside the event
 * so that its error page answers that problem instead of reading (and failing on) the body again.
 */
type FormRead = { parts: ReturnType<typeof parseMultipartForm> } | { unreadable: ValidationError };
const formOf = new WeakMap<APIGatewayProxyEventV2, FormRead>();
function readForm(event: APIGatewayProxyEventV2): FormRead {
  let read = formOf.get(event);
  if (!read) {
    try {
      read = { parts: isMultipart(event) ? parseMultipartForm(bodyBytes(event), header(event, 'content-type') ?? '') : { fields: parseUrlencodedForm(rawBody(event)), files: [] } };
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      read = { unreadable: error };
    }
    formOf.set(event, read);
  }
  return read;
}
function formParts(event: APIGatewayProxyEventV2) {
  const read = readForm(event);
  if ('unreadable' in read) throw read.unreadable;
  return read.parts;
}

/** The files the form sent (none for JSON or a url-encoded form); a file under any other field is refused. */
function sentFiles(event: APIGatewayProxyEventV2) {
  if (!isForm(event)) return [];
  const { files } = formParts(event);
  const stray = files.find((f) => f.field !== 'attachments');
  if (stray) throw new ValidationError([{ field: stray.field, message: 'takes no file (files go in "attachments")' }], 'request');
  return files;
}

/** A form's fields that may come more than once (its checkboxes): read as lists. */
const LIST_FIELDS = new Set(['types', 'references']);

/** An object for fields named by the sender: without a prototype, so `__proto__` is a field like any other. */
const fieldsObject = () => Object.create(null) as Record<string, unknown>;

/** A form's fields as the request takes them: a list for the fields that may repeat, else the first value sent. */
function formFields(sent: Record<string, string[]>): Record<string, unknown> {
  const fields = fieldsObject();
  for (const [key, values] of Object.entries(sent)) fields[key] = LIST_FIELDS.has(key) ? values : values[0];
  return fields;
}

/** JSON for the API, the fields of the plain HTML form; anything else is named as the problem. */
function parseBody(event: APIGatewayProxyEventV2): Record<string, unknown> {
  if (isForm(event)) return formFields(formParts(event).fields);
  const contentType = header(event, 'content-type') ?? '';
  if (!contentType.startsWith('application/json')) {
    throw new ValidationError([{ field: 'content-type', message: 'send application/json or an HTML form' }], 'request');
  }
  return objectBody(event, 'request');
}

/** Why a form's body could not be read, in the person's words: larger than any form of ours sends, or damaged. */
function unreadableFormText(m: Messages, error: ValidationError): string {
  if (!(error instanceof FormTooLargeError)) return m.page('problemFormBody');
  return m.page(error.bound === 'fields' ? 'problemFormTooManyFields' : 'problemFormTooLong', { limit: String(error.limit) });
}

/**
 * The language a confirmation link asks for (its `lang`, the language of the mail it came in), else `fallback`. One
 * link confirms every request waiting for the address, which may have been made in several languages: the person
 * reads on in the language of the mail they opened.
 */
function linkLanguage(event: APIGatewayProxyEventV2, fallback: Language): Language {
  return LANGUAGES.find((l) => l === event.queryStringParameters?.lang) ?? fallback;
}

function pageLanguage(event: APIGatewayProxyEventV2, fallback: Language): Language {
  const wanted = event.queryStringParameters?.lang ?? header(event, 'accept-language')?.slice(0, 2);
  return LANGUAGES.find((l) => l === wanted) ?? fallback;
}

/** How long the same form sent again is the request it made (see idempotencyOf). */
const FORM_REPEAT_MS = 15 * 60_000;

/**
 * The API's Idempotency-Key header is bound to the body (another body → 422). The form is sent again with the same
 * fields and files within a quarter of an hour (by the clock's quarter) by a double click, or by Back and Send, which
 * renders the page and any key in it anew, from the same client: that is the request it made. A person who changes
 * anything makes a new one; so does one whose earlier request is closed already (createRequest), or who sends it from
 * another address (a stranger who types the same fields must not be shown the reference it made).
 */
async function idempotencyOf(deps: Dependencies, event: APIGatewayProxyEventV2, form: boolean, submission: Submission, files: readonly TakenFile[]): Promise<{ key: string; field: string } | undefined> {
  const headerKey = header(event, 'idempotency-key');
  if (headerKey !== undefined) {
    if (!/^[\x21-\x7e]{1,255}$/.test(headerKey)) throw new ValidationError([{ field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }], 'request');
    return { key: headerKey, field: 'Idempotency-Key' };
  }
  if (!form) return undefined;
  const sent = createHash('sha256');
  for (const file of files) sent.update(`${file.filename}\n${file.contentType}\n${createHash('sha256').update(file.content).digest('hex')}\n`);
  const quarter = Math.floor(deps.clock.now().getTime() / FORM_REPEAT_MS);
  // Bound to the client (an IPv6 one by its /64, whose privacy addresses change), so a stranger who types the same
  // fields is not shown the reference of the request they repeat.
  const client = await deps.keyedHash('form client', clientNetwork(clientIp(event)));
  return { key: `form:${quarter}:${client}:${await bodyHash(deps, submission)}:${sent.digest('hex')}`, field: 'idempotencyKey' };
}

/** The client's address as API Gateway saw it; only its keyed hash is ever kept. */
const clientIp = (event: APIGatewayProxyEventV2) => event.requestContext.http.sourceIp;

/** Asked to destroy data in words that limit it, a request waits for an operator (form-wording.ts, loaded only then). */
async function particularDataSignal(submission: Submission): Promise<Pick<DataSubjectRequest, 'particularData'>> {
  if (!submission.message || !destroysData(submission.types)) return {};
  const { formNamesParticularData } = await import('../use-cases/form-wording.ts');
  return formNamesParticularData(submission.message) ? { particularData: true } : {};
}

/** A Global Privacy Control signal with its evidence, as keyed hashes; it takes effect once the address is verified. */
async function gpcSignal(event: APIGatewayProxyEventV2): Promise<Pick<DataSubjectRequest, 'gpc'>> {
  if (header(event, 'sec-gpc') !== '1') return {};
  const deps = await dependencies();
  const userAgent = header(event, 'user-agent');
  return { gpc: { ipHash: await deps.keyedHash('ip', clientIp(event)), ...(userAgent ? { userAgentHash: await deps.keyedHash('user-agent', userAgent) } : {}) } };
}

/**
 * The form's fields as the API takes them: a new value per correctable field (`changes.<field>`, empty ones left
 * out), an empty name or message left out.
 */
function formSubmission(fields: Record<string, unknown>): Record<string, unknown> {
  const changes = fieldsObject();
  const rest = fieldsObject();
  for (const [key, value] of Object.entries(fields)) {
    if (key.startsWith('changes.')) {
      if (typeof value === 'string' && value.trim()) changes[key.slice('changes.'.length)] = value;
    } else if (!((key === 'name' || key === 'message') && typeof value === 'string' && !value.trim())) rest[key] = value;
  }
  return { ...rest, ...(Object.keys(changes).length ? { changes } : {}) };
}

/** What the form typed, as strings, to give back to the form with its problems. */
function typedValues(fields: Record<string, unknown>): FormValues {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const changes = Object.fromEntries(Object.entries(fields).filter(([key]) => key.startsWith('changes.')).map(([key, value]) => [key.slice('changes.'.length), text(value)]));
  const types = Array.isArray(fields.types) ? fields.types.filter((t): t is string => typeof t === 'string') : [];
  return { types, email: text(fields.email), name: text(fields.name), message: text(fields.message), language: text(fields.language) || undefined, changes };
}

function formSettings(deps: Pick<Dependencies, 'profile'>, language: Language): FormSettings {
  return {
    operatorName: localize(deps.profile.operator.name, language),
    correctable: correctableFields(deps.profile),
    limits: { ...SUBMISSION_LIMITS, change: MAX_CHANGE_CHARS },
    attachments: formAttachmentLimits(),
  };
}

async function createRequest(event: APIGatewayProxyEventV2): Promise<Result> {
  const deps = await dependencies();
  await admit(deps, 'request', clientIp(event));
  const form = isForm(event);
  const fields = form ? formSubmission(parseBody(event)) : parseBody(event);
  // Pages rendered by an earlier release still carry a key of their own; the form's key is its content now.
  const { idempotencyKey: _pageKey, ...rest } = fields;
  const attachments = checkAttachments(sentFiles(event));
  let submission: Submission;
  try {
    const { input, typesField } = submissionInput(rest);
    submission = parseSubmission(input, typesField, deps.profile);
  } catch (error) {
    // Every problem at once: the fields' and the files'.
    if (error instanceof ValidationError && attachments.problems.length) throw new ValidationError([...error.problems, ...attachmentFieldProblems(attachments.problems)], 'request');
    throw error;
  }
  if (attachments.problems.length) throw new ValidationError(attachmentFieldProblems(attachments.problems), 'request');
  const signals = { ...(await gpcSignal(event)), ...(await particularDataSignal(submission)) };
  let { request, created } = await submitRequest(deps, submission, 'web', await idempotencyOf(deps, event, form, submission, attachments.files), signals);
  // The same form again after its request was answered or closed asks anew.
  if (form && !created && !OPEN_STATUSES.includes(request.status)) ({ request, created } = await submitRequest(deps, submission, 'web', undefined, signals));
  if (attachments.files.length) await keepFormAttachments(deps, request.id, attachments.files);
  logger.info('request submitted', { reference: request.id, created, channel: 'web' });
  const m = await loadMessages(request.language);
  // One answer whatever the address's state — a link on its way, or one waiting there that this request joins: a
  // stranger who types an address learns nothing of whether, or when, its owner asked about their data.
  const message = m.page('submitted', { reference: request.id, dueAt: m.date(request.deadline.dueAt, request.deadline.timeZone) });
  if (form) return html(202, messagePage(request.language, m.page('formTitle'), message));
  return json(created ? 202 : 200, {
    reference: request.id,
    status: request.status,
    types: request.types,
    receivedAt: request.receivedAt,
    dueAt: request.deadline.dueAt,
    timeZone: request.deadline.timeZone,
    rule: { id: request.deadline.rule.id, citation: inLanguage(request.deadline.rule.citation, request.language) },
    confirmation: { message },
  });
}

/**
 * The requests the person chose: those ticked on the link's page (a form sends one `references` field per box, and an
 * empty one beside them), or listed in the API's `references`; undefined when none is named at all (an API caller:
 * the request the link was mailed for).
 */
function chosenReferences(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).filter((reference) => reference !== '');
  // A link holds at most MAX_WAITING_PER_LINK requests: a longer list is no person's choice.
  if (list.length > MAX_WAITING_PER_LINK || !list.every((reference): reference is string => typeof reference === 'string' && WHOLE_REFERENCE.test(reference))) {
    throw new ValidationError([{ field: 'references', message: `must be a list of at most ${MAX_WAITING_PER_LINK} request references` }], 'confirmation');
  }
  return list;
}

const WHOLE_REFERENCE = new RegExp(`^${REFERENCE_PATTERN.source}$`);

/**
 * Why a confirmation link cannot be used, as the person can act on it: a code cut short or missing (a link broken
 * across lines, copied in part) is said apart from one used or expired.
 */
function unusableLink(m: Messages, code: string, contact: string): string {
  return isWellFormedCode(code) ? m.page('invalidLink', { contact }) : m.page('linkIncomplete', { contact });
}

async function confirm(event: APIGatewayProxyEventV2, asPage: boolean): Promise<Result> {
  const deps = await dependencies();
  const language = pageLanguage(event, deps.profile.defaultLanguage);
  // Read once: the error page says a link cut short apart from one used (none when the body itself failed).
  let code: unknown;
  try {
    await admit(deps, 'public', clientIp(event));
    const body = parseBody(event);
    code = body.code;
    const references = body.references;
    if (typeof code !== 'string') {
      // On the page, a link opened in part: said as such (below); to an API caller, a field missing.
      if (asPage) throw new InvalidTokenError('verification code is missing');
      throw new ValidationError([{ field: 'code', message: 'is required', kind: 'required' }], 'confirmation');
    }
    // "None of these are mine" (the page's second button; `none: true` from an API caller): whatever was ticked.
    if (body.none === '1' || body.none === true) {
      const closed = await disownVerification(deps, code);
      logger.info('verification disowned', { references: closed });
      if (!asPage) return json(200, { references: closed, status: 'disowned' });
      return html(200, await disownedPage(linkLanguage(event, (await deps.requests.get(closed[0]!)).language), closed));
    }
    const chosen = chosenReferences(references);
    if (asPage && chosen?.length === 0) {
      const m = await loadMessages(language);
      return html(400, messagePage(language, m.page('confirmTitleSeveral'), m.page('confirmNothingTicked'), true));
    }
    const { confirmed, notConfirmed } = await confirmVerification(deps, code, chosen);
    logger.info('verification confirmed', { references: confirmed, notConfirmed });
    if (!asPage) return json(200, { reference: confirmed[0]!, references: confirmed, notConfirmed, status: 'confirmed' });
    // Each confirmed request is named with its own due date.
    const requests = await Promise.all(confirmed.map((requestId) => deps.requests.get(requestId)));
    return html(200, await confirmedPage(linkLanguage(event, requests[0]!.language), requests, notConfirmed, correctableFields(deps.profile)));
  } catch (error) {
    if (!asPage) throw error;
    const m = await loadMessages(language);
    // A post the page itself never sends (a damaged or hand-made one) is said in the person's words, not the API's.
    const message =
      error instanceof InvalidTokenError ? unusableLink(m, typeof code === 'string' ? code : '', deps.profile.supportAddress)
      : error instanceof FormTooLargeError ? unreadableFormText(m, error)
      : error instanceof ValidationError ? m.page('confirmUnreadable')
      : m.page('error', { message: errorBody(error).body.message });
    const page = html(error instanceof DerbesError ? errorBody(error).statusCode : 500, messagePage(language, m.page('confirmTitle'), message, true));
    return { ...page, headers: { ...page.headers, ...errorHeaders(error) } };
  }
}

const routes: Record<PublicRouteKey, Route> = {
  'GET /': async (event) => {
    const deps = await dependencies();
    const language = pageLanguage(event, deps.profile.defaultLanguage);
    return html(200, await requestFormPage(language, formSettings(deps, language)));
  },
  'POST /api/requests': createRequest,
  'GET /verify': async (event) => {
    const deps = await dependencies();
    const language = pageLanguage(event, deps.profile.defaultLanguage);
    const code = event.queryStringParameters?.code ?? '';
    try {
      // Reading the code spends nothing: only the button's POST confirms, and only what the person chose.
      const requests = await requestsOfCode(deps, code);
      return html(200, await confirmPage(linkLanguage(event, requests[0]!.language), requests, code, correctableFields(deps.profile)));
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      const m = await loadMessages(language);
      return html(isWellFormedCode(code) ? 410 : 400, messagePage(language, m.page('confirmTitle'), unusableLink(m, code, deps.profile.supportAddress), true));
    }
  },
  'GET /download': async (event) => {
    const language = pageLanguage(event, (await dependencies()).profile.defaultLanguage);
    const format = event.queryStringParameters?.format === 'json' ? 'json' : 'html';
    return html(200, await downloadPage(language, format, event.queryStringParameters?.token ?? ''));
  },
  'POST /download': async (event) => {
    const deps = await dependencies();
    await admit(deps, 'public', clientIp(event));
    const language = pageLanguage(event, deps.profile.defaultLanguage);
    const token = parseBody(event).token;
    try {
      if (typeof token !== 'string' || !token) throw new InvalidTokenError('download token is missing');
      const file = await download(deps, token);
      logger.info('access package downloaded', { reference: file.requestId });
      // The page opens in the browser (to read or print); the JSON file is saved.
      if (file.contentType.startsWith('text/html')) {
        const page = html(200, file.body);
        return { ...page, headers: { ...page.headers, 'content-disposition': `inline; filename="${file.filename}"` } };
      }
      return {
        statusCode: 200,
        headers: { 'content-type': file.contentType, 'content-disposition': `attachment; filename="${file.filename}"`, 'cache-control': 'no-store' },
        body: file.body,
      };
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      const m = await loadMessages(language);
      return html(410, messagePage(language, m.page('downloadTitle'), m.page('downloadInvalid', { contact: deps.profile.supportAddress }), true));
    }
  },
  'POST /verify': (event) => confirm(event, true),
  'POST /api/verifications': (event) => confirm(event, false),
  'GET /health': async () => json(200, { status: 'ok' }),
  ...consoleSignInRoutes,
  ...consoleRoutes,
};

/**
 * The public routes of the HTTP API: the privacy page, the request API, confirmation and downloads. The operator
 * API is another function (operator-api.ts), with another role.
 */
export const handler = serveRoutes(routes, async (error, event) => {
  if (!isForm(event)) return jsonError(error);
  // The form as its route read it, if it did: the body is read here neither again nor for the first time (a 429
  // comes before it is read, and costs no more than that).
  const read = formOf.get(event);
  const unreadable = read && 'unreadable' in read ? read.unreadable : undefined;
  const fields = read && 'parts' in read ? formFields(read.parts.fields) : undefined;
  // The plain HTML form comes back in the page's language (else the one the person chose, else the operator's).
  const chosen = LANGUAGES.find((l) => l === fields?.language);
  const deps = await dependencies();
  const language = pageLanguage(event, chosen ?? deps.profile.defaultLanguage);
  const { statusCode, body } = errorBody(error);
  if (fields && error instanceof ValidationError && event.routeKey === 'POST /api/requests') {
    // What to fix, next to each field, with everything typed kept: nothing is lost to a typo.
    const values = typedValues(fields);
    const settings = formSettings(deps, language);
    return html(statusCode, await requestFormPage(language, settings, values, await formProblems(language, error.problems, values, settings)));
  }
  const details = body.fields?.map((f) => `${f.field}: ${f.message}`).join('; ') ?? body.message;
  const m = await loadMessages(language);
  // The body itself is the problem: said in the person's words, then as the API says it.
  const lines = unreadable && error === unreadable ? [unreadableFormText(m, unreadable), m.page('error', { message: details })] : m.page('error', { message: details });
  const page = html(statusCode, messagePage(language, m.page('formTitle'), lines, true));
  return { ...page, headers: { ...page.headers, ...errorHeaders(error) } };
});
