import { randomBytes } from 'node:crypto';
import * as z from '../domain/schema.ts';
import { ConflictError, ValidationError, toFieldProblems } from '../domain/errors.ts';
import { isLocalDate, startOfLocalDay } from '../domain/deadlines/local-time.ts';
import { ENTERED_CHANNELS, MAX_MESSAGE_CHARS, MAX_NOTES, type OperatorNote } from '../domain/request.ts';
import { requestTypeListSchema, type RequestType } from '../domain/request-types.ts';
import type { Dependencies } from './dependencies.ts';
import { amendAsItStands } from './amend-as-it-stands.ts';
import { decide } from './operator.ts';
import { reviewReasons } from './fulfilment-plan.ts';
import { operatorName, type OperatorActor } from '../domain/operator-identity.ts';
import type { Idempotency } from './ports.ts';
import { parseSubmission, submitRequest } from './submit-request.ts';
import { onFirstUse } from '../domain/on-first-use.ts';

const noteSchema = onFirstUse(() => z.strictObject({ text: z.string().check(z.trim(), z.minLength(1, 'write the note'), z.maxLength(MAX_MESSAGE_CHARS, `at most ${MAX_MESSAGE_CHARS} characters`)) }));

/**
 * An internal note on a request, for the operators who read it after: kept with the request (erased with it when
 * anonymised), recorded in the trail by id and operator, never mailed to anyone.
 */
export async function addNote(deps: Pick<Dependencies, 'requests' | 'clock'>, requestId: string, input: unknown, actor: OperatorActor): Promise<OperatorNote> {
  const parsed = noteSchema().safeParse(input);
  if (!parsed.success) throw new ValidationError(toFieldProblems(parsed.error.issues), 'note');
  const request = await deps.requests.get(requestId);
  const note: OperatorNote = { id: randomBytes(8).toString('hex'), at: deps.clock.now().toISOString(), by: operatorName(actor), text: parsed.data.text };
  const full = () => new ConflictError(`${requestId} has ${MAX_NOTES} notes, the most one request keeps`);
  if ((request.notes ?? []).length >= MAX_NOTES) throw full();
  // Made from the request as it stands when written, in whatever step the workflow moved it to meanwhile: a note
  // another operator adds at the same moment stays.
  await amendAsItStands(
    deps.requests,
    request,
    (current) => ({ notes: [...(current.notes ?? []), note] }),
    [{ type: 'operator.noted', detail: { noteId: note.id, operator: actor } }],
    (current) => {
      if ((current.notes ?? []).length >= MAX_NOTES) throw full();
    },
  );
  return note;
}

const classificationSchema = onFirstUse(() => z.strictObject({ types: requestTypeListSchema() }));

/**
 * Mail that could not be read as a request of a known type waits for an operator to say what it is. The request
 * takes those types (recorded with the operator); if they still need a person's decision — a claim, a correction
 * whose changes nobody has stated, a type the company reviews — it keeps waiting for that decision, now of its new
 * types; otherwise the classification releases it (the decision recorded with the operator) and it is fulfilled.
 */
export async function classify(deps: Dependencies, requestId: string, input: unknown, actor: OperatorActor): Promise<{ reference: string; types: RequestType[]; decision: 'approve' | 'pending' }> {
  const parsed = classificationSchema().safeParse(input);
  if (!parsed.success) throw new ValidationError(toFieldProblems(parsed.error.issues), 'classification');
  const types = [...new Set(parsed.data.types)];
  const request = await deps.requests.get(requestId);
  if (request.types.length) throw new ConflictError(`${requestId} is already a request of ${request.types.join(', ')}; decide it instead`);
  if (request.status !== 'AWAITING_DECISION') throw new ConflictError(`${requestId} is not waiting for an operator (${request.status})`);
  const classified = await deps.requests.amend(
    request,
    'AWAITING_DECISION',
    { types },
    [{ type: 'request.classified', detail: { types, operator: actor } }],
    (current) => {
      if (current.types.length) throw new ConflictError(`${requestId} has just been classified as ${current.types.join(', ')}; decide it instead`);
    },
  );
  if (reviewReasons(deps, classified).length) return { reference: requestId, types, decision: 'pending' };
  await decide(deps, requestId, { decision: 'approve' }, actor);
  return { reference: requestId, types, decision: 'approve' };
}

/** How far back a request received by phone, post or in person may be entered: a year (older is a data-entry error). */
const MAX_ENTRY_AGE_DAYS = 366;

/**
 * A request the company received by phone, post or in person, as the operator enters it: what the person asked for,
 * their address for the answer, the channel, the day received (which starts the deadline), and how identity is
 * checked — by the link mailed to the address as on the web, or attested by the operator (how, in their words).
 */
const entrySchema = onFirstUse(() =>
  z.strictObject({
    channel: z.enum(ENTERED_CHANNELS),
    receivedAt: z.union([z.iso.date('a date as YYYY-MM-DD'), z.iso.datetime({ offset: true, message: 'a date (YYYY-MM-DD) or an instant with its offset' })]),
    identity: z.enum(['mail', 'attested']),
    attestation: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(1000))),
  }),
);

/**
 * Enters a request received by phone, post or in person through the same intake as the web form: persisted (with
 * who entered it) before anything is sent, its deadline from the day received in the jurisdiction's time zone, and
 * one request however often the same entry is sent with the same idempotency key.
 */
export async function enterRequest(deps: Dependencies, input: unknown, actor: OperatorActor, idempotency: Omit<Idempotency, 'bodyHash'>) {
  const { channel, receivedAt, identity, attestation, ...rest } = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const entry = entrySchema().safeParse({ channel, receivedAt, identity, attestation });
  const problems = entry.success ? [] : toFieldProblems(entry.error.issues);
  let submission;
  try {
    submission = parseSubmission(rest, 'types', deps.profile);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push(...error.problems);
  }
  const now = deps.clock.now();
  const received = entry.success ? receivedInstant(entry.data.receivedAt, deps.deadlines.timeZone(deps.profile.jurisdiction)) : undefined;
  if (received && received.getTime() > now.getTime()) problems.push({ field: 'receivedAt', message: 'is in the future', kind: 'inFuture' });
  if (received && now.getTime() - received.getTime() > MAX_ENTRY_AGE_DAYS * 86_400_000) problems.push({ field: 'receivedAt', message: `is more than ${MAX_ENTRY_AGE_DAYS} days ago`, kind: 'tooOld', limit: MAX_ENTRY_AGE_DAYS });
  if (entry.success && entry.data.identity === 'attested' && !entry.data.attestation) {
    problems.push({ field: 'attestation', message: 'say how you checked who the person is (a document shown, a call back to a known number)', kind: 'required' });
  }
  if (problems.length || !entry.success || !submission || !received) throw new ValidationError(problems, 'request');
  const { request, created } = await submitRequest(deps, submission, entry.data.channel, idempotency, {}, {
    receivedAt: received,
    entry: { by: operatorName(actor), at: now.toISOString(), identity: entry.data.identity, ...(entry.data.attestation ? { attestation: entry.data.attestation } : {}) },
  });
  return { request, created };
}

/** A day as the first instant of that day where the company answers under its law; an instant as given. */
function receivedInstant(value: string, timeZone: string): Date {
  return isLocalDate(value) ? startOfLocalDay(value, timeZone) : new Date(value);
}
