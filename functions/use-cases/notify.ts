import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonical.ts';
import { localize, mailDomain, type OperatorProfile } from '../config/profile-schema.ts';
import { inLanguage } from '../domain/localized.ts';
import { loadRefusalGrounds, refusalGrounds } from '../domain/refusal-grounds.ts';
import { REQUEST_TYPES, type Language, type RequestType } from '../domain/request-types.ts';
import { erasableFields } from './fulfilment-plan.ts';
import { loadMessages, type AlertKind, type CommandLabel, type MailTemplate, type Messages } from '../domain/messages.ts';
import type { AuditEvent } from '../domain/audit.ts';
import { answerDueAt, receiptMessageId, requestMessageId, type DataSubjectRequest } from '../domain/request.ts';
import type { Dependencies } from './dependencies.ts';
import type { MailClaim, MailKey, OutgoingMail } from './ports.ts';
import { MailBeingSent } from '../domain/errors.ts';

/** The values every notice shares: who we are, how to reach us, the dates and the rule in the person's language. */
export function commonValues(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest, messages: Messages): Record<string, string> {
  const { timeZone } = request.deadline;
  const rule = inLanguage(request.deadline.rule.citation, request.language);
  const promisedBy = request.entry?.promisedBy;
  return {
    reference: request.id,
    // A name the submitter typed reaches only an address that confirmed the request.
    greetingName: request.name && request.verifiedAt ? `, ${request.name}` : '',
    operator: localize(deps.profile.operator.name, request.language),
    contact: deps.profile.operator.contactEmail,
    receivedAt: messages.received(request),
    // Once a late entry's receipt promised a date, the person's mails keep to it (answerDueAt).
    dueAt: messages.date(answerDueAt(request), timeZone),
    rule,
    types: messages.askedFor(request.types),
    term: promisedBy
      ? messages.receiptTerm('late', { dueAt: messages.date(request.deadline.dueAt, timeZone), rule, promisedBy: messages.date(promisedBy, timeZone) })
      : messages.receiptTerm('due', { dueAt: messages.date(request.deadline.dueAt, timeZone), rule }),
  };
}

/**
 * Sends one mail of a request once, however often its step runs and however many attempts run at once: claimed under
 * (request, kind, round) before it goes out, confirmed with its audit event after. An attempt that finds it confirmed
 * sends nothing; one that finds it held by another attempt (two deliveries of one mail at the same moment) waits for
 * it to be sent. One whose earlier attempt ended unconfirmed (a failed delivery, which releases its claim, or a crash,
 * whose claim lapses) sends it again with the same Message-ID, so a mailbox that has the first keeps one message — the
 * person is never left without it. `admit`, when given, decides once the mail is claimed and not yet sent whether it
 * goes out (`first`: no earlier attempt claimed it); a mail it holds back is undefined, and its claim released.
 */
async function sendOnce(
  deps: Pick<Dependencies, 'profile' | 'mailer' | 'sentMail'>,
  key: MailKey,
  template: MailTemplate,
  mail: Omit<OutgoingMail, 'messageId'> & Partial<Pick<OutgoingMail, 'messageId'>>,
  event: (messageId: string, sha256: string) => AuditEvent,
  admit?: (first: boolean) => Promise<boolean>,
): Promise<string | undefined> {
  // A mail with a Message-ID of its own (a receipt that begins a thread) keeps it; any other gets a new one.
  const proposed = mail.messageId ?? requestMessageId(key.requestId, template, mailDomain(deps.profile));
  const claim = await claimOrWait(deps, key, proposed);
  if (claim.state === 'sent') return claim.messageId;
  const sent = { ...mail, messageId: claim.messageId };
  try {
    if (admit && !(await admit(claim.first))) {
      await deps.sentMail.release(key, claim.messageId, claim.token);
      return undefined;
    }
    await deps.mailer.send(sent);
  } catch (error) {
    // The step's retry takes the mail at once instead of waiting out the claim. Unsent, as far as we know: a delivery
    // that failed after the relay took it goes out again under the same Message-ID, as before.
    await deps.sentMail.release(key, claim.messageId, claim.token);
    throw error;
  }
  await deps.sentMail.confirm(key, claim.messageId, event(claim.messageId, createHash('sha256').update(canonicalJson(sent)).digest('hex')));
  return claim.messageId;
}

