import * as z from '../domain/schema.ts';
import { hasDirectionControls } from '../domain/shown-text.ts';
import { ValidationError, toFieldProblems, type FieldProblem } from '../domain/errors.ts';
import { changesSchema } from '../domain/rectification.ts';
import { riskFlags, type Deadline } from '../domain/deadlines/index.ts';
import { MAX_MESSAGE_CHARS, newReference, type Channel, type DataSubjectRequest, type Entry } from '../domain/request.ts';
import type { Admission } from '../domain/held-mail.ts';
import { mailableAddress } from '../domain/email/address.ts';
import { LanguageSchema, REQUEST_TYPES, requestTypeListSchema, type RequestType } from '../domain/request-types.ts';
import type { Dependencies } from './dependencies.ts';
import { correctionProblems } from './fulfilment-plan.ts';
import type { CreateResult, Idempotency } from './ports.ts';
import { startWorkflow } from './start-workflow.ts';
import { onFirstUse } from '../domain/on-first-use.ts';

/** The most each field of a submission holds; the form's inputs carry the same limits (maxlength). */
export const SUBMISSION_LIMITS = { email: 254, name: 200, message: MAX_MESSAGE_CHARS } as const;

/** What a person submits; the same schema serves the JSON API and the HTML form. */
export const submissionSchema = onFirstUse(() =>
  z.strictObject({
    types: requestTypeListSchema(),
    /** For a rectification: field → new value, among the fields the profile declares correctable. */
    changes: z.optional(changesSchema()),
    // The address as mail intake reads a sender's (mailableAddress): one an answer can reach, an IDN domain kept in
    // its punycode form, so that a person is one whichever way they reach us.
    email: z.pipe(
      z.string().check(z.maxLength(SUBMISSION_LIMITS.email), z.refine((email) => email.length > SUBMISSION_LIMITS.email || mailableAddress(email) !== undefined, { message: 'must be an e-mail address', params: { kind: 'format' } })),
      z.transform((email) => mailableAddress(email)!),
    ),
    // One line of text: a control character in a name would be obeyed by a terminal or a mail client that shows it.
    name: z.optional(
      z.string().check(
        z.trim(),
        z.maxLength(SUBMISSION_LIMITS.name),
        z.regex(/^\P{Cc}*$/u, 'must be one line of text, without control characters'),
        z.refine((name) => !hasDirectionControls(name), 'must not hold characters that change the direction of text (U+202E and the like)'),
      ),
    ),
    /** The person's own words: what a claim is about, what to correct and why, anything the operator should know. */
    // A browser sends a textarea's line breaks as CRLF but counts them as one character against maxlength: so do we.
    message: z.optional(z.string().check(z.overwrite((text) => text.replace(/\r\n?/g, '\n')), z.trim(), z.maxLength(SUBMISSION_LIMITS.message, `at most ${SUBMISSION_LIMITS.message} characters`))),
    language: LanguageSchema,
  }),
);
/** Mail that could not be classified is still a request: with no types yet, for an operator to classify. */
export type Submission = Omit<z.infer<ReturnType<typeof submissionSchema>>, 'types'> & { types: RequestType[] };

const CLAIM_WITHOUT_MESSAGE: FieldProblem = { field: 'message', message: 'a claim needs a message: what it is about', kind: 'required' };
/** A correction that says neither a new value nor what is wrong leaves the operator nothing to correct. */
const CORRECTION_WITHOUT_WHAT: FieldProblem = { field: 'message', message: 'a correction needs the new values, or a message saying what is wrong', kind: 'required' };

const PROTO_CHANGE: FieldProblem = { field: 'changes.__proto__', message: 'a field name: a letter, then letters, digits or _ (at most 64)', kind: 'format' };

/**
 * Every problem of a submission at once, so a person fixes them in one go: the schema's, a claim without a message,
 * and (given the profile) changes to fields it does not let people correct or values of the wrong kind.
 * `typesField` names the field the caller actually sent (`type` or `types`), so errors point at it.
 */
export function parseSubmission(input: unknown, typesField: 'type' | 'types' = 'types', profile?: Pick<Dependencies['profile'], 'sources'>): Submission {
  const result = submissionSchema().safeParse(input);
  const problems = result.success ? [] : toFieldProblems(result.error.issues, input).map((p) => (p.field.startsWith('types') ? { ...p, field: p.field.replace(/^types(\.\d+)?/, typesField === 'type' ? 'type' : '$&') } : p));
  const fields = (input ?? {}) as { types?: unknown; message?: unknown; changes?: unknown };
  const message = typeof fields.message === 'string' ? fields.message.trim() : '';
  const types: unknown[] = Array.isArray(fields.types) ? fields.types : [];
  const changes = changesSchema().safeParse(fields.changes);
  // The schema's record skips a key named __proto__ (it would set the prototype of what it builds): said, not dropped.
  const protoChange = typeof fields.changes === 'object' && fields.changes !== null && Object.hasOwn(fields.changes, '__proto__');
  if (protoChange) problems.push(PROTO_CHANGE);
  const changesGiven = fields.changes !== undefined && (!changes.success || protoChange || Object.keys(changes.data ?? {}).length > 0);
  if (!message && !problems.some((p) => p.field === 'message')) {
    if (types.includes('claim')) problems.push(CLAIM_WITHOUT_MESSAGE);
    else if (types.includes('rectification') && !changesGiven) problems.push(CORRECTION_WITHOUT_WHAT);
  }
  if (profile && changes.success && !problems.some((p) => p.field.startsWith('changes'))) problems.push(...correctionProblems(profile, changes.data));
  if (!result.success || problems.length) throw new ValidationError(problems, 'request');
  return result.data;
}

