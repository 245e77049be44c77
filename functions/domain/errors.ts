/**
 * Named errors of the domain. Each carries a stable `code`; the HTTP mapping lives in one place
 * (functions/handlers/http/error-responses.ts), so no handler decides status codes on its own.
 */
export abstract class DerbesError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * What is wrong with a field, as a word a client can translate (the console says it in the operator's language from
 * rules/console/<language>.json `problems`); `message` says the same in English for the API's other readers.
 */
export const PROBLEM_KINDS = ['required', 'tooLong', 'tooShort', 'tooMany', 'format', 'choice', 'phone', 'email', 'date', 'iin', 'notCorrectable', 'inFuture', 'tooOld', 'unknownField', 'invalid'] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `email` or `sources.0.table`. */
  field: string;
  message: string;
  kind?: ProblemKind;
  /** The bound a tooLong/tooShort (characters) or tooMany (items of a list) problem broke. */
  limit?: number;
  /** On the last unknownField problem named: how many more fields were not named (MAX_NAMED). */
  more?: number;
}

/** Input that does not satisfy a schema; lists every bad field, not just the first. */
export class ValidationError extends DerbesError {
  readonly code: string = 'validation_failed';
  constructor(
    readonly problems: FieldProblem[],
    context = 'input',
  ) {
    super(`Invalid ${context}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  }
}

/**
 * A body larger than any form of ours sends — more fields, or more characters — refused before anything in it is read
 * (413); the problem names which bound it broke.
 */
export class FormTooLargeError extends ValidationError {
  override readonly code = 'payload_too_large';
  constructor(
    readonly bound: 'fields' | 'characters',
    readonly limit: number,
  ) {
    super(
      [
        bound === 'fields'
          ? { field: '(body)', message: `has more than ${limit} fields: no form of ours sends so many`, kind: 'tooMany', limit }
          : { field: '(body)', message: `is longer than ${limit} characters: no form of ours sends so much`, kind: 'tooLong', limit },
      ],
      'request',
    );
  }
}

/** Configuration (operator profile, rule data, environment) that cannot be used; fails start-up. */
export class ConfigurationError extends DerbesError {
  readonly code = 'configuration_invalid';
  constructor(
    readonly source: string,
    readonly problems: FieldProblem[],
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n')}`);
  }
}

export class NotFoundError extends DerbesError {
  readonly code = 'not_found';
}

/** A state change that the current state forbids (e.g. confirming a closed request). */
export class ConflictError extends DerbesError {
  readonly code = 'conflict';
}

/**
 * The workflow no longer waits on the task a token names (its wait timed out, or the execution ended): completing
 * it changes nothing. The adapter that talks to the workflow engine says so in these words.
 */
export class WaitEndedError extends ConflictError {}

/**
 * A trail's head is gone, or behind an event that exists: the audit table was changed outside derbes. No write to
 * that trail can succeed until an operator looks (`derbes evidence verify <trail>`), so it is not retried.
 */
export class ChainBrokenError extends DerbesError {
  readonly code = 'audit_chain_broken';
}

/**
 * A text rendered in a language whose catalogue this process has not loaded yet: a function loads the texts of a
 * language (loadMessages, loadMessageCatalogue) before it renders one, and a text is never silently taken from another.
 */
export class TextsNotLoadedError extends DerbesError {
  readonly code = 'texts_not_loaded';
  constructor(readonly language: string) {
    super(`the texts in '${language}' are rendered before they are loaded: await loadMessages('${language}') (or loadMessageCatalogue) first`);
  }
}

/** A language derbes ships no texts in (rules/messages, console, sign-in hold ru, kk and en): its file is never looked for. */
export class UnsupportedLanguageError extends DerbesError {
  readonly code = 'unsupported_language';
  constructor(readonly language: string, readonly supported: readonly string[]) {
    super(`'${language}' is not a language derbes ships texts in (${supported.join(', ')})`);
  }
}

/** A verification code or download link that is unknown, used or expired; deliberately vague. */
export class InvalidTokenError extends DerbesError {
  readonly code = 'invalid_token';
}

