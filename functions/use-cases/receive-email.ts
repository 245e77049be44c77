import { createHash } from 'node:crypto';
import { decideIntake, type IntakeDecision, type KeptAttachment, type RequestDecision, type SesVerdicts } from '../domain/email/index.ts';
import { admitMail, admitReply } from './admission.ts';
import { eventsOfType, type RecordedAuditEvent } from '../domain/audit.ts';
import { REPLY_WORK_ID, type InboundMailEvent } from './ports.ts';
import { mailDomain } from '../config/profile-schema.ts';
import { normaliseAddress } from '../domain/email/address.ts';
import { ConflictError, IdempotencyKeyReusedError, NotFoundError } from '../domain/errors.ts';
import { HELD_MAIL_KEEP_DAYS, type Admission, type HeldReason, type HeldReply } from '../domain/held-mail.ts';
import { MAX_KEPT_REPLIES, MAX_MESSAGE_CHARS, OPEN_STATUSES, lastOperatorWord, unansweredReplies, type DataSubjectRequest, type PersonReply } from '../domain/request.ts';
import type { Dependencies } from './dependencies.ts';
import { submitRequest } from './submit-request.ts';

/**
 * What mails from here — a confirmed person's reply acknowledged, the operator alerted of a third party's mail — is
 * loaded on those paths only: most mail makes a request (its receipt is the workflow's) or is dropped, and the intake
 * function's init stays within its 400 KB (README, bench:cold-start).
 */
const notify = () => import('./notify.ts');
/** What a reply to a receipt before its link is pressed gets: on that path only, as notify. */
const verification = () => import('./verification.ts');
/** Its words, for the operator's alert about held mail: on that path only, as notify. */
const messages = () => import('../domain/messages.ts');

export interface EmailOutcome {
  outcome: 'request' | 'triage' | 'reply' | 'drop' | 'reject' | 'held';
  requestId?: string;
  reason?: string;
}

/**
 * The largest mail read: SES's own limit for receiving (40 MB), so every mail SES accepts is read — a person's large
 * scan makes its request — and SES itself refuses, with a bounce to the sender, anything larger. (At 10 MB, mail SES
 * accepted was rejected here with nobody told.)
 */
const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
/** A reply that names a request but does not come from its person. */
const THIRD_PARTY = 'third_party';

/**
 * Keeps the words of the person's reply with the request for the operator (once per stored message: a re-delivery
 * adds nothing), as many as MAX_KEPT_REPLIES; later ones are in the trail and the raw mail.
 */
async function keepReply(deps: Dependencies, request: DataSubjectRequest, reply: PersonReply, messageId: string | undefined): Promise<DataSubjectRequest> {
  if (!reply.text && !messageId) return request;
  // Made from the request as it stands at each attempt: a reply kept at the same instant by another delivery stays.
  // Its Message-ID is the person's latest mail, which what we send next answers, whether or not its words are kept.
  return deps.requests.amend(request, request.status, (current) => {
    const replies = current.replies ?? [];
    const kept = reply.text && replies.length < MAX_KEPT_REPLIES && !replies.some((r) => r.sesMessageId === reply.sesMessageId);
    return { ...(kept && { replies: [...replies, reply] }), ...(messageId && { latestMail: messageId }) };
  }, []);
}

/**
 * The person wrote to a request already answered: open work for the operator from the first of their mails not yet
 * answered, and one alert for all their mails since an operator last wrote to them (a re-delivery, or another mail
 * before an operator writes back, adds none) — whether or not a mail's words are kept with the request (an empty
 * mail, or one past MAX_KEPT_REPLIES, keeps none). `recordedBefore`: an earlier delivery of this mail recorded it.
 */
async function replyToAnswered(deps: Dependencies, request: DataSubjectRequest, sesMessageId: string, at: string, recordedBefore: boolean): Promise<void> {
  const lastWord = lastOperatorWord(request);
  // A late re-delivery of a mail an operator has since written back to opens nothing again: when it came is the
  // time its words were kept, or, when they were not, its record's (read only for a mail delivered again).
  const came = request.replies?.find((r) => r.sesMessageId === sesMessageId)?.at
    ?? (recordedBefore && lastWord ? eventsOfType(await deps.audit.list(request.id), 'mail.received').find((e) => e.detail.sesMessageId === sesMessageId)?.at : undefined)
    ?? at;
  if (lastWord && came <= lastWord) return;
  // A mail whose words are not kept is in no reply: the work already open for this round remembers when it began.
  const since = unansweredReplies(request)[0]?.at ?? came;
  await deps.openWork.putEarliest({ requestId: request.id, id: REPLY_WORK_ID, kind: 'reply', since });
  // One round per word of an operator's (none yet: the first round), however many mails come within it.
  const round = createHash('sha256').update(`after:${lastWord ?? 'none'}`).digest('hex').slice(0, 32);
  await (await notify()).alertOperator(deps, request, 'replyAfterAnswer', {}, [REPLY_WORK_ID], round);
}

