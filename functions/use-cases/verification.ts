import { eventsOfType, type AuditEvent, type RecordedAuditEvent, type WithheldReason } from '../domain/audit.ts';
import { mailboxOf } from '../domain/email/address.ts';
import { budgetDomainOf } from '../domain/email/mail-domains.ts';
import { ConflictError } from '../domain/errors.ts';
import { loadMessages, type MailTemplate } from '../domain/messages.ts';
import { isEnteredChannel, type Channel, type DataSubjectRequest } from '../domain/request.ts';
import { releaseVerificationWait } from './confirm-verification.ts';
import { beginsOnConfirmation } from './fulfilment-plan.ts';
import type { Dependencies } from './dependencies.ts';
import { alertOperator, notifyPerson, notifyPersonIfAdmitted } from './notify.ts';
import { MAX_WAITING_PER_LINK, type ExecutionStart, type HourlyPool, type MailKey, type Verification } from './ports.ts';
import { executionStart } from './start-workflow.ts';
import { LEFT_UNTICKED } from '../domain/workflow-steps.ts';

/** A link still being mailed by its request's step is joined, not replaced — unless that step died this long ago. */
const MAILING_GRACE_MS = 2 * 60_000;
/** A later request joins a mailed link only if it still lives this long (or as long as its own would). */
const JOIN_MIN_LIFETIME_MS = 60 * 60_000;
const ATTEMPTS = 5;

/** Whether a request made now would join this link (and so needs no mail of its own): a full link takes no one else. */
function joinable(current: Verification, ownExpiry: Date, now: Date): boolean {
  const enough = Math.min(ownExpiry.getTime(), now.getTime() + JOIN_MIN_LIFETIME_MS);
  return Boolean(current.mailedAt) && !current.confirmedAt && !current.supersededAt && current.waiting.length < MAX_WAITING_PER_LINK && Date.parse(current.expiresAt) >= enough;
}

/**
 * What a request does about the address's current link: join it, or make a new one — taking over the requests that
 * wait on a link whose mail was withheld (its code was never sent, so it is closed), or copying those of a link whose
 * step died while mailing it (its mail may have gone out, so it stays valid beside the new one) — or, the address's
 * links being full, `hold`: wait with no link and no mail for the address's next one.
 */
type Choice = { kind: 'join' } | { kind: 'hold' } | { kind: 'new'; carry: 'none' | 'take' | 'copy'; overflow?: true };

function choose(current: Verification | undefined, requestId: string, ownExpiry: Date, now: Date, windowMs: number): Choice {
  if (!current || current.confirmedAt || current.supersededAt || Date.parse(current.expiresAt) <= now.getTime()) return { kind: 'new', carry: 'none' };
  // A link whose mail was withheld is taken over by a request it has room for — one of its own (its receipt mailed
  // again) always: else a full one would hold its requests, and they would never get a link.
  const full = current.waiting.length >= MAX_WAITING_PER_LINK;
  if (current.withheldAt && (!full || current.waiting.includes(requestId))) return { kind: 'new', carry: 'take' };
  // A full link takes no one else. It opens one link more (mailed within the address's budget), once in the budget's
  // window: else a stranger's flood would mail the person a link for every hundred requests, each listing only theirs,
  // until the budget were spent and the person's own request withheld. Beyond that — or past a full link whose mail
  // was withheld — requests wait for the address's next link (see retryWithheldReceipt).
  if (full) {
    const overflowed = current.overflowAt !== undefined && Date.parse(current.overflowAt) > now.getTime() - windowMs;
    return overflowed || current.withheldAt ? { kind: 'hold' } : { kind: 'new', carry: 'none', overflow: true };
  }
  if (current.mailedAt) return joinable(current, ownExpiry, now) ? { kind: 'join' } : { kind: 'new', carry: 'none' };
  // Still being mailed by another request's step: join it. Made by this request's own earlier run, or by a step that
  // died mailing it: its code is gone with that run, so a new link (and mail) is needed.
  const beingMailed = current.owner !== requestId && now.getTime() - Date.parse(current.createdAt) < MAILING_GRACE_MS;
  return beingMailed ? { kind: 'join' } : { kind: 'new', carry: 'copy' };
}

