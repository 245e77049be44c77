import { randomUUID } from 'node:crypto';
import * as z from '../domain/schema.ts';
import { riskFlags, type EscalationPolicy } from '../domain/deadlines/index.ts';
import { ConflictError, NotFoundError, NotPermittedError, ValidationError, WaitEndedError, toFieldProblems, type FieldProblem } from '../domain/errors.ts';
import { inLanguage } from '../domain/localized.ts';
import { groundText, refusalGround, refusalGrounds, loadRefusalGrounds } from '../domain/refusal-grounds.ts';
import { MAX_MESSAGE_CHARS, MAX_OPERATOR_MESSAGES, OPEN_STATUSES, type DataSubjectRequest, type OperatorMessage, type RefusalBasis } from '../domain/request.ts';
import { LANGUAGES, REQUEST_TYPES, RequestTypeSchema, type Language, type RequestType } from '../domain/request-types.ts';
import { changesSchema } from '../domain/rectification.ts';
import { eventsOfType, type RecordedAuditEvent } from '../domain/audit.ts';
import { operatorName, type OperatorActor } from '../domain/operator-identity.ts';
import { describeReasons } from './fulfilment.ts';
import { correctionProblems, erasableFields, erasureFieldProblems, reviewReasons } from './fulfilment-plan.ts';
import { correctableFields, localize } from '../config/profile-schema.ts';
import type { Dependencies } from './dependencies.ts';
import { notifyPerson } from './notify.ts';
import { amendAsItStands } from './amend-as-it-stands.ts';
import { onFirstUse } from '../domain/on-first-use.ts';
import { REPLY_WORK_ID } from './ports.ts';

/** An operator's decision on a request that waits for one. */
export const decisionInputSchema = onFirstUse(() =>
  z
    .strictObject({
      decision: z.enum(['approve', 'deny']),
      /** Why: required for a refusal, told to the person. */
      reason: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(4000))),
      /**
       * The legal basis of a refusal, required with it: the id of one of the jurisdiction's refusal grounds
       * (rules/refusal-grounds), or the basis written out by the operator.
       */
      basis: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(1000))),
      /** The answer to a claim, or a note for the person. */
      answer: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(10000))),
      /** For a rectification the operator states (e.g. from documents): field → new value. */
      changes: z.optional(changesSchema()),
      /** For an unclear request: what it is. */
      types: z.optional(z.array(RequestTypeSchema).check(z.minLength(1))),
      /**
       * For an erasure of particular data (a phone number, a photo): the personal fields to erase, the rest of the
       * person's data kept. Absent, an erasure erases everything.
       */
      fields: z.optional(z.array(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))).check(z.minLength(1), z.maxLength(100))),
    })
    .check(
      z.refine((d) => d.decision === 'approve' || d.reason, { path: ['reason'], message: 'a refusal needs a reason the person can read', params: { kind: 'required' } }),
      // A refusal missing both is told both at once; one missing only its basis is told by resolveBasis, with the
      // grounds that fit the request.
      z.refine((d) => d.decision === 'approve' || d.reason || d.basis, { path: ['basis'], message: "a refusal needs a legal basis: a refusal ground's id, or the basis written out", params: { kind: 'required' } }),
    ),
);
export type DecisionInput = z.infer<ReturnType<typeof decisionInputSchema>>;


export function parseDecision(input: unknown): DecisionInput {
  const result = decisionInputSchema().safeParse(input);
  if (!result.success) throw new ValidationError(toFieldProblems(result.error.issues), 'decision');
  return result.data;
}

/** Ground ids look like "kz-third-party-data"; a basis written out by the operator has spaces. */
const GROUND_ID = /^[a-z]{2}(-[a-z0-9]+)+$/;

/**
 * The basis of a refusal as the operator gave it: a ground of the jurisdiction that fits the request's types, or
 * their own words. Something shaped like a ground id that is not one is a typo, refused with the grounds that fit.
 */