/** How many attachments of third parties' mail the request's trail lists in its quarantine. */
function quarantinedIn(trail: RecordedAuditEvent[]): number {
  return eventsOfType(trail, 'mail.received').reduce((count, event) => count + (event.detail.quarantined?.length ?? 0), 0);
}

/** The appendOnce mark of the mail that made a request (see receiveEmail). */
const REQUEST_MAIL = 'request-mail';
/** Why a mail that made no request of its own is recorded apart: an earlier message of it made the request. */
const DELIVERED_AGAIN = 'delivered_again';

/** Whether this SES message is the one recorded as making the request (read only for a mail delivered again). */
async function madeBy(deps: Pick<Dependencies, 'audit'>, requestId: string, sesMessageId: string): Promise<boolean> {
  return eventsOfType(await deps.audit.list(requestId), 'mail.received').some((e) => (e.detail.outcome === 'request' || e.detail.outcome === 'triage') && e.detail.sesMessageId === sesMessageId);
}

/**
 * Whether a reply comes from the person the request is about: their address, with a check that vouches for it
 * (vouchedFor: DMARC, or SPF passed for their address's domain). Anyone can write their address in From.
 */
function isFromThePerson(reply: Extract<IntakeDecision, { kind: 'reply' }>, request: DataSubjectRequest): boolean {
  const from = normaliseAddress(reply.sender);
  return reply.vouched && from !== undefined && from === normaliseAddress(request.email);
}
const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
/**
 * The most attachments of one mail kept with the request and listed on its record: more than a person sends with a
 * request (their scans, a few documents), few enough that keeping them stays within the intake's time and the
 * record within DynamoDB's 400 KB item (about 100 bytes each). Any more are counted and stay in the raw mail.
 */
export const MAX_LISTED_ATTACHMENTS = 20;
/**
 * The most attachments of third parties' mail listed in one request's quarantine (two mails' worth of
 * MAX_LISTED_ATTACHMENTS): a stream of strangers' mail under one reference fills no store. Past it, a mail's
 * attachments are counted on its record and stay in the raw mail only.
 */
export const MAX_QUARANTINED_PER_REQUEST = 40;
/** How many attachments are stored at once: a mail's files do not open a storm of requests to the store. */
const KEEP_AT_ONCE = 4;
/** A Message-ID we put back in In-Reply-To and References: one <local@domain>, nothing that could break a header. */
const THREADABLE_MESSAGE_ID = /^<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>$/;

