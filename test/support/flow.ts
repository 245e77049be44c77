import { readFileSync } from 'node:fs';
import { parseProfile } from '../../functions/config/load-profile.ts';
import type { DataSubjectRequest, RequestStatus } from '../../functions/domain/request.ts';
import { REQUEST_TYPES, type Language, type RequestType } from '../../functions/domain/request-types.ts';
import { notifyAndAnswer } from '../../functions/use-cases/answer.ts';
import { withdrawForRequest } from '../../functions/use-cases/consent.ts';
import { applyToSource } from '../../functions/use-cases/fulfilment.ts';
import type { OutgoingMail } from '../../functions/use-cases/ports.ts';
import { deadlineFor } from '../../functions/use-cases/submit-request.ts';
import { applyDecision, decide, type DecisionInput } from '../../functions/use-cases/operator.ts';
import { planFulfilment, requestDecision } from '../../functions/use-cases/workflow-steps.ts';
import { memorySystem, type MemorySystem } from './memory-deps.ts';

/**
 * Requests placed straight into the in-memory ports, at the status a use-case test starts from, and the shipped
 * profiles changed for a case they do not show. The use cases under test then run against them.
 */

/** Tuesday 10 February 2026, 10:15 in Astana: no holiday near, so every due date is an ordinary one. */
export const NOW = new Date('2026-02-10T05:15:00Z');
/** The operator's API key, as the operator API names whoever decided. */
/** A person signed in to the console (the use cases record whoever acts, person or machine key, the same way). */
export const OPERATOR = { kind: 'person', sub: '3f0c9a52-7d1e-4c1b-9a34-5b2d8e6f1a07', email: 'aigerim.operator@demo.kz' } as const;

/** A breach as the operator records it: detected the morning of NOW, in Astana. */
export const BREACH_INPUT = {
  detectedAt: '2026-02-10T09:00:00+05:00',
  description: 'Открытая ссылка на резервную копию клиентской базы',
  dataCategories: ['ФИО', 'телефон'],
  systems: ['CRM'],
  measuresTaken: 'Ссылка отключена',
  responsible: { name: 'Ержан', email: 'security@derbes.local' },
};

/** A shipped profile with its demo data, optionally changed (a review policy, a jurisdiction) and parsed again. */
export function systemFor(
  profile: string,
  options: { now?: Date; webhook?: 'delivered' | 'fails'; adjust?: (json: Record<string, unknown>) => Record<string, unknown> } = {},
): MemorySystem {
  const now = options.now ?? NOW;
  if (!options.adjust) return memorySystem(profile, { now, webhook: options.webhook });
  const json = options.adjust(JSON.parse(readFileSync(profile, 'utf8')) as Record<string, unknown>);
  const data = JSON.parse(readFileSync(profile.replace(/\.json$/, '.data.json'), 'utf8')) as Record<string, Array<Record<string, unknown>>>;
  return memorySystem(parseProfile(json, profile), { now, data, webhook: options.webhook });
}

let serial = 0;

/** A fresh, well-formed reference (the alphabet is Crockford's base32: digits only here). */
export function nextReference(): string {
  serial++;
  return `DRB-${String(Math.floor(serial / 100000)).padStart(5, '0')}-${String(serial % 100000).padStart(5, '0')}`;
}

/**
 * A request as intake persists it, moved to `status` the way the workflow moves it (receipt and verification are
 * recorded as transitions, without their mails); the mails it took to get there are not kept.
 */