export async function resolveBasis(jurisdiction: string, types: readonly RequestType[], basis: string | undefined): Promise<RefusalBasis> {
  await loadRefusalGrounds(jurisdiction);
  const fitting = refusalGrounds(jurisdiction, types);
  const known = () => (fitting.length ? `; grounds for this request: ${fitting.map((g) => g.id).join(', ')}` : '');
  if (!basis) {
    throw new ValidationError([{ field: 'basis', message: `a refusal needs a legal basis: a refusal ground's id, or the basis written out${known()}`, kind: 'required' }], 'decision');
  }
  if (!GROUND_ID.test(basis)) return { text: basis };
  const ground = refusalGround(jurisdiction, basis);
  if (!ground) throw new ValidationError([{ field: 'basis', message: `${basis} is not a refusal ground of ${jurisdiction}${known()}`, kind: 'choice' }], 'decision');
  if (types.length && !types.some((t) => ground.appliesTo.includes(t))) {
    throw new ValidationError([{ field: 'basis', message: `${basis} does not apply to ${types.join(', ')}${known()}`, kind: 'choice' }], 'decision');
  }
  return { ground: ground.id };
}

/** How the person reads the basis of their refusal, in their language. */
export async function basisText(jurisdiction: string, basis: RefusalBasis | string | undefined, language: Language, fallback: string): Promise<string> {
  if (basis === undefined) return fallback;
  if (typeof basis === 'string') return basis; // a decision recorded before grounds were data
  if ('text' in basis) return basis.text;
  await loadRefusalGrounds(jurisdiction);
  const ground = refusalGround(jurisdiction, basis.ground);
  return ground ? groundText(ground, language) : basis.ground;
}

/**
 * Takes the request's pending decision, so that no other operator (nor the workflow) acts on it too: a ConflictError
 * saying `stale` when the request no longer waits for one — another got there first.
 */
async function takePendingDecision(deps: Pick<Dependencies, 'decisions'>, request: DataSubjectRequest, stale: string) {
  if (request.status !== 'AWAITING_DECISION') throw new ConflictError(stale);
  return deps.decisions.take(request.id).catch((error: unknown) => {
    throw error instanceof NotFoundError ? new ConflictError(stale) : error;
  });
}

/**
 * Records the operator's decision on a waiting request and releases its workflow, which then moves the request on
 * (ApplyDecision). If the wait has already ended (timed out and escalated), the pending decision is put back and
 * the operator is told, so nothing is left half-done.
 */
export async function decide(deps: Dependencies, requestId: string, input: DecisionInput, actor: OperatorActor): Promise<{ reference: string; decision: DecisionInput['decision'] }> {
  const problems = input.changes ? correctionProblems(deps.profile, input.changes) : [];
  const approved = input.decision === 'approve';
  const request = await deps.requests.get(requestId);
  const types = input.types ?? request.types;
  // Mail nobody could classify has no types: approving it as it stands would answer about nothing and reach every
  // source. It is classified first — its types given with the approval, or chosen in the console.
  if (approved && !types.length) {
    problems.push({
      field: 'types',
      message: `${requestId} is not classified yet: say what it asks for first — give its types with the approval (derbes decisions approve ${requestId} --type <type> …, types: ${REQUEST_TYPES.join(', ')}) or classify it in the console`,
      kind: 'required',
    });
  }
  // What an approval must carry for the answer to be true: the changes a correction makes, the words a claim is answered in.
  if (approved && types.includes('rectification') && !Object.keys(input.changes ?? request.changes ?? {}).length) {
    problems.push({ field: 'changes', message: 'a correction is approved with what to change: each field and its new value, from what the person wrote', kind: 'required' });
  }
  if (approved && types.includes('claim') && !input.answer) problems.push({ field: 'answer', message: 'a claim is approved with the answer the person receives', kind: 'required' });
  if (input.fields) problems.push(...fieldErasureProblems(deps.profile, approved, types, input.fields));
  if (problems.length) throw new ValidationError(problems, 'decision');
  // The basis is checked against the request before the pending decision is taken, so a typo loses nothing.
  const basis = approved ? undefined : await resolveBasis(deps.profile.jurisdiction, types, input.basis);
  // The request exists (read above): no pending decision means another operator (or the workflow) got there first.
  const pending = await takePendingDecision(deps, request, `${requestId} is no longer waiting for a decision: it was decided or moved on meanwhile`);
  try {
    await deps.requests.amend(
      request,
      'AWAITING_DECISION',
      {
        decision: { approved, decidedAt: deps.clock.now().toISOString(), decidedBy: operatorName(actor), reason: input.reason, ...(basis && { basis }), answer: input.answer },
        // The operator's last act stands: a close as not a request whose release was refused (the wait had ended) goes.
        notARequest: undefined,
        ...(input.changes ? { changes: input.changes } : {}),
        ...(input.types ? { types: input.types } : {}),
        // Only this decision limits the erasure: one put back (the wait had ended) leaves no fields behind.
        erasureFields: input.fields && [...new Set(input.fields)],
      },
      [
        // Types given with the decision classify the request as the console's classification does, and are recorded so.
        ...(input.types && !sameTypes(input.types, request.types) ? [{ type: 'request.classified' as const, detail: { types: input.types, operator: actor } }] : []),
        { type: 'decision.made', detail: { approved, ...(basis && { ground: 'ground' in basis ? basis.ground : 'written' }), ...(input.fields && { erasedFields: [...new Set(input.fields)] }), operator: actor } },
      ],
    );
    await deps.workflow.completeTask(pending.taskToken, { approved });
  } catch (error) {
    await deps.decisions.put(pending);
    if (error instanceof WaitEndedError) throw new ConflictError(`the wait for a decision on ${requestId} has just ended; list the decisions again and decide once more`);
    throw error;
  }
  return { reference: requestId, decision: input.decision };
}