/** How long an attempt waits for a mail another attempt holds to be sent; a send takes well under this. */
const HELD_MAIL_WAIT_MS = 5_000;
const HELD_MAIL_POLL_MS = 200;

/**
 * The mail claimed for this attempt, or found sent. Held by another attempt, it is looked at again until it is sent;
 * still held after HELD_MAIL_WAIT_MS, this attempt fails as deferred and its retry finds it sent, or takes it over.
 */
async function claimOrWait(deps: Pick<Dependencies, 'sentMail'>, key: MailKey, proposed: string): Promise<Exclude<MailClaim, { state: 'held' }>> {
  const until = Date.now() + HELD_MAIL_WAIT_MS;
  for (;;) {
    const claim = await deps.sentMail.claim(key, proposed);
    if (claim.state !== 'held') return claim;
    if (Date.now() >= until) throw new MailBeingSent(`the ${key.kind} mail of ${key.requestId} is being sent by another attempt`);
    await new Promise((resolve) => setTimeout(resolve, HELD_MAIL_POLL_MS));
  }
}

/** The longest part of the person's own subject repeated in ours. */
const MAX_ECHOED_SUBJECT_CHARS = 200;
const REPLY_PREFIXES = /^(?:\s*(?:re|aw|sv|ответ|отв|жауап)\s*(?:\[\d+\])?\s*:\s*)+/iu;

/** The receipts: where the person did not write, the first mail of the request's thread. */
const RECEIPTS: ReadonlySet<MailTemplate> = new Set(['receipt', 'receiptUnclear', 'receiptParticular', 'receiptEntered', 'receiptEnteredLink']);

/**
 * The mails of one request make one thread in the person's client. Each names in References the mail the thread
 * begins with — the person's mail that made the request, or else our receipt (receiptMessageId, which a receipt is
 * sent as) — and answers, in In-Reply-To, the person's latest mail, else that first one.
 * For a request made by mail the subject is the person's with the reference, "Re: <their subject> [DRB-…]", once it
 * is known to be theirs (the address confirmed a link, or its domain's DMARC vouched for the mail); before that, and
 * for a request made otherwise, the notice keeps its own subject ("Re: " when it answers a mail of the person's).
 */
export function threadedUnder(
  request: Pick<DataSubjectRequest, 'id' | 'firstMail' | 'latestMail' | 'verifiedAt'>,
  template: MailTemplate,
  subject: string,
  domain: string,
): Pick<OutgoingMail, 'subject' | 'inReplyTo' | 'references'> & Partial<Pick<OutgoingMail, 'messageId'>> {
  const first = request.firstMail;
  const root = first?.messageId ?? receiptMessageId(request.id, domain);
  if (!first && RECEIPTS.has(template)) return { subject, messageId: root };
  const parent = request.latestMail ?? root;
  const thread = { inReplyTo: parent, references: parent === root ? [root] : [root, parent] };
  const theirs = first?.subject.replace(REPLY_PREFIXES, '').trim().slice(0, MAX_ECHOED_SUBJECT_CHARS);
  if (!first || !theirs || !(first.authenticated || request.verifiedAt)) return { subject: parent === root && !first ? subject : `Re: ${subject}`, ...thread };
  return { subject: `Re: ${theirs}${theirs.includes(request.id) ? '' : ` [${request.id}]`}`, ...thread };
}

/**
 * Sends one notice to the person and records it, in the request's thread (threadedUnder); `round` tells apart notices
 * of one kind a request may get more than once. Returns its Message-ID (the first attempt's, when it went out before).
 */
export async function notifyPerson(
  deps: Pick<Dependencies, 'profile' | 'mailer' | 'sentMail'>,
  request: DataSubjectRequest,
  template: MailTemplate,
  values: Record<string, string>,
  round: MailKey['round'] = 1,
): Promise<string> {
  return (await sendPersonNotice(deps, request, template, values, round))!; // no `admit`: always sent
}