/** The address's budget window, which also bounds how often a full link opens another (see choose). */
const windowMsOf = (deps: Pick<Dependencies, 'profile'>) => deps.profile.limits.recipientMails.windowHours * 3_600_000;

/**
 * The receipt a request gets: one the operator entered says how the person made it, not "sent in the name of this
 * address"; mail nobody could classify says a person reads it — and mail asking to delete particular data, that a
 * person reads it before anything is destroyed.
 */
const receiptTemplate = (request: DataSubjectRequest): MailTemplate =>
  request.entry ? 'receiptEnteredLink' : request.types.length ? 'receipt' : request.particularData ? 'receiptParticular' : 'receiptUnclear';

/**
 * The request waits for verification from now on: RECEIVED → AWAITING_VERIFICATION (found moved already when the step
 * runs again). A request entered by an operator who checked the person's identity needs no link: its receipt
 * (reference, due date) goes out here — once, however often the step runs — to the address the person gave the
 * operator, confirmed from entry, so in the words any confirmed address gets, naming how the person made it (an
 * entered request's channel is always phone, post or in person). Returns the request as it now stands.
 */
async function enterVerification(deps: Dependencies, request: DataSubjectRequest): Promise<DataSubjectRequest> {
  if (request.entry?.identity === 'attested' && request.verifiedAt !== undefined && isEnteredChannel(request.channel)) {
    await notifyPerson(deps, request, 'receiptEntered', { channel: (await loadMessages(request.language)).enteredChannelName(request.channel) });
  }
  return (await awaitingVerification(deps, request)).request;
}

/**
 * RECEIVED → AWAITING_VERIFICATION, with `also` in the same write; found moved already (a re-run), `also` is recorded
 * in a write that holds only while the request still waits. `overtaken`: CloseUnverified moved it first (at a short
 * timeout) or closed it, so the wait is over and `also` is not recorded. A write that lost a race while the request
 * stayed where it was (an operator's note, the trail's head) is thrown: the step's retries run it again, then the
 * operator hears of it.
 */
async function awaitingVerification(
  deps: Pick<Dependencies, 'requests' | 'audit'>,
  request: DataSubjectRequest,
  also: AuditEvent[] = [],
): Promise<{ request: DataSubjectRequest; overtaken: boolean }> {
  if (request.status !== 'RECEIVED' && !also.length) return { request, overtaken: false };
  return writtenOrOvertaken(deps, request, () =>
    request.status === 'RECEIVED'
      ? deps.requests.transition(request, 'RECEIVED', 'AWAITING_VERIFICATION', {}, also)
      : deps.requests.amend(request, 'AWAITING_VERIFICATION', {}, also),
  );
}

/** AWAITING_VERIFICATION → IN_PROGRESS; found moved meanwhile (a PlanFulfilment after a short wait), as it stands. */
async function begin(deps: Pick<Dependencies, 'requests'>, request: DataSubjectRequest): Promise<DataSubjectRequest> {
  return (await writtenOrOvertaken(deps, request, () => deps.requests.transition(request, 'AWAITING_VERIFICATION', 'IN_PROGRESS'))).request;
}

/**
 * The request as `write` leaves it; where the write lost to a writer that moved the request first, the request as
 * that writer left it (`overtaken`). A write lost while the request stayed where it was is thrown.
 */
async function writtenOrOvertaken(
  deps: Pick<Dependencies, 'requests'>,
  request: DataSubjectRequest,
  write: () => Promise<DataSubjectRequest>,
): Promise<{ request: DataSubjectRequest; overtaken: boolean }> {
  try {
    return { request: await write(), overtaken: false };
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const now = await deps.requests.get(request.id);
    if (now.status === request.status) throw error;
    return { request: now, overtaken: true };
  }
}

/**
 * The first step of executions started before the verification step moved the request itself (Step Functions runs
 * an execution on the definition it started with): it does what the verification step now does first, and says how
 * long the wait may last, as startWorkflow now puts in the input. Only such executions run it.
 */
export async function acknowledge(deps: Dependencies, requestId: string): Promise<ExecutionStart> {
  const request = await enterVerification(deps, await deps.requests.get(requestId));
  return executionStart(deps, request);
}

