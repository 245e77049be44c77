import * as z from '../domain/schema.ts';
import { riskFlags } from '../domain/deadlines/index.ts';
import { NotFoundError, ValidationError, toFieldProblems } from '../domain/errors.ts';
import { OPEN_STATUSES, REFERENCE_PATTERN, unansweredReplies, type DataSubjectRequest } from '../domain/request.ts';
import type { Dependencies } from './dependencies.ts';
import { requestView } from './operator.ts';
import { onFirstUse } from '../domain/on-first-use.ts';
import { heldSince } from '../domain/held-mail.ts';

/** What an operator looks for first; each is a filter of the inbox with its count. */
export const INBOX_FILTERS = ['overdue', 'atRisk', 'needsDecision', 'needsClassification', 'failure', 'newReply'] as const;
export type InboxFilter = (typeof INBOX_FILTERS)[number];

/** How many requests one page of the inbox lists; the answer says how many there are and which page it is. */
export const INBOX_PAGE_SIZE = 100;

/** The inbox's query: one filter, or a search by reference or address (`q`); `page` (from 1) of what it lists. */
export const inboxQuerySchema = onFirstUse(() =>
  z.strictObject({
    filter: z.optional(z.enum(INBOX_FILTERS)),
    q: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(254))),
    page: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100_000)), 1),
  }),
);
export type InboxQuery = z.infer<ReturnType<typeof inboxQuerySchema>>;

/**
 * The person wrote after the last word from an operator: their latest kept reply is later than the latest message an
 * operator wrote and than the decision. (Replies past the kept ones are only in the trail, and are not counted.)
 */
function hasNewReply(request: DataSubjectRequest): boolean {
  return unansweredReplies(request).length > 0;
}

/**
 * Which of the inbox's filters a request falls under: an open one by its due date, step and replies; an answered one
 * only as a new reply, while the person's mail after the answer is open work (`replyOpen`) or newer than the last word.
 */
export function inboxFlags(request: DataSubjectRequest, now: Date, policy: Dependencies['profile']['escalation'], replyOpen = false): Set<InboxFilter> {
  const flags = new Set<InboxFilter>();
  if (!OPEN_STATUSES.includes(request.status)) return replyOpen || hasNewReply(request) ? new Set(['newReply']) : flags;
  const risk = riskFlags({ dueAt: request.deadline.dueAt, receivedAt: request.receivedAt }, now, policy);
  if (risk.overdue) flags.add('overdue');
  else if (risk.atRisk) flags.add('atRisk');
  if (request.status === 'AWAITING_DECISION') flags.add(request.types.length ? 'needsDecision' : 'needsClassification');
  else if (!request.types.length) flags.add('needsClassification');
  if (request.attention) flags.add('failure');
  if (hasNewReply(request)) flags.add('newReply');
  return flags;
}

/** An e-mail address as a search for a person's requests (else a reference is expected). */
const looksLikeAddress = (q: string) => /^[^\s@]+@[^\s@]+$/.test(q);

/**
 * The operator's inbox: open requests by due date, then answered ones the person wrote to again (all of them, or one
 * filter's), each with the filters it falls under; every filter's count, the open requests' (`open`), and `all`,
 * what the unfiltered list holds — the open requests and the answered ones with a new reply. A search (`q`) finds a reference, or every request of an
 * address — open or closed — through the person index by the address's keyed hash, never by reading every request.
 * `heldMail`: how many mails intake held wait on the operator's list to be admitted or dismissed.
 */
export async function inbox(deps: Pick<Dependencies, 'requests' | 'clock' | 'profile' | 'personKey' | 'openWork' | 'heldMail'>, rawQuery: unknown) {
  const parsed = inboxQuerySchema().safeParse(rawQuery ?? {});
  if (!parsed.success) throw new ValidationError(toFieldProblems(parsed.error.issues), 'inbox');
  const query = parsed.data;
  const now = deps.clock.now();
  // Answered requests the person wrote to again (receiveEmail leaves their mail to the operator as open work).
  const repliedAfterAnswer = new Set((await deps.openWork.list()).filter((w) => w.kind === 'reply').map((w) => w.requestId));
  const view = (request: DataSubjectRequest) => ({
    ...requestView(request, now, deps.profile.escalation),
    email: request.email,
    ...(request.name ? { name: request.name } : {}),
    flags: [...inboxFlags(request, now, deps.profile.escalation, repliedAfterAnswer.has(request.id))],
  });
  const counts = Object.fromEntries([['all', 0], ['open', 0], ...INBOX_FILTERS.map((f) => [f, 0])]) as Record<InboxFilter | 'all' | 'open', number>;
  const listed: DataSubjectRequest[] = [];
  for await (const request of deps.requests.eachOpen()) {
    counts.open++;
    counts.all++;
    repliedAfterAnswer.delete(request.id); // open: counted here, by its replies
    const flags = inboxFlags(request, now, deps.profile.escalation);
    for (const flag of flags) counts[flag]++;
    if (!query.q && (!query.filter || flags.has(query.filter))) listed.push(request);
  }
  // Each a new reply, listed after the open requests (unfiltered, or as new replies): counted in all, not as open.
  for (const requestId of repliedAfterAnswer) {
    const request = await deps.requests.get(requestId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined; // erased meanwhile
      throw error;
    });
    if (!request) continue;
    counts.newReply++;
    counts.all++;
    if (!query.q && (!query.filter || query.filter === 'newReply')) listed.push(request);
  }
  if (query.q) listed.push(...(await search(deps, query.q)));
  // Pages by position in the list as it stands at each call (the counts above need every open request read anyway):
  // a request that closes meanwhile moves the later ones up by one, which the next reading shows.
  const pages = Math.max(1, Math.ceil(listed.length / INBOX_PAGE_SIZE));
  const page = Math.min(query.page, pages);
  return {
    counts,
    heldMail: await deps.heldMail.count(heldSince(now)),
    ...(query.filter && !query.q ? { filter: query.filter } : {}),
    total: listed.length,
    page,
    pages,
    requests: listed.slice((page - 1) * INBOX_PAGE_SIZE, page * INBOX_PAGE_SIZE).map(view),
  };
}

async function search(deps: Pick<Dependencies, 'requests' | 'personKey'>, q: string): Promise<DataSubjectRequest[]> {
  const reference = q.toUpperCase();
  if (new RegExp(`^${REFERENCE_PATTERN.source}$`).test(reference)) {
    try {
      return [await deps.requests.get(reference)];
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
  }
  if (looksLikeAddress(q)) return deps.requests.findByPerson(await deps.personKey(q.toLowerCase()));
  throw new ValidationError([{ field: 'q', message: 'search by a reference (DRB-XXXXX-XXXXX) or an e-mail address' }], 'inbox');
}