/**
 * A notice to an address that has not confirmed a link: `admit` decides whether it goes out, once it is claimed and
 * not sent yet — `first` when no earlier attempt claimed it, so what the notice costs is charged by one attempt only,
 * however often a step that failed to send it runs again. True when it went out (now or before).
 */
export async function notifyPersonIfAdmitted(
  deps: Pick<Dependencies, 'profile' | 'mailer' | 'sentMail'>,
  request: DataSubjectRequest,
  template: MailTemplate,
  values: Record<string, string>,
  round: MailKey['round'],
  admit: (first: boolean) => Promise<boolean>,
): Promise<boolean> {
  return (await sendPersonNotice(deps, request, template, values, round, admit)) !== undefined;
}

async function sendPersonNotice(
  deps: Pick<Dependencies, 'profile' | 'mailer' | 'sentMail'>,
  request: DataSubjectRequest,
  template: MailTemplate,
  values: Record<string, string>,
  round: MailKey['round'],
  admit?: (first: boolean) => Promise<boolean>,
): Promise<string | undefined> {
  const messages = await loadMessages(request.language);
  const { subject, text } = messages.mail(template, { ...commonValues(deps, request, messages), ...values });
  const mail = { to: request.email, text, fromName: localize(deps.profile.operator.name, request.language), ...threadedUnder(request, template, subject, mailDomain(deps.profile)) };
  const event = (messageId: string, sha256: string): AuditEvent => ({ type: 'mail.sent', detail: { template, messageId, sha256 } });
  return sendOnce(deps, { requestId: request.id, kind: template, round }, template, mail, event, admit);
}

/** The derbes commands an alert offers, by what the operator can do next. */
function operatorCommands(request: Pick<DataSubjectRequest, 'id' | 'types' | 'changes'>): Record<Exclude<CommandLabel, 'done'>, string> {
  const reference = request.id;
  const changesToState = request.types.includes('rectification') && !Object.keys(request.changes ?? {}).length ? ' --change …=…' : '';
  return {
    pending: 'npx derbes decisions list',
    approve: `npx derbes decisions approve ${reference}${changesToState} --answer "…"`,
    // Types given with an approval classify the request (decide); one with none cannot be approved.
    classify: `npx derbes decisions approve ${reference} --type … --answer "…"`,
    eraseFields: `npx derbes decisions approve ${reference} --type erasure --fields … --answer "…"`,
    deny: `npx derbes decisions deny ${reference} --reason "…" --basis "…"`,
    notARequest: `npx derbes decisions not-a-request ${reference} --text "…"`,
    show: `npx derbes requests show ${reference}`,
    write: `npx derbes requests write ${reference} --text "…"`,
  };
}

/** The refusal grounds that fit a request, one a line, for the operator deciding it: the id to pass, and what it says. */
export async function groundLines(profile: Pick<OperatorProfile, 'jurisdiction'>, types: readonly RequestType[], language: Language): Promise<string> {
  await loadRefusalGrounds(profile.jurisdiction);
  return refusalGrounds(profile.jurisdiction, types)
    .map((ground) => `    ${ground.id} — ${ground.text[language]} (${ground.citation[language]})`)
    .join('\n');
}

type OfferedCommand = Exclude<CommandLabel, 'done'>;
// What the person asked, in their words, comes first: nobody should decide without reading it.
const DECISION_COMMANDS: readonly OfferedCommand[] = ['show', 'pending', 'approve', 'deny'];
const COMMANDS: Record<AlertKind, readonly OfferedCommand[] | 'by status'> = {
  decisionNeeded: DECISION_COMMANDS,
  decisionOverdue: DECISION_COMMANDS,
  reminder: 'by status',
  lastDay: 'by status',
  partialAnswer: ['show'],
  safetyMargin: ['show'],
  overdue: ['show'],
  promisedDateOverdue: ['show'],
  processorsNotTold: ['show'],
  attentionAtMargin: ['show'],
  mailBudgetReached: ['show'],
  thirdPartyMail: ['show'],
  replyAfterAnswer: ['show', 'write'],
};