/**
 * The verification step (a callback task), where every execution starts: the request moves to wait for
 * verification (see enterVerification) and waits on the address's current confirmation link if it has one, and
 * the person gets no second mail; otherwise a new link is made and mailed — one mail that is both the receipt and
 * the link, in fixed words, within the address's mail budget. `newCode` makes a code and its hash. `expiresAt` and
 * the wait's timeout were computed as the execution started (startWorkflow).
 * A request whose identity is confirmed already — attested by the operator who entered it, or its link confirmed
 * before this step ran again — mails no link and ends its own wait at once: every request takes this one path,
 * with no choice before it (a state transition each).
 * The move is made before the request joins a link (whoever confirms it then finds the request waiting), and for a
 * new link after it is made, together with its `verification.requested` event: nobody has its code before the mail.
 */
export async function requestVerification(
  deps: Dependencies,
  requestId: string,
  taskToken: string,
  expiresAt: Date,
  newCode: () => { code: string; codeHash: string },
): Promise<void> {
  // The token is kept per request, so whichever link is confirmed releases the wait that is current then. Kept before
  // the request is read: a link confirmed before the read shows here as verifiedAt, one confirmed after it finds this
  // token to release.
  await deps.verifications.putTask(requestId, taskToken, expiresAt.toISOString());
  let request = await deps.requests.get(requestId);
  if (request.verifiedAt) {
    request = await enterVerification(deps, request);
    // Confirmed by the operator who entered it, it begins now as a request confirmed by its link does (see
    // confirmVerification); confirmed by its link before this step could wait, it may have begun then.
    if (request.status === 'AWAITING_VERIFICATION' && beginsOnConfirmation(deps, request)) request = await begin(deps, request);
    if (request.status === 'AWAITING_VERIFICATION' || request.status === 'IN_PROGRESS') await releaseVerificationWait(deps, taskToken, request);
    return;
  }
  // Left unticked on a used link while its execution ran on a definition that does not catch LEFT_UNTICKED (started
  // before it did): the failure went to the operator, who resumed it here. It closes as the press meant, with no mail
  // and no new link; the wait then runs out, and CloseUnverified finds it closed. (A new request is still RECEIVED.)
  if (request.status === 'AWAITING_VERIFICATION' && (await deps.audit.appendedOnce(requestId, LEFT_UNTICKED))) {
    await closeUnverified(deps, requestId);
    return;
  }
  if (request.status !== 'RECEIVED' && request.status !== 'AWAITING_VERIFICATION') return;
  await mailLink(deps, request, await deps.personKey(request.email), expiresAt, newCode, 1);
}

/**
 * Joins the address's current link, or makes a new one and mails it (see requestVerification); `round` tells a
 * receipt mailed again (retryWithheldReceipt) from the first. True when it mailed a link.
 */