/**
 * What is wrong with limiting a decision to particular fields: only an approved erasure erases fields, only personal
 * fields of some source can be named, and a withdrawal that destroys everything (the profile's consentWithdrawal)
 * would destroy what the limit keeps.
 */
function fieldErasureProblems(profile: Dependencies['profile'], approved: boolean, types: readonly RequestType[], fields: readonly string[]): FieldProblem[] {
  if (!approved) return [{ field: 'fields', message: 'a refusal erases nothing: name fields only when approving an erasure', kind: 'choice' }];
  if (!types.includes('erasure')) return [{ field: 'fields', message: `fields name what an erasure erases: approve the request as an erasure (types: ${types.join(', ') || 'none'})`, kind: 'choice' }];
  if (types.includes('consent_withdrawal') && profile.consentWithdrawal.sources === 'erase') {
    return [{ field: 'fields', message: 'with a consent withdrawal, this profile destroys all the data (consentWithdrawal.sources: erase): approve the erasure of particular fields without consent_withdrawal', kind: 'choice' }];
  }
  return erasureFieldProblems(profile, fields);
}

const sameTypes = (a: readonly RequestType[], b: readonly RequestType[]) => a.length === b.length && a.every((type) => b.includes(type));

const notARequestSchema = onFirstUse(() =>
  z.strictObject({
    /** What the operator tells the person, in their own words; absent or empty, nothing is mailed (spam). */
    text: z.optional(z.string().check(z.trim(), z.maxLength(MAX_MESSAGE_CHARS, `at most ${MAX_MESSAGE_CHARS} characters`))),
  }),
);

/**
 * Mail nobody could classify that an operator finds to be no request (spam, a general question): recorded with the
 * operator and their words to the person, if any, and its workflow's wait for a decision released, as a decision's is;
 * the workflow then closes it (NOT_A_REQUEST) and mails those words, once (applyDecision). Only a request with no types
 * that waits for an operator: one of known types is decided (approved or refused with a basis); one whose address has
 * not confirmed its link waits for the person, and closes by itself, unconfirmed, when the link expires.
 */