/**
 * A submission's fields as the API takes them: one `type`, or a list of `types` (a person often asks for several
 * things at once) — not both, which would leave one of them unread. Returns what parseSubmission reads, and the
 * field the caller sent, so that its problems name it.
 */
export function submissionInput(fields: Record<string, unknown>): { input: Record<string, unknown>; typesField: 'type' | 'types' } {
  const { type, ...rest } = fields;
  if (type === undefined) return { input: rest, typesField: 'types' };
  if (rest.types !== undefined) throw new ValidationError([{ field: 'types', message: 'send either type or types, not both', kind: 'invalid' }], 'request');
  return { input: { ...rest, types: [type] }, typesField: 'type' };
}

/** The earliest due date of all the request's types governs the whole request: each type's computed once. */
export function deadlineFor(deps: Pick<Dependencies, 'deadlines' | 'profile'>, types: readonly RequestType[], receivedAt: Date): Deadline {
  const candidates = [...new Set(types)].map((requestType) =>
    deps.deadlines.compute({ jurisdiction: deps.profile.jurisdiction, requestType, receivedAt, operatorTerms: deps.profile.terms }),
  );
  return candidates.reduce((a, b) => (Date.parse(b.dueAt) < Date.parse(a.dueAt) ? b : a));
}

/**
 * The body as a key binds it: the same wishes in any order, the same changes in any order, hash alike; anything
 * the person could see differently does not. The hash is keyed: it holds the address and the name, and is kept
 * beside the idempotency key, so without the key nobody who reads the table can test a guess against it.
 */
export async function bodyHash(deps: Pick<Dependencies, 'keyedHash'>, submission: Submission): Promise<string> {
  const canonical = {
    types: [...new Set(submission.types)].sort(),
    email: submission.email,
    name: submission.name || null,
    language: submission.language,
    changes: Object.entries(submission.changes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    // Absent when empty, so a body without a message hashes as it did before messages were taken.
    ...(submission.message ? { message: submission.message } : {}),
  };
  return deps.keyedHash('body', JSON.stringify(canonical));
}

/**
 * A request received before it is made: one an operator entered (when the person made it, who entered it and how
 * identity is checked), or held mail an operator vouched for (when it arrived, who vouched, why it was held).
 */
export type ReceivedEarlier = { receivedAt: Date } & ({ entry: Entry; admitted?: never } | { admitted: Admission; entry?: never });

/**
 * Persists the request with its first audit event, then starts its workflow (which mails the receipt with the
 * confirmation link). A repeated submission with the same idempotency key and body returns the first request and
 * starts nothing twice (the execution is named after the request); the same key with another body is refused.
 */
export async function submitRequest(
  deps: Dependencies,
  submission: Submission,
  channel: Channel,
  idempotency?: Omit<Idempotency, 'bodyHash'>,
  signals: Pick<DataSubjectRequest, 'gpc' | 'firstMail' | 'particularData'> = {},
  earlier?: ReceivedEarlier,
): Promise<CreateResult> {
  if (submission.changes) {
    const problems = correctionProblems(deps.profile, submission.changes);
    if (problems.length) throw new ValidationError(problems, 'request');
  }
  // A request received by phone, post or in person runs from the day it was received, not the day it was entered;
  // held mail from when it arrived, not when an operator vouched for it.
  const now = deps.clock.now();
  const receivedAt = earlier?.receivedAt ?? now;
  const entered = earlier?.entry;
  const admitted = earlier?.admitted;
  // An unclear request (types still unknown) runs on the strictest term of all: never later than any reading.
  const types = submission.types.length ? submission.types : REQUEST_TYPES;
  const deadline = deadlineFor(deps, types, receivedAt);
  // Entered past the point where the person must have heard from us, the statutory date can no longer be kept: the
  // receipt says so, and promises the answer within the same term counted from today. It stays overdue for the operator.
  const promisedBy = entered && riskFlags(deadline, now, deps.profile.escalation).atRisk ? deadlineFor(deps, types, now).dueAt : undefined;
  const request: DataSubjectRequest = {
    id: newReference(),
    types: [...new Set(submission.types)],
    status: 'RECEIVED',
    channel,
    email: submission.email,
    name: submission.name || undefined,
    personKey: await deps.personKey(submission.email),
    language: submission.language,
    ...(submission.changes ? { changes: submission.changes } : {}),
    ...(submission.message ? { message: submission.message } : {}),
    ...(signals.gpc ? { gpc: signals.gpc } : {}),
    ...(signals.firstMail ? { firstMail: signals.firstMail } : {}),
    ...(signals.particularData ? { particularData: true } : {}),
    receivedAt: receivedAt.toISOString(),
    deadline,
    ...(entered ? { entry: { ...entered, ...(promisedBy ? { promisedBy } : {}) } } : {}),
    ...(admitted ? { admitted } : {}),
    // Identity the operator checked stands for the link's confirmation: the workflow moves on without mailing one.
    ...(entered?.identity === 'attested' ? { verifiedAt: entered.at } : {}),
  };
  const result = await deps.requests.create(
    request,
    {
      type: 'request.received',
      detail: {
        channel,
        types: request.types,
        dueAt: deadline.dueAt,
        ruleId: deadline.rule.id,
        ...(entered ? { enteredBy: entered.by, identity: entered.identity } : {}),
        ...(admitted ? { admittedBy: admitted.by, held: admitted.held } : {}),
      },
    },
    idempotency && { ...idempotency, bodyHash: await bodyHash(deps, submission) },
  );
  // Also on a replay: if the first attempt died between persisting and starting, this finishes the job.
  await startWorkflow(deps, result.request);
  return result;
}