async function mailLink(
  deps: Dependencies,
  request: DataSubjectRequest,
  recipientKey: string,
  expiresAt: Date,
  newCode: () => { code: string; codeHash: string },
  round: MailKey['round'],
): Promise<boolean> {
  const requestId = request.id;
  // Requests taken over from a link that can no longer be mailed travel with this one until they find a link.
  let waiting = [requestId];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const now = deps.clock.now();
    const pointer = await deps.verifications.current(recipientKey);
    const current = pointer?.verification;
    const choice = choose(current, requestId, expiresAt, now, windowMsOf(deps));
    if (choice.kind === 'hold') {
      // Recorded as a link asked for whose mail was withheld: the request waits with no link until the address's next
      // link takes it (retryWithheldReceipt), or its wait runs out and it closes with no mail (not_mailed_before).
      await awaitingVerification(deps, request, [
        { type: 'verification.requested', detail: { expiresAt: expiresAt.toISOString(), joined: false } },
        { type: 'mail.withheld', detail: { template: receiptTemplate(request), reason: 'link_full' satisfies WithheldReason, ...roundOf(round) } },
      ]);
      return false;
    }
    if (choice.kind === 'join') {
      request = (await awaitingVerification(deps, request)).request;
      if (await deps.verifications.join(current!.codeHash, waiting, now)) {
        await deps.audit.append(requestId, { type: 'verification.requested', detail: { expiresAt: current!.expiresAt, joined: true } });
        return false;
      }
      continue;
    }
    if (choice.carry === 'take') {
      const taken = await deps.verifications.supersede(current!.codeHash, now);
      if (!taken) continue; // changed meanwhile: think again
      waiting = [...new Set([...taken.waiting, ...waiting])];
    } else if (choice.carry === 'copy') {
      waiting = [...new Set([...current!.waiting, ...waiting])];
    }
    const { code, codeHash } = newCode();
    const verification: Verification = {
      codeHash,
      recipientKey,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
      owner: requestId,
      waiting,
      ...(choice.overflow ? { overflowAt: now.toISOString() } : {}),
    };
    if (!(await deps.verifications.open(verification, pointer?.codeHash))) continue;
    const moved = await awaitingVerification(deps, request, [{ type: 'verification.requested', detail: { expiresAt: verification.expiresAt, joined: false } }]);
    request = moved.request;
    const template = receiptTemplate(request);
    // The wait ended meanwhile (CloseUnverified moved or closed the request): a link now could confirm nothing.
    if (moved.overtaken || request.status !== 'AWAITING_VERIFICATION') {
      await deps.verifications.markWithheld(codeHash, deps.clock.now());
      await deps.audit.append(requestId, { type: 'mail.withheld', detail: { template, reason: 'wait_over' satisfies WithheldReason, ...roundOf(round) } });
      return false;
    }
    // The page behind the link speaks the request's language.
    const link = `${deps.publicUrl}/verify?code=${encodeURIComponent(code)}&lang=${request.language}`;
    const messages = await loadMessages(request.language);
    const sent = await mailUnverified(deps, request, template, recipientKey, {
      link,
      expiresAt: messages.date(verification.expiresAt, request.deadline.timeZone),
      ...(isEnteredChannel(request.channel) ? { channel: messages.enteredChannelName(request.channel) } : {}),
    }, round);
    if (sent) await deps.verifications.markMailed(codeHash, deps.clock.now());
    else await deps.verifications.markWithheld(codeHash, deps.clock.now());
    return sent;
  }
  throw new ConflictError(`the confirmation link of request ${requestId} kept changing under other requests for the same address`);
}

/**
 * Mail to an address that has not confirmed a link, in fixed words only: sent if the address's own budget and then
 * the hour's budget (all addresses) allow, else withheld and recorded. The address's budget comes first, so a flood
 * aimed at one address does not use up everyone's hour. The operator hears once an hour when that runs out.
 * A mail is charged once: the attempt that first claims it spends the budgets, and a step run again after its send
 * failed (a relay deferring it, greylisting) sends it under that claim without spending them again — else a few
 * deferrals would use up the address's budget and withhold the very mail they delayed. A refusal stands.
 */
async function mailUnverified(
  deps: Dependencies,
  request: DataSubjectRequest,
  template: MailTemplate,
  recipientKey: string,
  values: Record<string, string>,
  round: MailKey['round'] = 1,
): Promise<boolean> {
  return notifyPersonIfAdmitted(deps, request, template, values, round, async (first) => {
    if (!first) return !(await refusedBefore(deps, request.id, template, round));
    const hour = hourlyPool(deps.profile.limits, request.channel);
    const budget = await spendBudgets(deps, request.email, recipientKey, hour, round !== 1);
    if (!budget.refused) return true;
    // Recorded before the operator is alerted: an alert that fails makes the step run again, and the refusal stands.
    await deps.audit.append(request.id, { type: 'mail.withheld', detail: { template, reason: budget.refused, ...roundOf(round) } });
    if (budget.alert) {
      const pool = (await loadMessages(deps.profile.defaultLanguage)).hourlyPool(hour.pool);
      await alertOperator(deps, request, 'mailBudgetReached', { max: String(hour.max), pool });
    }
    return false;
  });
}

/**
 * A reply from the person to the receipt of a request that still waits for its link: replying confirms nothing, and
 * someone who answered "I confirm" would otherwise wait in silence until the request closed unconfirmed. Told once
 * per request, in fixed words, within the receipt's budgets, and only while a link they were mailed still works (a
 * request that joined another's link was mailed that link). True when it was mailed (now or before).
 */