export async function placeRequest(
  s: MemorySystem,
  types: RequestType[],
  options: { email?: string; name?: string; language?: Language; status?: Extract<RequestStatus, 'RECEIVED' | 'AWAITING_VERIFICATION' | 'IN_PROGRESS'>; changes?: Record<string, string>; channel?: DataSubjectRequest['channel']; message?: string } = {},
): Promise<DataSubjectRequest> {
  const receivedAt = s.deps.clock.now();
  const email = options.email ?? 'aigerim@example.kz';
  const request: DataSubjectRequest = {
    id: nextReference(),
    types,
    status: 'RECEIVED',
    channel: options.channel ?? 'web',
    email,
    personKey: await s.deps.personKey(email),
    ...(options.name ? { name: options.name } : {}),
    language: options.language ?? 'en',
    receivedAt: receivedAt.toISOString(),
    deadline: deadlineFor(s.deps, types.length ? types : REQUEST_TYPES, receivedAt),
    ...(options.changes ? { changes: options.changes } : {}),
    ...(options.message ? { message: options.message } : {}),
  };
  await s.deps.requests.create(request, { type: 'request.received', detail: { channel: request.channel, types, dueAt: request.deadline.dueAt, ruleId: request.deadline.rule.id } });
  const status = options.status ?? 'IN_PROGRESS';
  if (status !== 'RECEIVED') await s.deps.requests.transition(request.id, 'RECEIVED', 'AWAITING_VERIFICATION');
  if (status === 'IN_PROGRESS') await s.deps.requests.transition(request.id, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt: receivedAt.toISOString() }, [{ type: 'verification.confirmed', detail: {} }]);
  return s.deps.requests.get(request.id);
}

/** Mails to the person of the request, and to the operator's contact. */
export function mailsTo(s: MemorySystem, to: string): OutgoingMail[] {
  return s.mailer.sent.filter((mail) => mail.to === to);
}

export function operatorMails(s: MemorySystem): OutgoingMail[] {
  return mailsTo(s, s.deps.profile.operator.contactEmail);
}

/** The audit trail of a request, event types in order. */
export async function auditTypes(s: MemorySystem, id: string): Promise<string[]> {
  return (await s.deps.audit.list(id)).map((event) => event.type);
}

/**
 * The state machine's steps after verification: the plan, the operator's decision where one is needed (approve unless
 * `decision` says otherwise), consent, each planned source (a source that keeps failing is left, as the workflow's Map
 * leaves it), processors, and the answer. Returns the last mail the person got (the answer, or the refusal).
 */
export async function runToAnswer(s: MemorySystem, id: string, decision: DecisionInput = { decision: 'approve' }): Promise<string> {
  const plan = await planFulfilment(s.deps, id);
  if (plan.needsDecision) {
    await requestDecision(s.deps, id, `task-${id}`);
    await decide(s.deps, id, decision, OPERATOR);
    if (!(await applyDecision(s.deps, id)).approved) return lastMailTo(s, id);
  }
  await withdrawForRequest(s.deps, id);
  for (const sourceId of plan.sourceIds ?? []) await applyToSource(s.deps, id, sourceId).catch(() => undefined);
  await notifyAndAnswer(s.deps, id, aMinuteOn(s));
  return lastMailTo(s, id);
}

/** When an invocation that starts now stops, for a function with a minute's time-out (the Answer step's). */
export function aMinuteOn(s: Pick<MemorySystem, 'deps'>): Date {
  return new Date(s.deps.clock.now().getTime() + 60_000);
}

async function lastMailTo(s: MemorySystem, id: string): Promise<string> {
  const request = await s.deps.requests.get(id);
  return mailsTo(s, request.email).at(-1)!.text;
}

/** `change` runs right after the `nth` read of the request: between a use case's read and its write. */
export function afterRead(s: MemorySystem, requestId: string, change: (read: DataSubjectRequest) => Promise<unknown>, nth = 1): void {
  const get = s.deps.requests.get.bind(s.deps.requests);
  let reads = 0;
  s.deps.requests.get = async (id) => {
    const read = await get(id);
    if (id === requestId && ++reads === nth) await change(read);
    return read;
  };
}

/** The workflow moves the request to `to` right after the `nth` read of it: between an operator's read and write. */
export function movesAfterRead(s: MemorySystem, requestId: string, to: RequestStatus, nth = 1): void {
  afterRead(s, requestId, (read) => s.deps.requests.transition(requestId, read.status, to), nth);
}