export async function closeAsNotARequest(deps: Dependencies, requestId: string, input: unknown, actor: OperatorActor): Promise<{ reference: string; notARequest: true }> {
  const parsed = notARequestSchema().safeParse(input ?? {});
  if (!parsed.success) throw new ValidationError(toFieldProblems(parsed.error.issues), 'not a request');
  const text = parsed.data.text || undefined;
  const request = await deps.requests.get(requestId);
  const classified = (current: DataSubjectRequest) => {
    if (current.types.length) throw new ConflictError(`${requestId} is a request of ${current.types.join(', ')}: decide it (approve, or refuse with a basis)`);
  };
  classified(request);
  if (request.status === 'RECEIVED' || request.status === 'AWAITING_VERIFICATION') {
    throw new ConflictError(`${requestId} waits for its address to confirm the link: unconfirmed, it closes by itself when the link expires; confirmed, it waits for an operator, who may then close it as not a request`);
  }
  const pending = await takePendingDecision(deps, request, `${requestId} is no longer waiting for an operator: it was decided or moved on meanwhile`);
  try {
    await deps.requests.amend(
      requestId,
      'AWAITING_DECISION',
      // The operator's last act stands: a decision whose release was refused (the wait had ended) goes.
      { notARequest: { by: operatorName(actor), at: deps.clock.now().toISOString(), ...(text && { text }) }, decision: undefined },
      [{ type: 'request.not_a_request', detail: { messaged: text !== undefined, operator: actor } }],
      classified,
    );
    await deps.workflow.completeTask(pending.taskToken, { approved: false, notARequest: true });
  } catch (error) {
    await deps.decisions.put(pending);
    if (error instanceof WaitEndedError) throw new ConflictError(`the wait for a decision on ${requestId} has just ended; list the decisions again and close it once more`);
    throw error;
  }
  return { reference: requestId, notARequest: true };
}

/**
 * In the workflow, after the decision: move the request on, refuse it with the operator's reason and basis, or close
 * it as not a request with the operator's words, if any. A step run again (a restart) finds the request moved on; a
 * close as not a request mails what the first run did not (the sent-mail ledger sends it once).
 */
export async function applyDecision(
  deps: Pick<Dependencies, 'profile' | 'requests' | 'mailer' | 'sentMail' | 'audit' | 'clock'>,
  requestId: string,
): Promise<{ approved: boolean; notARequest?: true }> {
  const request = await deps.requests.get(requestId);
  if (request.notARequest && (request.status === 'AWAITING_DECISION' || request.status === 'NOT_A_REQUEST')) {
    const closed = request.status === 'NOT_A_REQUEST' ? request : await deps.requests.transition(requestId, 'AWAITING_DECISION', 'NOT_A_REQUEST', { closedAt: deps.clock.now().toISOString() });
    if (closed.notARequest?.text) await notifyPerson(deps, closed, 'notARequest', { message: closed.notARequest.text });
    return { approved: false, notARequest: true };
  }
  // Run again after the refusal was recorded (its mail failed, or a restart): mails what the first run did not.
  if (request.status === 'REFUSED') {
    await mailRefusal(deps, request);
    return { approved: false };
  }
  if (request.status !== 'AWAITING_DECISION') return { approved: request.status === 'IN_PROGRESS' }; // re-run after a restart
  // Released without a decision made through the operator API (a leaked token): nothing moves, nobody is told.
  if (!request.decision) throw new NotPermittedError(`request ${requestId} was released without a recorded decision`);
  const approved = request.decision.approved === true;
  if (approved) {
    await deps.requests.transition(request, 'AWAITING_DECISION', 'IN_PROGRESS');
    return { approved };
  }
  await mailRefusal(deps, await deps.requests.transition(request, 'AWAITING_DECISION', 'REFUSED', { closedAt: deps.clock.now().toISOString() }));
  return { approved };
}

/** The refusal with the operator's reason and its basis; the sent-mail ledger sends it once however often this runs. */
async function mailRefusal(deps: Pick<Dependencies, 'profile' | 'mailer' | 'sentMail' | 'audit'>, refused: DataSubjectRequest): Promise<void> {
  // A refusal is decided with a basis; one recorded without (before bases were required) cites the rule it was answered under.
  const basis = await basisText(deps.profile.jurisdiction, refused.decision?.basis, refused.language, inLanguage(refused.deadline.rule.citation, refused.language));
  await notifyPerson(deps, refused, 'refusal', { reason: refused.decision?.reason ?? '', basis });
}

