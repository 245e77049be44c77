import { createHash } from 'node:crypto';
import { decideIntake, vouchedFor, type KeptAttachment, type SesVerdicts } from '../domain/email/index.ts';
import { admitMail } from './admission.ts';
import { eventsOfType } from '../domain/audit.ts';
import { REPLY_WORK_ID, type InboundMailEvent } from './ports.ts';
import { mailDomain } from '../config/profile-schema.ts';
import { normaliseAddress } from '../domain/email/address.ts';
import { IdempotencyKeyReusedError, NotFoundError } from '../domain/errors.ts';
import { MAX_KEPT_REPLIES, MAX_MESSAGE_CHARS, OPEN_STATUSES, lastOperatorWord, unansweredReplies, type DataSubjectRequest, type PersonReply } from '../domain/request.ts';
import type { Dependencies } from './dependencies.ts';
import { submitRequest } from './submit-request.ts';

/**
 * What mails from here — a confirmed person's reply acknowledged, the operator alerted of a third party's mail — is
 * loaded on those paths only: most mail makes a request (its receipt is the workflow's) or is dropped, and the intake
 * function's init stays within its 400 KB (README, bench:cold-start).
 */
const notify = () => import('./notify.ts');
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

/** The appendOnce mark of the mail that made a request (see receiveEmail). */
const REQUEST_MAIL = 'request-mail';
/** Why a mail that made no request of its own is recorded apart: an earlier message of it made the request. */
const DELIVERED_AGAIN = 'delivered_again';

/** Whether this SES message is the one recorded as making the request (read only for a mail delivered again). */
async function madeBy(deps: Pick<Dependencies, 'audit'>, requestId: string, sesMessageId: string): Promise<boolean> {
  return eventsOfType(await deps.audit.list(requestId), 'mail.received').some((e) => (e.detail.outcome === 'request' || e.detail.outcome === 'triage') && e.detail.sesMessageId === sesMessageId);
}

/**
 * Whether a reply comes from the person the request is about: their address, and not a forgery their domain's
 * DMARC policy disowns.
 */
function isFromThePerson(sender: string, authFailures: readonly string[], request: DataSubjectRequest): boolean {
  const from = normaliseAddress(sender);
  return from !== undefined && from === normaliseAddress(request.email) && !authFailures.includes('dmarc');
}
const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
/**
 * The most attachments of one mail kept with the request and listed on its record: more than a person sends with a
 * request (their scans, a few documents), few enough that keeping them stays within the intake's time and the
 * record within DynamoDB's 400 KB item (about 100 bytes each). Any more are counted and stay in the raw mail.
 */
export const MAX_LISTED_ATTACHMENTS = 20;
/** How many attachments are stored at once: a mail's files do not open a storm of requests to the store. */
const KEEP_AT_ONCE = 4;
/** A Message-ID we put back in In-Reply-To and References: one <local@domain>, nothing that could break a header. */
const THREADABLE_MESSAGE_ID = /^<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>$/;