/** The mail's text as the request keeps it: its first MAX_MESSAGE_CHARS characters, marked where cut. */
function keptText(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= MAX_MESSAGE_CHARS ? trimmed : `${trimmed.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/** Where the operator reads the held mail, admits it or dismisses it. */
export const heldMailLink = (publicUrl: string) => `${publicUrl}/console/held-mail`;

/**
 * Tells the operator that mail is being held, once an hour however much is held: held mail is what a flood is made
 * of, and an alert per mail would be a flood of its own. Each held mail is on the operator's list (linked from the
 * alert) and on its own trail (INBOUND#<SES id>).
 */
async function alertMailHeld(deps: Dependencies): Promise<void> {
  const now = deps.clock.now();
  if (!(await deps.limits.firstThisHour('mail-held', now))) return;
  await mailOperatorForTheHour(deps, 'mail-held', now, 'operatorMailHeld', { console: heldMailLink(deps.publicUrl), days: String(HELD_MAIL_KEEP_DAYS) });
}

/** One of the operator's mails about the hour, under a Message-ID naming it (`name` and the hour), in their language. */
async function mailOperatorForTheHour(deps: Dependencies, name: string, now: Date, template: 'operatorMailHeld' | 'operatorThirdPartyMail', values: Record<string, string>): Promise<void> {
  const { subject, text } = (await (await messages()).loadMessages(deps.profile.defaultLanguage)).mail(template, values);
  await deps.mailer.send({ to: deps.profile.operator.contactEmail, subject, text, messageId: `<${name}.${now.toISOString().slice(0, 13)}@${mailDomain(deps.profile)}>` });
}

/**
 * Tells the operator of mail naming a request from another sender: one alert per request (an alert is mailed once),
 * as many as limits.thirdPartyAlertsPerHour in a clock hour; past them, one digest for the rest of the hour — such
 * mail under many references must not become a stream of alerts spending the mail quota that receipts need.
 */
async function alertThirdPartyMail(deps: Dependencies, request: DataSubjectRequest): Promise<void> {
  if (eventsOfType(await deps.audit.list(request.id), 'operator.alerted').some((e) => e.detail.alert === 'thirdPartyMail')) return;
  const now = deps.clock.now();
  const max = deps.profile.limits.thirdPartyAlertsPerHour;
  const counted = await deps.limits.spendHourly('third-party-alerts', max, now);
  if (counted.allowed) return (await notify()).alertOperator(deps, request, 'thirdPartyMail', { max: String(MAX_QUARANTINED_PER_REQUEST) });
  if (!counted.firstRefusal) return;
  await mailOperatorForTheHour(deps, 'third-party-mail', now, 'operatorThirdPartyMail', { console: `${deps.publicUrl}/console`, max: String(max) });
}

/**
 * Held mail an operator vouched for (held-mail.ts): it makes its request as mail some check vouched for would, the
 * request received when the mail arrived and naming who vouched for it; a held reply (`reply`) joins its request as
 * what the checks made it when it arrived.
 */
export interface Vouched {
  arrivedAt: Date;
  admission: Admission;
  reply?: HeldReply;
}

/**
 * One message from the support mailbox. The raw message (attachments included) stays where SES stored it; every
 * outcome is recorded; requests are keyed by the message's Message-ID (or SES id), so a re-delivery makes no second
 * request. Unclear or spam-flagged mail becomes a request for an operator to classify, receipted all the same.
 * Mail that would make a request but that no check vouches for (vouchedFor: a pass for its From's domain), or that
 * comes past the mail limits (admitMail), and a reply past the reply limits (admitReply), is held: put on the
 * operator's list and recorded, the operator alerted once an hour, no request, no workflow, no reply — a flood of
 * forged mail spends none of the mail budget the people who write to us need. Held mail an operator vouches for comes
 * back here (`vouched`) and makes its request, or joins the request it replies to.
 * `envelopeSender`: the address SES checked SPF on (the event's `mail.source`); a tool's delivery has none.
 */
export async function receiveEmail(
  deps: Dependencies,
  sesMessageId: string,
  raw: Uint8Array,
  verdicts: SesVerdicts,
  envelopeSender = '',
  vouched?: Vouched,
): Promise<EmailOutcome> {
  const decision = await decideIntake(raw, verdicts, {
    defaultLanguage: deps.profile.defaultLanguage,
    ownMessageIdDomain: mailDomain(deps.profile),
    supportAddresses: [deps.profile.supportAddress],
    fixedSubjects: deps.profile.fixedSubjects,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    maxAttachmentBytes: MAX_ATTACHMENT_BYTES,
  }, envelopeSender);
  // Read the same way it was when held — a new request, or a reply naming the same request — unless a release (or the
  // profile's fixed subjects) reads it otherwise since.
  if (vouched && (vouched.reply ? decision.kind !== 'reply' || decision.reference !== vouched.reply.reference : decision.kind !== 'request')) {
    throw new ConflictError(`mail ${sesMessageId} no longer reads as it did when held (${vouched.reply ? `a reply to ${vouched.reply.reference}` : 'a new request'}; now: ${decision.kind}); nothing was made of it`);
  }
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const received = (outcome: string, extra: Partial<InboundMailEvent['detail']> = {}): InboundMailEvent => ({
    type: 'mail.received',
    detail: { sesMessageId, messageId: decision.messageId, sha256, verdicts, outcome, ...extra },
  });
  /**
   * The mail's first `max` attachments (MAX_LISTED_ATTACHMENTS, or fewer where the quarantine has less room): those
   * within the size limit kept with the request (each named on its file only, KEEP_AT_ONCE at a time), larger ones
   * listed by size; the rest are counted, not listed — they stay in the raw mail, which is kept whole — so the mail's
   * record stays one small item whatever it holds.
   */
  const listed = (attachments: readonly KeptAttachment[], kept: Array<{ size: number; key?: string }>, max = MAX_LISTED_ATTACHMENTS) =>
    attachments.length > max ? { list: kept, moreAttachments: attachments.length - max } : { list: kept };
  const keep = async (requestId: string, attachments: readonly KeptAttachment[], folder?: 'quarantine', max = MAX_LISTED_ATTACHMENTS) => {
    const first = attachments.slice(0, max);
    const kept: Array<{ size: number; key?: string }> = [];
    for (let start = 0; start < first.length; start += KEEP_AT_ONCE) {
      kept.push(
        ...(await Promise.all(
          first.slice(start, start + KEEP_AT_ONCE).map(async (a) => ({
            size: a.size,
            ...(a.content ? { key: await deps.mailArchive.keep(requestId, { filename: a.filename, contentType: a.contentType, content: a.content }, folder) } : {}),
          })),
        )),
      );
    }
    return listed(attachments, kept, max);
  };
  /**
   * Put on the operator's list (a reply with the request it names) and recorded on the mail's own trail, left out of
   * any request; the operator alerted once an hour.
   */
  const hold = async (reason: HeldReason, mail: Extract<IntakeDecision, { kind: 'request' | 'reply' }>, reply?: HeldReply): Promise<EmailOutcome> => {
    const now = deps.clock.now();
    await deps.heldMail.hold(
      { sesMessageId, arrivedAt: now.toISOString(), reason, sender: mail.sender, ...(mail.senderName && { senderName: mail.senderName }), subject: mail.subject, verdicts, passedFor: mail.passedFor, size: raw.byteLength, ...(reply && { reply }) },
      new Date(now.getTime() + HELD_MAIL_KEEP_DAYS * 86_400_000),
    );
    await deps.audit.appendInboundMail(sesMessageId, received('held', { reason, authFailures: [...mail.authFailures] }));
    await alertMailHeld(deps);
    return { outcome: 'held', reason };
  };

  /**
   * A request made by this mail: held when no check vouches for it or past the mail limits, else made once however
   * often the mail is delivered.
   */
  const makeRequest = async (asked: RequestDecision): Promise<EmailOutcome> => {
    const idempotency = asked.messageId ? { key: `message-id:${asked.messageId}`, field: 'Message-ID' } : { key: `ses:${sesMessageId}`, field: 'SES message id' };
    // A mail that made its request before (delivered again, or retried after a crash) is past the limits already: it
    // only finishes what its first delivery began (its record, its files).
    const limited = async () => !(await admitMail(deps, asked.sender)) && !(await deps.requests.madeUnder('email', idempotency.key));
    // Mail an operator vouched for (held-mail.ts) is neither checked nor counted again.
    const held: HeldReason | undefined = vouched ? undefined : !asked.vouched ? 'unauthenticated' : (await limited()) ? 'rate_limited' : undefined;
    if (held) return hold(held, asked);
    const triage = asked.triage || asked.types.length === 0;
    const message = keptText(asked.text);
    const submission = { types: triage ? [] : asked.types, email: asked.sender, name: asked.senderName, language: asked.language, ...(message ? { message } : {}) };
    const firstMail = asked.messageId && THREADABLE_MESSAGE_ID.test(asked.messageId)
      ? { messageId: asked.messageId, subject: asked.subject, authenticated: asked.vouched && verdicts.dmarc === 'PASS' }
      : undefined;
    let submitted;
    try {
      const particular = asked.triageReason === 'particularData' ? ({ particularData: true } as const) : {};
      submitted = await submitRequest(deps, submission, 'email', idempotency, { ...(firstMail && { firstMail }), ...particular }, vouched && { receivedAt: vouched.arrivedAt, admitted: vouched.admission });
    } catch (error) {
      // Another message under a Message-ID we already took: recorded, never joined to (or shown) the first.
      if (!(error instanceof IdempotencyKeyReusedError)) throw error;
      await deps.audit.appendInboundMail(sesMessageId, received('reject', { reason: 'reused_message_id' }));
      return { outcome: 'reject', reason: 'reused_message_id' };
    }
    const { request, created } = submitted;
    // A re-delivery joins nothing new: the first delivery's record and attachments stand — unless that delivery
    // ended (a crash, a timeout) between making the request and keeping them: then this one keeps them. The mail
    // that made the request is recorded once, however many deliveries of it (the same Message-ID and words) come.
    const outcome = triage ? 'triage' : 'request';
    let recorded = false;
    if (created || !(await deps.audit.appendedOnce(request.id, REQUEST_MAIL))) {
      const { list: attachments, ...more } = await keep(request.id, asked.attachments);
      recorded = await deps.audit.appendOnce(
        request.id,
        REQUEST_MAIL,
        received(outcome, { reason: asked.triageReason, attachments, ...more, authFailures: asked.authFailures, ...(vouched && { held: vouched.admission.held }) }),
      );
    }
    // The same mail as another SES message (its sender's server delivered it again): recorded on that message's own
    // trail, once, so every message that arrived is on record; the request stands as the first one made it.
    if (!recorded && !(await madeBy(deps, request.id, sesMessageId))) {
      await deps.audit.appendInboundMail(sesMessageId, received(outcome, { reason: DELIVERED_AGAIN }));
    }
    return { outcome, requestId: request.id, reason: asked.triageReason };
  };

  switch (decision.kind) {
    case 'drop':
    case 'reject':
      await deps.audit.appendInboundMail(sesMessageId, received(decision.kind, { reason: decision.reason }));
      return { outcome: decision.kind, reason: decision.reason };
    case 'reply': {
      // A reply joins its request (documents for a rectification, say); an unknown reference is kept on its own.
      const request = await deps.requests.get(decision.reference).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      if (!request) {
        if (vouched) throw new ConflictError(`held reply ${sesMessageId} names request ${decision.reference}, which no longer exists; nothing was made of it`);
        const { list: attachments, ...more } = listed(decision.attachments, decision.attachments.slice(0, MAX_LISTED_ATTACHMENTS).map(({ size }) => ({ size })));
        await deps.audit.appendInboundMail(sesMessageId, received('reply', { attachments, ...more, authFailures: decision.authFailures }));
        return { outcome: 'reply' };
      }
      // A held reply joins as what the checks made it when it arrived (the address the request keeps may change since).
      const fromThePerson = vouched?.reply?.fromThePerson ?? isFromThePerson(decision, request);
      // Each SES message is recorded once: a delivery retried after it recorded the mail (it ended before what
      // follows) keeps no file and no event twice, and draws on no limit again; nor does a reply an operator vouched
      // for, which drew on them when it was held.
      const once = `mail:${sesMessageId}`;
      const recordedBefore = await deps.audit.appendedOnce(request.id, once);
      if (!recordedBefore && !vouched && !(await admitReply(deps, decision, request.id, fromThePerson))) {
        return hold('rate_limited', decision, { reference: request.id, fromThePerson });
      }
      // Admitted from the held list: when it arrived and why it was held, on its record with the request.
      const admitted = vouched && { held: vouched.admission.held, arrivedAt: vouched.arrivedAt.toISOString() };
      if (!fromThePerson) {
        // Someone else writing under the reference: kept apart, shown to the operator, never the person's documents.
        if (!recordedBefore) {
          // The room left in the request's quarantine (its trail read only for a mail with attachments).
          const room = decision.attachments.length ? MAX_QUARANTINED_PER_REQUEST - quarantinedIn(await deps.audit.list(request.id)) : 0;
          const { list: quarantined, ...more } = await keep(request.id, decision.attachments, 'quarantine', Math.max(0, Math.min(room, MAX_LISTED_ATTACHMENTS)));
          await deps.audit.appendOnce(request.id, once, received(THIRD_PARTY, { quarantined, ...more, authFailures: decision.authFailures, ...admitted }));
        }
        await alertThirdPartyMail(deps, request);
        return { outcome: 'reply', requestId: request.id, reason: THIRD_PARTY };
      }
      if (!recordedBefore) {
        const { list: attachments, ...more } = await keep(request.id, decision.attachments);
        await deps.audit.appendOnce(request.id, once, received('reply', { attachments, ...more, authFailures: decision.authFailures, ...admitted }));
      }
      const at = deps.clock.now().toISOString();
      const threadable = decision.messageId && THREADABLE_MESSAGE_ID.test(decision.messageId) ? decision.messageId : undefined;
      const kept = await keepReply(deps, request, { at, sesMessageId, text: keptText(decision.text) }, threadable);
      // An open request's reply waits in the inbox as a new reply; once the request is answered, nothing lists it
      // there, so the mail is left to the operator as open work (listed with the requests, a new reply in the inbox)
      // and they are alerted, once for the mails that came since an operator last wrote to the person.
      if (!OPEN_STATUSES.includes(kept.status)) await replyToAnswered(deps, kept, sesMessageId, at, recordedBefore);
      // Once per request: to an address that confirmed, that the reply joined the request; before that, that replying
      // confirms nothing (the receipt they answer has the link).
      if (request.verifiedAt) await (await notify()).notifyPerson(deps, kept, 'replyReceived', {});
      else await (await verification()).answerReplyBeforeConfirmation(deps, kept);
      return { outcome: 'reply', requestId: request.id };
    }
    case 'request':
      return makeRequest(decision);
  }
}