/** The operator's view of a request: where it stands, when it is due, and whether that is at risk or overdue. */
export function requestView(request: DataSubjectRequest, now: Date, policy: EscalationPolicy) {
  const open = OPEN_STATUSES.includes(request.status);
  return {
    reference: request.id,
    types: request.types,
    status: request.status,
    channel: request.channel,
    language: request.language,
    receivedAt: request.receivedAt,
    dueAt: request.deadline.dueAt,
    timeZone: request.deadline.timeZone,
    rule: { id: request.deadline.rule.id, origin: request.deadline.rule.origin, citation: inLanguage(request.deadline.rule.citation, 'en'), source: inLanguage(request.deadline.rule.source, 'en'), confidence: request.deadline.rule.confidence },
    // Still owed an answer (STATUS_STANDINGS): a reader acts by it, not by a list of statuses of its own.
    open,
    ...(request.attention ? { attention: request.attention } : {}),
    // At risk or overdue only while an answer is owed: a request answered or closed is neither, whatever the date.
    ...(open ? riskFlags({ dueAt: request.deadline.dueAt, receivedAt: request.receivedAt }, now, policy) : { atRisk: false, overdue: false }),
  };
}

/** One mail of a request's correspondence with the person: in (theirs) or out (ours), oldest first. */
export type ThreadEntry =
  | {
      direction: 'in';
      at: string;
      outcome: string;
      sesMessageId: string;
      messageId?: string;
      text?: string;
      attachments: Array<{ size: number; key?: string }>;
      /** How many more attachments the mail held, in its raw mail only (neither kept nor listed). */
      moreAttachments?: number;
    }
  | { direction: 'out'; at: string; template: string; messageId: string; text?: string; by?: string };

/**
 * The correspondence as the trail records it, with the words kept: every mail received under the request (a third
 * party's included, marked by its outcome, its words only in the raw mail) and every mail sent to the person (the
 * operator's own words with who wrote them). Alerts to the operator are not part of it.
 */
export function threadOf(request: Pick<DataSubjectRequest, 'message' | 'replies' | 'operatorMessages'>, trail: readonly RecordedAuditEvent[]): ThreadEntry[] {
  const written = request.operatorMessages ?? [];
  return trail.flatMap((event): ThreadEntry[] => {
    if (event.type === 'mail.received') {
      const { outcome, sesMessageId, messageId, attachments, quarantined, moreAttachments } = event.detail;
      // The mail that made the request is the request's message; a reply's words are kept with it (a third party's are not).
      const text = outcome === 'reply' ? request.replies?.find((r) => r.sesMessageId === sesMessageId)?.text : outcome === 'request' || outcome === 'triage' ? request.message : undefined;
      return [{ direction: 'in', at: event.at, outcome, sesMessageId, ...(messageId ? { messageId } : {}), ...(text ? { text } : {}), attachments: attachments ?? quarantined ?? [], ...(moreAttachments ? { moreAttachments } : {}) }];
    }
    if (event.type === 'mail.sent') {
      const operator = written.find((m) => m.messageId === event.detail.messageId);
      return [{ direction: 'out', at: event.at, template: event.detail.template, messageId: event.detail.messageId, ...(operator ? { text: operator.text, by: operator.by } : {}) }];
    }
    return [];
  });
}

const inEveryLanguage = (text: (language: Language) => string) => Object.fromEntries(LANGUAGES.map((l) => [l, text(l)])) as Record<Language, string>;
const inEveryLanguageAsync = async (text: (language: Language) => Promise<string>) =>
  Object.fromEntries(await Promise.all(LANGUAGES.map(async (l) => [l, await text(l)]))) as Record<Language, string>;

/**
 * What an operator needs beside the request to act on it, in each language: the deadline's rule (the law's term, a
 * default or the operator's own) and whether it may be extended, the refusal grounds that fit the request, the fields a correction may change, and why a decision is
 * asked for.
 */