export async function answerReplyBeforeConfirmation(deps: Dependencies, request: DataSubjectRequest): Promise<boolean> {
  if (request.status !== 'AWAITING_VERIFICATION' || request.verifiedAt) return false;
  const trail = await deps.audit.list(request.id);
  const requested = trail.findLastIndex((e) => e.type === 'verification.requested');
  const link = trail[requested];
  if (link?.type !== 'verification.requested' || Date.parse(link.detail.expiresAt) <= deps.clock.now().getTime()) return false;
  const mailed = link.detail.joined || trail.slice(requested).some((e) => e.type === 'mail.sent' && RECEIPTS.includes(e.detail.template));
  if (!mailed) return false;
  const expiresAt = (await loadMessages(request.language)).date(link.detail.expiresAt, request.deadline.timeZone);
  return mailUnverified(deps, request, 'replyBeforeConfirmation', await deps.personKey(request.email), { expiresAt });
}

/** A round other than the first, as a withheld mail's event records it. */
const roundOf = (round: MailKey['round']) => (round === 1 ? {} : { round: String(round) });

/**
 * The share of the hour's mails to unconfirmed addresses a request's mail draws on: receipts of requests made by mail
 * on `mailShareOfHour` of it, all others on the rest.
 */
export function hourlyPool(limits: Dependencies['profile']['limits'], channel: Channel): { pool: HourlyPool; max: number } {
  const byMail = Math.round(limits.unverifiedMailsPerHour * limits.mailShareOfHour);
  return channel === 'email' ? { pool: 'email', max: byMail } : { pool: 'other', max: limits.unverifiedMailsPerHour - byMail };
}

/**
 * Spends the address's budget; for another spelling of a mailbox (mailboxOf: `name+tag@`, Gmail's dots), the budget
 * all such spellings of it share as well — apart from the mailbox's own address, so that spellings sent by a stranger
 * cannot use up the budget of the address the person writes from; then its domain's for the clock hour (budgetDomainOf:
 * a catch-all's addresses, however many, are one domain; a shared provider's is wider), named by a keyed hash; then
 * the hour's share (`hour`). The address's budgets come first, so a flood aimed at one address does not use up the
 * hour, and what they spent is given back when a later budget refuses the mail: else each refused retry would spend
 * one of the person's few mails of the day. Part of the domain's budget and of the share (reservedShareOfHour) is
 * kept for receipts mailed again (`again`), so one the budgets withheld goes out ahead of a flood in the next hour —
 * whatever addresses, at the person's provider or at fresh domains, the flood is sent to. `alert` once an hour, on
 * the share's first refusal.
 */
async function spendBudgets(
  deps: Dependencies,
  email: string,
  recipientKey: string,
  hour: { pool: HourlyPool; max: number },
  again: boolean,
): Promise<{ refused?: WithheldReason; alert?: boolean }> {
  const limits = deps.profile.limits;
  const now = deps.clock.now();
  const open = (max: number) => (again ? max : max - Math.floor(max * limits.reservedShareOfHour));
  const mailbox = mailboxOf(email);
  const spent: string[] = [];
  for (const key of mailbox === email ? [recipientKey] : [recipientKey, await deps.keyedHash('mailbox spellings', mailbox)]) {
    if (!(await deps.limits.spendRecipient(key, limits.recipientMails, now))) return giveBack(deps, spent, now, { refused: 'recipient_budget' });
    spent.push(key);
  }
  const { domain, shared } = budgetDomainOf(email);
  const domainKey = (await deps.keyedHash('recipient domain', domain)).slice(0, 32);
  const ofDomain = await deps.limits.spendHourly(`domain:${domainKey}`, open(shared ? limits.sharedProviderMailsPerHour : limits.recipientDomainMailsPerHour), now);
  if (!ofDomain.allowed) return giveBack(deps, spent, now, { refused: 'domain_budget' });
  const hourly = await deps.limits.spendHourly(hour.pool, open(hour.max), now);
  return hourly.allowed ? {} : giveBack(deps, spent, now, { refused: 'hourly_budget', alert: hourly.firstRefusal });
}

/** The refusal, once the address's budgets `spent` on the refused mail are given back. */
async function giveBack<T>(deps: Dependencies, spent: string[], at: Date, refusal: T): Promise<T> {
  for (const key of spent) await deps.limits.returnRecipient(key, at);
  return refusal;
}