/** The mail's text as the request keeps it: its first MAX_MESSAGE_CHARS characters, marked where cut. */
function keptText(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= MAX_MESSAGE_CHARS ? trimmed : `${trimmed.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/** Why mail that would make a request was held for the operator instead: it makes none and gets no reply. */
export type HeldReason = 'unauthenticated' | 'rate_limited';

/**
 * Tells the operator that mail is being held, once an hour however much is held: held mail is what a flood is made
 * of, and an alert per mail would be a flood of its own. Each held mail is on its own trail (INBOUND#<SES id>).
 */
async function alertMailHeld(deps: Dependencies): Promise<void> {
  const now = deps.clock.now();
  if (!(await deps.limits.firstThisHour('mail-held', now))) return;
  const { subject, text } = (await (await messages()).loadMessages(deps.profile.defaultLanguage)).mail('operatorMailHeld', {});
  await deps.mailer.send({ to: deps.profile.operator.contactEmail, subject, text, messageId: `<mail-held.${now.toISOString().slice(0, 13)}@${mailDomain(deps.profile)}>` });
}

/**
 * One message from the support mailbox. The raw message (attachments included) stays where SES stored it; every
 * outcome is recorded; requests are keyed by the message's Message-ID (or SES id), so a re-delivery makes no second
 * request. Unclear or spam-flagged mail becomes a request for an operator to classify, receipted all the same.
 * Mail that would make a request but that no check vouches for (vouchedFor), or that comes past the mail limits
 * (admitMail), is held: recorded, the operator alerted once an hour, no request, no workflow, no reply — a flood of
 * forged mail spends none of the mail budget the people who write to us need.
 */
export async function receiveEmail(
  deps: Dependencies,
  sesMessageId: string,
  raw: Uint8Array,
  verdicts: SesVerdicts,
): Promise<EmailOutcome> {
  const decision = await decideIntake(raw, verdicts, {
    defaultLanguage: deps.profile.defaultLanguage,
    ownMessageIdDomain: mailDomain(deps.profile),
    supportAddresses: [deps.profile.supportAddress],
    fixedSubjects: deps.profile.fixedSubjects,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    maxAttachmentBytes: MAX_ATTACHMENT_BYTES,
  });
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const received = (outcome: string, extra: Partial<InboundMailEvent['detail']> = {}): InboundMailEvent => ({
    type: 'mail.received',
    detail: { sesMessageId, messageId: decision.messageId, sha256, verdicts, outcome, ...extra },
  });
  /**
   * The mail's first MAX_LISTED_ATTACHMENTS attachments: those within the size limit kept with the request (each
   * named on its file only, KEEP_AT_ONCE at a time), larger ones listed by size; the rest are counted, not listed —
   * they stay in the raw mail, which is kept whole — so the mail's record stays one small item whatever it holds.
   */
  const listed = (attachments: readonly KeptAttachment[], kept: Array<{ size: number; key?: string }>) =>
    attachments.length > MAX_LISTED_ATTACHMENTS ? { list: kept, moreAttachments: attachments.length - MAX_LISTED_ATTACHMENTS } : { list: kept };
  const keep = async (requestId: string, attachments: readonly KeptAttachment[], folder?: 'quarantine') => {
    const first = attachments.slice(0, MAX_LISTED_ATTACHMENTS);
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
    return listed(attachments, kept);
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
        const { list: attachments, ...more } = listed(decision.attachments, decision.attachments.slice(0, MAX_LISTED_ATTACHMENTS).map(({ size }) => ({ size })));
        await deps.audit.appendInboundMail(sesMessageId, received('reply', { attachments, ...more, authFailures: decision.authFailures }));
        return { outcome: 'reply' };
      }
      // Each SES message is recorded once: a delivery retried after it recorded the mail (it ended before what
      // follows) keeps no file and no event twice.
      const once = `mail:${sesMessageId}`;
      const recordedBefore = await deps.audit.appendedOnce(request.id, once);
      if (!isFromThePerson(decision.sender, decision.authFailures, request)) {
        // Someone else writing under the reference: kept apart, shown to the operator, never the person's documents.
        if (!recordedBefore) {
          const { list: quarantined, ...more } = await keep(request.id, decision.attachments, 'quarantine');
          await deps.audit.appendOnce(request.id, once, received(THIRD_PARTY, { quarantined, ...more, authFailures: decision.authFailures }));
        }
        // One alert per request (an alert is mailed once): a stream of such mail must not become a stream of alerts.
        await (await notify()).alertOperator(deps, request, 'thirdPartyMail');
        return { outcome: 'reply', requestId: request.id, reason: THIRD_PARTY };
      }
      if (!recordedBefore) {
        const { list: attachments, ...more } = await keep(request.id, decision.attachments);
        await deps.audit.appendOnce(request.id, once, received('reply', { attachments, ...more, authFailures: decision.authFailures }));
      }
      const at = deps.clock.now().toISOString();
      const threadable = decision.messageId && THREADABLE_MESSAGE_ID.test(decision.messageId) ? decision.messageId : undefined;
      const kept = await keepReply(deps, request, { at, sesMessageId, text: keptText(decision.text) }, threadable);
      // An open request's reply waits in the inbox as a new reply; once the request is answered, nothing lists it
      // there, so the mail is left to the operator as open work (listed with the requests, a new reply in the inbox)
      // and they are alerted, once for the mails that came since an operator last wrote to the person.
      if (!OPEN_STATUSES.includes(kept.status)) await replyToAnswered(deps, kept, sesMessageId, at, recordedBefore);
      // Once per request, and only to an address that confirmed (before that, the receipt they answer asks them to).
      if (request.verifiedAt) await (await notify()).notifyPerson(deps, kept, 'replyReceived', {});
      return { outcome: 'reply', requestId: request.id };
    }
    case 'request': {
      const held: HeldReason | undefined = !vouchedFor(verdicts) ? 'unauthenticated' : !(await admitMail(deps, decision.sender)) ? 'rate_limited' : undefined;
      if (held) {
        await deps.audit.appendInboundMail(sesMessageId, received('held', { reason: held, authFailures: decision.authFailures }));
        await alertMailHeld(deps);
        return { outcome: 'held', reason: held };
      }
      const triage = decision.triage || decision.types.length === 0;
      const message = keptText(decision.text);
      const submission = { types: triage ? [] : decision.types, email: decision.sender, name: decision.senderName, language: decision.language, ...(message ? { message } : {}) };
      const firstMail = decision.messageId && THREADABLE_MESSAGE_ID.test(decision.messageId)
        ? { messageId: decision.messageId, subject: decision.subject, authenticated: verdicts.dmarc === 'PASS' }
        : undefined;
      const idempotency = decision.messageId ? { key: `message-id:${decision.messageId}`, field: 'Message-ID' } : { key: `ses:${sesMessageId}`, field: 'SES message id' };
      let submitted;
      try {
        const particular = decision.triageReason === 'particularData' ? ({ unclearBecause: 'particularData' } as const) : {};
        submitted = await submitRequest(deps, submission, 'email', idempotency, { ...(firstMail && { firstMail }), ...particular });
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
        const { list: attachments, ...more } = await keep(request.id, decision.attachments);
        recorded = await deps.audit.appendOnce(request.id, REQUEST_MAIL, received(outcome, { reason: decision.triageReason, attachments, ...more, authFailures: decision.authFailures }));
      }
      // The same mail as another SES message (its sender's server delivered it again): recorded on that message's own
      // trail, once, so every message that arrived is on record; the request stands as the first one made it.
      if (!recorded && !(await madeBy(deps, request.id, sesMessageId))) {
        await deps.audit.appendInboundMail(sesMessageId, received(outcome, { reason: DELIVERED_AGAIN }));
      }
      return { outcome, requestId: request.id, reason: decision.triageReason };
    }
  }
}