async function consoleContext(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest) {
  const { rule } = request.deadline;
  await loadRefusalGrounds(deps.profile.jurisdiction);
  return {
    deadlineRule: {
      origin: rule.origin,
      citation: inEveryLanguage((l) => inLanguage(rule.citation, l)),
      source: inEveryLanguage((l) => inLanguage(rule.source, l)),
      ...(rule.extension ? { extension: { citation: rule.extension.citation } } : {}),
      ...(rule.appliedExtension ? { applied: { originalDueAt: rule.appliedExtension.originalDueAt, citation: rule.appliedExtension.citation } } : {}),
    },
    refusalGrounds: refusalGrounds(deps.profile.jurisdiction, request.types).map(({ id, text, citation }) => ({ id, text, citation })),
    correctable: [...correctableFields(deps.profile).values()].map(({ field, type, label }) => ({ field, type, label: inEveryLanguage((l) => localize(label, l)) })),
    // The fields an erasure may be limited to (the console's checkboxes): each source's personal fields.
    erasable: [...erasableFields(deps.profile).values()].map(({ field, label }) => ({ field, label: inEveryLanguage((l) => (label ? localize(label, l) : field)) })),
    // What the trail names by id — a source, a processor, a purpose — as the profile calls it in each language.
    names: {
      sources: Object.fromEntries(deps.profile.sources.map((source) => [source.id, inEveryLanguage((l) => localize(source.description, l))])),
      processors: Object.fromEntries(deps.profile.processors.map((processor) => [processor.id, inEveryLanguage((l) => localize(processor.name, l))])),
      purposes: Object.fromEntries(deps.profile.purposes.map((purpose) => [purpose.id, inEveryLanguage((l) => localize(purpose.description, l))])),
    },
    ...(request.status === 'AWAITING_DECISION' ? { review: await inEveryLanguageAsync(async (l) => (await describeReasons(reviewReasons(deps, request), l)).join('; ')) } : {}),
  };
}

/**
 * One request as the operator reads it: where it stands, who asked (address, name, language, channel, whether the
 * address is confirmed), their words and asked changes, the decision, the correspondence and the whole trail.
 */
export async function requestDetail(deps: Pick<Dependencies, 'requests' | 'audit' | 'clock' | 'profile'>, requestId: string) {
  const request = await deps.requests.get(requestId);
  const audit = await deps.audit.list(request.id);
  return {
    ...requestView(request, deps.clock.now(), deps.profile.escalation),
    email: request.email,
    ...(request.name ? { name: request.name } : {}),
    verified: request.verifiedAt !== undefined,
    ...(request.verifiedAt ? { verifiedAt: request.verifiedAt } : {}),
    ...(request.message ? { message: request.message } : {}),
    ...(request.firstMail ? { subject: request.firstMail.subject } : {}),
    ...(request.changes ? { changes: request.changes } : {}),
    ...(request.erasureFields ? { erasureFields: request.erasureFields } : {}),
    ...(request.decision ? { decision: request.decision } : {}),
    ...(request.notARequest ? { notARequest: request.notARequest } : {}),
    ...(request.legalHold ? { legalHold: request.legalHold } : {}),
    ...(request.entry ? { entry: request.entry } : {}),
    ...(request.admitted ? { admitted: request.admitted } : {}),
    notes: request.notes ?? [],
    ...(await consoleContext(deps, request)),
    thread: threadOf(request, audit),
    /** Files the person attached on the web form (mail attachments are with their mail in the thread). */
    formAttachments: eventsOfType(audit, 'form.attachments').flatMap((e) => e.detail.attachments),
    // Why a decision was asked for, in each language, where the event says what the reasons were.
    audit: await Promise.all(
      audit.map(async (event) =>
        event.type === 'decision.requested' && event.detail.kinds ? { ...event, described: await inEveryLanguageAsync(async (l) => (await describeReasons(event.detail.kinds!, l)).join('; ')) } : event,
      ),
    ),
  };
}

const operatorTextSchema = onFirstUse(() => z.string().check(z.trim(), z.minLength(1, 'write what the person should read'), z.maxLength(MAX_MESSAGE_CHARS, `at most ${MAX_MESSAGE_CHARS} characters`)));

/**
 * The operator writes to the person about their request, in their words, inside the notice of the person's language
 * (greeting, reference, how to answer), threaded under the person's mail where the request came by mail. Only to an
 * address that confirmed: before that, the address may not be the person's. A retry with the same idempotency key
 * (a double click, a repeated call) is one mail; without a key every call is a mail of its own, so the same words
 * may be written twice on purpose. The words are kept with the request for other operators to read, and the trail
 * names the operator. What tells the mails apart is a keyed hash of the key, never of the words.
 */