/**
 * Tells the operator's responsible person (the profile's contact address) that a request needs them: in the
 * profile's default language, what happened, what the request is and what to run next (with `openWork`, the command
 * that marks each follow-up done).
 */
export async function alertOperator(
  deps: Pick<Dependencies, 'profile' | 'mailer' | 'sentMail' | 'publicUrl'>,
  request: DataSubjectRequest,
  kind: AlertKind,
  values: Record<string, string> = {},
  openWork: readonly string[] = [],
  round: MailKey['round'] = 1,
): Promise<void> {
  const m = await loadMessages(deps.profile.defaultLanguage);
  const alert = m.alert(kind, values);
  const wanted = COMMANDS[kind];
  const offered = wanted === 'by status' ? (request.status === 'AWAITING_DECISION' ? DECISION_COMMANDS : ['show' as const]) : wanted;
  // Mail nobody could classify is approved only with its types: the command that gives them, instead of the bare
  // approval; and it may be no request at all: the command that closes it as such, beside the refusal.
  const classified = request.types.length ? offered : offered.flatMap((label): OfferedCommand[] => (label === 'approve' ? ['classify'] : label === 'deny' ? ['deny', 'notARequest'] : [label]));
  // A person who asks to destroy particular data: the approval that erases only it, where the profile declares the
  // fields it may name.
  const erasable = [...erasableFields(deps.profile).values()];
  const labels = request.particularData && erasable.length ? classified.flatMap((label): OfferedCommand[] => (label === 'approve' || label === 'classify' ? [label, 'eraseFields'] : [label])) : classified;
  const commands = operatorCommands(request);
  // What a command takes, one a line under it: the id to pass, and what it is.
  const choices: Partial<Record<OfferedCommand, string[]>> = {
    classify: REQUEST_TYPES.map((type) => `    ${type} — ${m.kindName(type)}`),
    eraseFields: erasable.map(({ field, label }) => `    ${field}${label ? ` — ${localize(label, deps.profile.defaultLanguage)}` : ''}`),
  };
  await mailOperator(
    deps,
    request,
    'operatorAlert',
    {
      alert: alert.title,
      detail: alert.detail ? `${alert.title}.\n${alert.detail}` : `${alert.title}.`,
      commands: [
        ...labels.flatMap((label) => [`${m.commandLabel(label)}: ${commands[label]}`, ...(choices[label] ?? [])]),
        ...openWork.map((id) => `${m.commandLabel('done')}: npx derbes requests done ${request.id} ${id}`),
      ].join('\n'),
    },
    kind,
    round,
  );
}

/** The request's page in the operator console (signing in first leads back to it). */
export function consoleLink(publicUrl: string, reference: string): string {
  return `${publicUrl}/console/request?ref=${encodeURIComponent(reference)}`;
}

/**
 * Sends the operator one of their templates about a request, in the profile's default language, and records it,
 * once per alert and round: the request's reference, kinds, dates, status and its page in the console are given to
 * every template.
 */
export async function mailOperator(
  deps: Pick<Dependencies, 'profile' | 'mailer' | 'sentMail' | 'publicUrl'>,
  request: DataSubjectRequest,
  template: MailTemplate,
  values: Record<string, string>,
  alert: string,
  round: MailKey['round'] = 1,
): Promise<void> {
  const m = await loadMessages(deps.profile.defaultLanguage);
  const { subject, text } = m.mail(template, {
    reference: request.id,
    types: request.types.length ? m.kindNames(request.types) : m.reviewReason('unclear'),
    receivedAt: m.received(request),
    dueAt: m.date(request.deadline.dueAt, request.deadline.timeZone),
    status: m.statusName(request.status),
    console: consoleLink(deps.publicUrl, request.id),
    ...values,
  });
  await sendOnce(deps, { requestId: request.id, kind: `${template}:${alert}`, round }, template, { to: deps.profile.operator.contactEmail, subject, text }, () => ({
    type: 'operator.alerted',
    detail: { alert },
  }));
}
