import * as z from '../domain/schema.ts';
import { ConflictError, NotFoundError, ValidationError, toFieldProblems } from '../domain/errors.ts';
import { HELD_MAIL_KEEP_DAYS, heldSince, type HeldMail, type HeldMailResolution } from '../domain/held-mail.ts';
import { operatorName, type OperatorActor } from '../domain/operator-identity.ts';
import { onFirstUse } from '../domain/on-first-use.ts';
import type { Dependencies } from './dependencies.ts';
import type { DownloadLink } from './ports.ts';
import { receiveEmail } from './receive-email.ts';

/** How many held mails one page of the list holds; the answer says how many there are in all. */
export const HELD_MAIL_PAGE_SIZE = 100;

const listQuerySchema = onFirstUse(() => z.strictObject({ cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))) }));

/** One held mail as the operator reads it: when, why, from whom, its subject, the checks and its size; who is admitting it, if anyone. */
function heldMailView(mail: HeldMail & { resolution?: HeldMailResolution }) {
  const { resolution, ...rest } = mail;
  return { ...rest, ...(resolution?.kind === 'admitting' && { admitting: { by: resolution.by, at: resolution.at } }) };
}

/**
 * The mail intake held, the latest first, a page at a time from the held-mail index (`nextCursor` continues; `total`
 * says how many are listed in all): each with what to judge it by and the SES id its raw mail is kept under;
 * `timeZone`, the jurisdiction's, to show its times in; `keepDays`, how long a mail stays listed.
 */
export async function listHeldMail(deps: Pick<Dependencies, 'heldMail' | 'clock' | 'deadlines' | 'profile'>, rawQuery: unknown) {
  const parsed = listQuerySchema().safeParse(rawQuery ?? {});
  if (!parsed.success) throw new ValidationError(toFieldProblems(parsed.error.issues), 'held mail list');
  const since = heldSince(deps.clock.now());
  const [page, total] = await Promise.all([deps.heldMail.list({ limit: HELD_MAIL_PAGE_SIZE, cursor: parsed.data.cursor, since }), deps.heldMail.count(since)]);
  // The jurisdiction's zone, as the inbox shows a request's times in its deadline's.
  return { total, keepDays: HELD_MAIL_KEEP_DAYS, timeZone: deps.deadlines.timeZone(deps.profile.jurisdiction), mails: page.mails.map(heldMailView), ...(page.cursor ? { nextCursor: page.cursor } : {}) };
}

/** A held mail as it stands; NotFoundError when none was held under this id, or it has expired. */
async function heldMail(deps: Pick<Dependencies, 'heldMail' | 'clock'>, sesMessageId: string) {
  const mail = await deps.heldMail.get(sesMessageId);
  if (mail.arrivedAt < heldSince(deps.clock.now()).toISOString()) throw new NotFoundError(`held mail ${sesMessageId} expired (held mail is listed ${HELD_MAIL_KEEP_DAYS} days)`);
  return mail;
}

/** A mail another operator settled first: the request it made or joined, or the dismissal, as a conflict. */
function settledBefore(sesMessageId: string, resolution: HeldMailResolution | undefined): ConflictError {
  return new ConflictError(
    resolution?.kind === 'dismissed'
      ? `held mail ${sesMessageId} was dismissed by ${resolution.by} at ${resolution.at}`
      : resolution?.kind === 'admitted'
        ? `held mail ${sesMessageId} was admitted into request ${resolution.requestId} by ${resolution.by} at ${resolution.at}`
        : `held mail ${sesMessageId} is being admitted by ${resolution?.by ?? 'another operator'} since ${resolution?.at ?? 'a moment ago'}`,
  );
}

/** A link that downloads a held mail as it arrived (the operator reads it to judge it; never shown in a page). */
export async function heldRawMailLink(deps: Pick<Dependencies, 'heldMail' | 'clock' | 'mailArchive'>, sesMessageId: string): Promise<DownloadLink> {
  await heldMail(deps, sesMessageId);
  return deps.mailArchive.rawMailLink(sesMessageId, `held-${sesMessageId.slice(0, 12).replace(/[^\w-]/g, '_')}.eml`);
}

/**
 * What an admission answers: the request the mail made or joined; for a reply, what it joined as — the person's reply,
 * or another sender's mail kept apart (`third_party`).
 */
export interface Admitted {
  reference: string;
  joinedAs?: 'reply' | 'third_party';
}