/** The budgets' refusals (spendBudgets); those of the hour's (HOURLY_BUDGETS) are retried in a later hour. */
const HOURLY_BUDGETS: readonly string[] = ['domain_budget', 'hourly_budget'] satisfies WithheldReason[];
const BUDGETS: readonly string[] = ['recipient_budget', ...HOURLY_BUDGETS];

/** Whether the budgets refused this mail (of this round), as the attempt that claimed it recorded. */
async function refusedBefore(deps: Dependencies, requestId: string, template: MailTemplate, round: MailKey['round']): Promise<boolean> {
  const ofRound = roundOf(round).round;
  return eventsOfType(await deps.audit.list(requestId), 'mail.withheld').some(
    (e) => e.detail.template === template && e.detail.round === ofRound && BUDGETS.includes(e.detail.reason),
  );
}

/**
 * A withheld receipt is not lost: the deadline watch mails it again, within the budgets as they stand then, while the
 * request still waits for verification (its wait never outlives the due date).
 * - Withheld by a budget (the hour's share or its domain's, or the address's own): once the hour it was withheld in is
 *   over — the same hour would refuse it again — a new link (the withheld one's code was never sent), living as long as
 *   the wait it ends, for every request that waits on the withheld link (taking it over, full or not: see choose); once
 *   per hour at most. A retry may use the part of its domain's budget and of the share kept for retries (see
 *   spendBudgets), so it goes ahead of a flood. The address's own budget frees as its window passes, or at once when the person uses a
 *   link (confirmVerification, disownVerification).
 * - Held because the address's links were full (`link_full`, see choose): as soon as the address's current link
 *   takes it — it joins the person's next link, or makes one, mailed within the budgets.
 * True when it was mailed now.
 */
export async function retryWithheldReceipt(deps: Dependencies, request: DataSubjectRequest, newCode: () => { code: string; codeHash: string }): Promise<boolean> {
  if (request.status !== 'AWAITING_VERIFICATION' || request.verifiedAt) return false;
  const now = deps.clock.now();
  const hour = now.toISOString().slice(0, 13);
  const recipientKey = await deps.personKey(request.email);
  const link = (await deps.verifications.current(recipientKey))?.verification;
  const onLink = Boolean(link?.waiting.includes(request.id));
  // On the address's current link: only one withheld, still alive, in an hour now over (one keyed read: most waiting
  // requests stop here). Every request on it is tried once the hour is over, and the first one tried takes the others
  // to a link of its own: one withheld again leaves them on a link withheld this hour, so they wait for the next.
  if (onLink && (!link!.withheldAt || link!.supersededAt || Date.parse(link!.expiresAt) <= now.getTime() || link!.withheldAt.slice(0, 13) >= hour)) return false;
  const trail = await deps.audit.list(request.id);
  const last = trail.findLast((e) => ((e.type === 'mail.withheld' || e.type === 'mail.sent') && RECEIPTS.includes(e.detail.template)) || (e.type === 'verification.requested' && e.detail.joined));
  if (last?.type !== 'mail.withheld') return false;
  let expiresAt: string;
  if (onLink) {
    if ((!HOURLY_BUDGETS.includes(last.detail.reason) && last.detail.reason !== 'recipient_budget') || last.at.slice(0, 13) >= hour) return false;
    expiresAt = link!.expiresAt;
  } else {
    // Held with no link: it waits as long as its wait, recorded with it; it goes on once the address's link takes it
    // — not to a link withheld this hour, whose budgets would refuse it again.
    if (last.detail.reason !== 'link_full' || (link?.withheldAt && link.withheldAt.slice(0, 13) >= hour)) return false;
    expiresAt = eventsOfType(trail, 'verification.requested').at(-1)!.detail.expiresAt;
    if (Date.parse(expiresAt) <= now.getTime() || choose(link, request.id, new Date(expiresAt), now, windowMsOf(deps)).kind === 'hold') return false;
  }
  // Overlapping runs of the watch: one mails it.
  if (!(await deps.requests.claimStep(request.id, `receipt-again:${hour}`, now))) return false;
  return mailLink(deps, request, recipientKey, new Date(expiresAt), newCode, `again:${hour}`);
}