export class UnauthorizedError extends DerbesError {
  readonly code = 'unauthorized';
}

/** A signed-in operator whose role does not include what they asked to do. */
export class ForbiddenError extends DerbesError {
  readonly code = 'forbidden';
}

/**
 * An idempotency key (the Idempotency-Key header, a mail's Message-ID) seen before with a different request: the
 * first request is neither returned nor changed, since it may be someone else's.
 */
export class IdempotencyKeyReusedError extends DerbesError {
  readonly code = 'idempotency_key_reused';
  readonly problems: FieldProblem[];
  constructor(readonly field = 'Idempotency-Key') {
    super(`${field} was used before with a different request; send a new key for a new request`);
    this.problems = [{ field, message: 'used before with a different request body' }];
  }
}

/** Too many requests from one client, or in all, for now; `retryAfterSeconds` says when to try again. */
export class RateLimitedError extends DerbesError {
  readonly code = 'rate_limited';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests; try again in ${retryAfterSeconds} s`);
  }
}

/** A step that changes data found the request not verified (or not approved where a decision is needed). */
export class NotPermittedError extends DerbesError {
  readonly code = 'not_permitted';
}

/**
 * The sources a request's fulfilment ran on are not all it needs now: its execution took them from its start, and
 * the profile changed since (a deploy while it waited for confirmation). The workflow plans it again.
 */
export class PlanOutdatedError extends DerbesError {
  readonly code = 'plan_outdated';
}

/** A dependency (database, mail relay, data source) failed, and trying again as it is will not help. */
export class DependencyError extends DerbesError {
  readonly code: string = 'dependency_failed';
}

/** The mail relay or SES refused a message for good (an unknown mailbox, a rejected sender). */
export class MailRejected extends DependencyError {
  override readonly code = 'mail_rejected';
}

/**
 * A dependency failed in a way that passes: the workflow retries these with back-off before anyone is troubled.
 * Step Functions matches them by code (see TRANSIENT_ERROR_CODES and handlers/report-errors.ts).
 */
export abstract class TransientError extends DependencyError {}

/** An SMTP relay answered 4xx (greylisting, a full queue, "451 4.3.0"): try again later. */
export class MailDeferred extends TransientError {
  override readonly code = 'mail_deferred';
}

/**
 * Another attempt (a delivery of the same mail, a step run at the same moment) is sending this mail now: this one
 * tries again later, as after a deferral, and finds it sent — or, if that attempt ended without sending it, sends it.
 */
export class MailBeingSent extends MailDeferred {}

/** An AWS service (SES sending rate, DynamoDB capacity, any API rate) throttled us after the SDK's own retries. */
export class Throttled extends TransientError {
  override readonly code = 'throttled';
}

/** A dependency was unreachable or answered with a server error (5xx, refused or reset connection). */
export class ServiceUnavailable extends TransientError {
  override readonly code = 'service_unavailable';
}

/** A dependency did not answer in time. */
export class DependencyTimeout extends TransientError {
  override readonly code = 'dependency_timeout';
}

/** The codes of the transient errors above: the error names the workflow retries with back-off. */
export const TRANSIENT_ERROR_CODES = ['mail_deferred', 'throttled', 'service_unavailable', 'dependency_timeout'] as const;

/** What a function reports for an error that is not a derbes error. */
export const UNEXPECTED_ERROR_CODE = 'unexpected_error';

/** The code of any error: a derbes error's own, or UNEXPECTED_ERROR_CODE. */
export function errorCodeOf(error: unknown): string {
  return error instanceof DerbesError ? error.code : UNEXPECTED_ERROR_CODE;
}

/**
 * The code to record for a failure as Step Functions names it: derbes functions report their error code as the
 * error's name; Step Functions and Lambda have their own. Never echoes an unknown name: codes go to the audit trail.
 */
export function errorCodeOfFailure(errorName: string): string {
  if (/^[a-z][a-z_]{1,63}$/.test(errorName)) return errorName;
  if (errorName === 'States.Timeout') return 'step_timed_out';
  if (errorName === 'Lambda.Unknown' || errorName === 'Sandbox.Timedout') return 'function_crashed';
  if (errorName.startsWith('Lambda.')) return 'lambda_unavailable';
  if (errorName.startsWith('States.')) return 'workflow_error';
  return UNEXPECTED_ERROR_CODE;
}

const ADDRESS = /[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]]+/g;

/** A last guard for text bound for logs and execution history: every e-mail address becomes `<address>`. */
export function withoutAddresses(text: string): string {
  return text.replace(ADDRESS, '<address>');
}

/** The parts of a zod issue that say what kind of problem it is. */
interface IssueShape {
  path: PropertyKey[];
  message: string;
  code?: string;
  input?: unknown;
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
  /** The choices an `invalid_value` issue allowed. */
  values?: readonly unknown[];
  /** The fields an `unrecognized_keys` issue found that its object does not take. */
  keys?: readonly string[];
  params?: { kind?: ProblemKind; limit?: number };
}

/** The kind of a zod issue: a missing or empty value is `required`, a bound broken says which and by how much. */
function problemKind(issue: IssueShape): Pick<FieldProblem, 'kind' | 'limit'> {
  switch (issue.code) {
    case 'invalid_type':
      // zod keeps an issue's input only when a parse asks for it (reportInput); the English message that
      // functions/domain/schema.ts sets says what came instead. A value of the wrong type is a format problem.
      return { kind: issue.input === undefined && / received undefined$/.test(issue.message) ? 'required' : 'format' };
    case 'too_small':
      return Number(issue.minimum) <= 1 ? { kind: 'required' } : { kind: 'tooShort', limit: Number(issue.minimum) };
    case 'too_big':
      return { kind: issue.origin === 'string' ? 'tooLong' : 'tooMany', limit: Number(issue.maximum) };
    case 'invalid_format':
      return { kind: 'format' };
    case 'invalid_value':
    case 'invalid_union':
      return { kind: 'choice' };
    default:
      return { kind: issue.params?.kind ?? 'invalid', ...(issue.params?.limit === undefined ? {} : { limit: issue.params.limit }) };
  }
}

/** The value at `path` in what was parsed. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<PropertyKey, unknown>)[key] : undefined), input);
}

/** Dotted path of a field, or `(root)` for the whole of what was parsed. */
const fieldOf = (path: readonly PropertyKey[]): string => (path.length ? path.map(String).join('.') : '(root)');

/** How many entries of a long list an error names; it says how many more there were. */
export const MAX_NAMED = 5;

/**
 * Turns zod issues into field problems, so every schema reports the same way. Given what was parsed (`input`), a
 * field left out is told as required even where its schema words its own message. A field the schema does not take
 * is a problem of that field (zod reports them together, on the object that holds them), so it is named.
 */
export function toFieldProblems(issues: ReadonlyArray<IssueShape>, input?: unknown): FieldProblem[] {
  return issues.flatMap((issue): FieldProblem[] => {
    if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
      // A few named, the rest counted: an answer naming every one of 600,000 keys outgrows what Lambda may answer.
      const named = issue.keys.slice(0, MAX_NAMED);
      const more = issue.keys.length - named.length;
      return named.map((key, i) => ({
        field: fieldOf([...issue.path, key]),
        message: more && i === named.length - 1 ? `is not a field this takes (and ${more} more fields are not)` : 'is not a field this takes',
        kind: 'unknownField',
        ...(more && i === named.length - 1 ? { more } : {}),
      }));
    }
    const absent = issue.code === 'invalid_type' && input !== undefined && valueAt(input, issue.path) === undefined;
    const kind = absent ? { kind: 'required' as const } : problemKind(issue);
    // A field left out is said to be required, not in the parser's words about the type it expected; a value not
    // among the choices names them plainly.
    const missing = issue.code === 'invalid_type' && kind.kind === 'required';
    const message = missing ? 'is required' : issue.code === 'invalid_value' && issue.values?.length ? `must be one of: ${issue.values.map(String).join(', ')}` : issue.message;
    return [{ field: fieldOf(issue.path), message, ...kind }];
  });
}