const admitted = (mail: HeldMail, reference: string): Admitted => ({ reference, ...(mail.reply && { joinedAs: mail.reply.fromThePerson ? 'reply' : 'third_party' }) });

/**
 * The operator vouches for a held mail: it goes through intake as mail some check vouched for — the request made,
 * receipted by its workflow, its deadline counted from when the mail arrived, the request and the mail's own trail
 * naming the operator; a held reply joined to the request it names, as the person's or another sender's as the checks
 * made it when it arrived, drawing on no limit — and leaves the list. A reply joins a request closed since as any reply
 * to a closed request does: kept with it, left to the operator as open work. However often it is asked, by however
 * many operators at once, the mail makes one request (intake keys it by its Message-ID) or joins once (by its SES id),
 * and every answer names it. An admission cut short (a crash) is taken up by the next; one that cannot go through (the
 * mail no longer reads as it did, another mail took its Message-ID first, or its request is gone) gives the mail back
 * to the list and says why.
 */
export async function admitHeldMail(deps: Dependencies, sesMessageId: string, actor: OperatorActor): Promise<Admitted> {
  const by = operatorName(actor);
  const at = deps.clock.now().toISOString();
  const mail = await heldMail(deps, sesMessageId);
  if (mail.resolution?.kind === 'admitted') return admitted(mail, mail.resolution.requestId);
  if (mail.resolution?.kind === 'dismissed') throw settledBefore(sesMessageId, mail.resolution);
  if (!(await deps.heldMail.startAdmission(sesMessageId, { kind: 'admitting', by, at }))) return alreadySettled(deps, mail);
  const admission = { by, at, held: mail.reason };
  let requestId: string | undefined;
  try {
    const vouched = { arrivedAt: new Date(mail.arrivedAt), admission, ...(mail.reply && { reply: mail.reply }) };
    ({ requestId } = await receiveEmail(deps, sesMessageId, await deps.mailArchive.read(sesMessageId), mail.verdicts, '', vouched));
  } catch (error) {
    if (error instanceof ConflictError) await deps.heldMail.abandonAdmission(sesMessageId);
    throw error;
  }
  if (!requestId) {
    // Intake refused it: another mail under its Message-ID made a request first, and this one is not that mail.
    await deps.heldMail.abandonAdmission(sesMessageId);
    throw new ConflictError(`held mail ${sesMessageId} carries the Message-ID of another mail that made a request before: it cannot make one by mail; if it is genuine, enter it as a request received on the day it arrived`);
  }
  if (!(await deps.heldMail.settle(sesMessageId, { kind: 'admitted', by, at, requestId }, { type: 'mail.admitted', detail: { requestId, operator: actor } }))) {
    return alreadySettled(deps, mail);
  }
  return admitted(mail, requestId);
}

/** Another operator moved the mail on meanwhile: the request it made or joined (the same as this admission would), or why not. */
async function alreadySettled(deps: Pick<Dependencies, 'heldMail' | 'clock'>, mail: HeldMail): Promise<Admitted> {
  const { resolution } = await heldMail(deps, mail.sesMessageId);
  if (resolution?.kind === 'admitted') return admitted(mail, resolution.requestId);
  throw settledBefore(mail.sesMessageId, resolution);
}

/**
 * The operator read a held mail and dismisses it: it makes no request, joins none, and leaves the list, the dismissal recorded on
 * the mail's own trail with the operator (the raw mail stays in the mail bucket). A mail being made a request, or made
 * one, is not dismissed: that is a conflict naming who acted. Dismissing it again is no error.
 */
export async function dismissHeldMail(deps: Pick<Dependencies, 'heldMail' | 'clock'>, sesMessageId: string, actor: OperatorActor): Promise<{ dismissed: string }> {
  const mail = await heldMail(deps, sesMessageId);
  if (mail.resolution?.kind === 'dismissed') return { dismissed: sesMessageId };
  if (mail.resolution) throw settledBefore(sesMessageId, mail.resolution);
  const by = operatorName(actor);
  const settled = await deps.heldMail.settle(sesMessageId, { kind: 'dismissed', by, at: deps.clock.now().toISOString() }, { type: 'mail.dismissed', detail: { operator: actor } });
  if (!settled) {
    const { resolution } = await heldMail(deps, sesMessageId);
    if (resolution?.kind !== 'dismissed') throw settledBefore(sesMessageId, resolution);
  }
  return { dismissed: sesMessageId };
}