/**
 * Verification did not come in time: a reasoned answer before the due date — to an address we wrote to about this
 * request, within its budget. A request that only joined another's link, or whose link was never mailed, closes
 * without a mail of its own: the address would otherwise get one per request an attacker sent. One left unticked on
 * its used link, or disowned there (its wait ended then, see confirmVerification, disownVerification) closes without
 * one too: the page just said it closes.
 * A request confirmed as its wait ended is not closed: `confirmed`, and the workflow fulfils it.
 * The answer is decided and sent while the request still waits (a mail that keeps failing leaves it open, where the
 * deadline watch sees it), then the request is closed. The verification step records a link only while the request
 * waits, so the trail read again after the close is final: a link recorded while this step decided — or a step run
 * again after the close — gets its closing answer then, once.
 */
export async function closeUnverified(deps: Dependencies, requestId: string): Promise<{ confirmed: boolean }> {
  // A wait that timed out before the verification step moved the request (a request started at its margin).
  let { request } = await awaitingVerification(deps, await deps.requests.get(requestId));
  if (request.status === 'AWAITING_VERIFICATION') {
    // Confirmed as the wait ended: no closing answer; the workflow goes on to fulfil it.
    if (request.verifiedAt) return { confirmed: true };
    const closing = closingMail(await deps.audit.list(requestId));
    if (closing === 'send') await mailClosing(deps, request);
    else if (closing === 'withhold') await deps.audit.append(requestId, { type: 'mail.withheld', detail: { template: 'closedUnverified', reason: 'not_mailed_before' } });
    try {
      request = await deps.requests.transition(request, 'AWAITING_VERIFICATION', 'CLOSED_UNVERIFIED', { closedAt: deps.clock.now().toISOString() });
    } catch (error) {
      // Confirmed while the closing answer went out (the store refuses to close a confirmed request): the answer
      // still comes, the trail shows both.
      if (error instanceof ConflictError && (await deps.requests.get(requestId)).verifiedAt) return { confirmed: true };
      throw error;
    }
  } else if (request.status === 'IN_PROGRESS' && request.verifiedAt) {
    // Begun as the person confirmed it (see confirmVerification), its release lost: the workflow fulfils it.
    return { confirmed: true };
  } else if (request.status !== 'CLOSED_UNVERIFIED') return { confirmed: false };
  if (closingMail(await deps.audit.list(requestId)) === 'send') await mailClosing(deps, request);
  return { confirmed: false };
}

/**
 * What the closing answer of an unconfirmed request does: `send` it where the request's own link went out; `none`
 * where the trail says why already (left unticked on its used link, or disowned there); else `withhold` it, recorded.
 */
function closingMail(trail: RecordedAuditEvent[]): 'send' | 'withhold' | 'none' {
  if (trail.some((e) => e.type === 'verification.left_unticked' || e.type === 'verification.disowned')) return 'none';
  return linkMailedOrBeingMailed(trail) ? 'send' : 'withhold';
}

/** The closing answer: sent, or withheld by the budgets, once however often it is asked for (see mailUnverified). */
async function mailClosing(deps: Dependencies, request: DataSubjectRequest): Promise<void> {
  await mailUnverified(deps, request, 'closedUnverified', await deps.personKey(request.email), {});
}

const RECEIPTS = ['receipt', 'receiptUnclear', 'receiptParticular', 'receiptEnteredLink'];

/**
 * Whether the request's own link went out, or is going out: its step records `verification.requested` in the same
 * write that moves the request, before it mails, so a wait that ends while the step mails finds the event without
 * its `mail.sent` yet. A receipt withheld after the event means none went out.
 */
function linkMailedOrBeingMailed(trail: RecordedAuditEvent[]): boolean {
  if (eventsOfType(trail, 'mail.sent').some((e) => RECEIPTS.includes(e.detail.template))) return true;
  const requested = trail.findLastIndex((e) => e.type === 'verification.requested' && !e.detail.joined);
  return requested >= 0 && !trail.slice(requested).some((e) => e.type === 'mail.withheld' && RECEIPTS.includes(e.detail.template));
}