export async function writeToPerson(deps: Dependencies, requestId: string, rawText: unknown, actor: OperatorActor, idempotencyKey?: string): Promise<{ reference: string; messageId: string }> {
  const text = operatorTextSchema().safeParse(rawText);
  if (!text.success) throw new ValidationError(toFieldProblems(text.error.issues.map((i) => ({ ...i, path: ['text'] }))), 'message');
  const request = await deps.requests.get(requestId);
  if (!request.verifiedAt) throw new ConflictError(`the address of ${requestId} has not confirmed the request: derbes writes to it only once it has`);
  const written = request.operatorMessages ?? [];
  if (written.length >= MAX_OPERATOR_MESSAGES) throw new ConflictError(`${requestId} has ${MAX_OPERATOR_MESSAGES} messages from operators, the most one request keeps; write from your own mailbox and note it`);
  const round = (await deps.keyedHash('operator-message', `${requestId}\n${idempotencyKey ?? randomUUID()}`)).slice(0, 32);
  const messageId = await notifyPerson(deps, request, 'operatorMessage', { message: text.data }, round);
  // The mail is out: its words are kept with the request whatever step the workflow took while it went, read afresh.
  const message: OperatorMessage = { at: deps.clock.now().toISOString(), messageId, by: operatorName(actor), text: text.data };
  const current = await deps.requests.get(requestId);
  if (!(current.operatorMessages ?? []).some((m) => m.messageId === messageId)) {
    await amendAsItStands(
      deps.requests,
      current,
      (now) => ((now.operatorMessages ?? []).some((m) => m.messageId === messageId) ? {} : { operatorMessages: [...(now.operatorMessages ?? []), message] }),
      [{ type: 'operator.wrote', detail: { messageId, operator: actor } }],
    );
  }
  // Writing back to a person who wrote after the answer is what their mail was left open for.
  if (!OPEN_STATUSES.includes(current.status)) await deps.openWork.remove(requestId, REPLY_WORK_ID);
  return { reference: requestId, messageId };
}

/**
 * Extends a request's due date where its rule allows (GDPR, RU, CCPA; not Law 94-V): the person gets a reasoned
 * notice with the new date now — before the original one — and the extension is an audit event.
 */
export async function extendDeadline(deps: Dependencies, requestId: string, rawReason: unknown, actor: OperatorActor) {
  const reason = z.string().check(z.trim(), z.minLength(1, 'an extension needs a reason the person can read'), z.maxLength(4000)).safeParse(rawReason);
  if (!reason.success) throw new ValidationError(toFieldProblems(reason.error.issues.map((i) => ({ ...i, path: ['reason'] }))), 'extension');
  const request = await deps.requests.get(requestId);
  // Checked on every read the write is based on: the request stays extendable while it is open, whichever step the
  // workflow moved it to meanwhile; one that closed, or that another operator extended meanwhile, is refused.
  const extendable = (current: DataSubjectRequest) => {
    if (!OPEN_STATUSES.includes(current.status)) throw new ConflictError(`request ${requestId} is closed (${current.status})`);
    if (current.deadline.dueAt !== request.deadline.dueAt) throw new ConflictError(`the due date of ${requestId} was changed meanwhile (now ${current.deadline.dueAt}); read it again`);
  };
  extendable(request);
  await deps.deadlines.load([request.deadline.rule.jurisdiction]); // the one it was received under
  const extended = deps.deadlines.extend(request.deadline, deps.clock.now());
  const citation = extended.rule.appliedExtension!.citation;
  const updated = await amendAsItStands(
    deps.requests,
    request,
    { deadline: extended, extensionReason: reason.data },
    [{ type: 'deadline.extended', detail: { from: request.deadline.dueAt, to: extended.dueAt, citation: citation.en, operator: actor } }],
    extendable,
  );
  await notifyPerson(deps, updated, 'extension', { reason: reason.data, rule: citation[updated.language] });
  return requestView(updated, deps.clock.now(), deps.profile.escalation);
}
