import type { OperatorProfile } from '../../config/profile-schema.ts';
import { localize } from '../../config/profile-schema.ts';
import { eventsOfType, NO_RESULT_AFTER_RETRIES, type RecordedAuditEvent } from '../audit.ts';
import type { ChainCheck } from '../audit-chain.ts';
import type { AppliedRule, CalendarUsed } from '../deadlines/index.ts';
import { addDays, localDateOf, startOfLocalDay } from '../deadlines/local-time.ts';
import type { DocumentModel } from '../document.ts';
import type { SesVerdicts } from '../email/types.ts';
import { inLanguage } from '../localized.ts';
import { fill, messagesFor } from '../messages.ts';
import { keyIdOfName, type OperatorActor } from '../operator-identity.ts';
import { isEnteredChannel, type DataSubjectRequest } from '../request.ts';
import type { Language, RequestType } from '../request-types.ts';
import { evidenceTexts, type EvidenceSection } from './texts.ts';

/** Everything the pack says, read by the use case from the stores and the rules; nothing here reads anything. */
export interface EvidencePackInput {
  request: DataSubjectRequest;
  /** The request's audit trail, in chain order. */
  trail: RecordedAuditEvent[];
  operator: OperatorProfile['operator'];
  /** A data source's and a processor's name in the pack's language (the id where the profile no longer has it). */
  sourceName: (id: string) => string;
  processorName: (id: string) => string;
  /** A refusal ground's text and article in the pack's language, by its id. */
  groundText: (id: string) => string | undefined;
  /** Why a person had to decide, in the pack's language. */
  decisionReasons: string[];
  /** The calendar the term was counted on, with the transfer days inside the term. */
  calendar: CalendarUsed;
  isWorkingDay: (localDate: string) => boolean;
  chain: ChainCheck;
  generatedAt: Date;
}

/** How the pack names who set the term (AppliedRule.origin). */
const ORIGIN_VALUE = { statute: 'statute', default: 'defaultTerm', operator: 'operatorTerm' } as const satisfies Record<AppliedRule['origin'], string>;

/** The kinds of mail that answer a request (and so close it): the first one sent is the answer's time. */
const ANSWERING_MAIL: ReadonlySet<string> = new Set(['answer', 'refusal', 'closedUnverified']);

/**
 * The hours between two instants that fall on working days of the calendar (a working day counts whole, from its
 * local midnight to the next): positive when `from` is before `to`. Weekends and holidays do not count, as they do
 * not count towards the term.
 */
export function workingHoursBetween(from: Date, to: Date, timeZone: string, isWorkingDay: (localDate: string) => boolean): number {
  const sign = from <= to ? 1 : -1;
  const [start, end] = sign > 0 ? [from, to] : [to, from];
  let day = localDateOf(start, timeZone);
  let dayStart = startOfLocalDay(day, timeZone).getTime();
  let ms = 0;
  while (dayStart < end.getTime()) {
    const next = addDays(day, 1);
    const nextStart = startOfLocalDay(next, timeZone).getTime();
    if (isWorkingDay(day)) ms += Math.min(nextStart, end.getTime()) - Math.max(dayStart, start.getTime());
    [day, dayStart] = [next, nextStart];
  }
  return (sign * ms) / 3_600_000;
}

/**
 * The evidence pack of one request, for the authority: the operator and the request, what arrived, the verification,
 * the deadline and how it was counted, each decision, what each source and processor did, every mail sent, the
 * answer against the due date, and the audit trail's own check — in Russian, Kazakh or English. It names the person
 * by the reference only: their address and name stay in the operator's records. Renders synchronously: the caller
 * loads the catalogue of `language` first (TextsNotLoadedError otherwise).
 */
export function evidencePackDocument(input: EvidencePackInput, language: Language): DocumentModel {
  const { request, trail, operator } = input;
  const t = evidenceTexts(language);
  const m = messagesFor(language);
  const zone = request.deadline.timeZone;
  const at = (iso: string) => m.date(iso, zone);
  const hours = (value: number) => new Intl.NumberFormat(language, { maximumFractionDigits: 1 }).format(value);
  const row = (label: keyof typeof t.labels, value: string) => `${t.labels[label]}: ${value}`;
  const block = (...rows: Array<string | false | undefined>) => rows.filter(Boolean).join('\n');
  /** A code of the trail in the pack's words (a code this release has no words for, as it is). */
  const words = (group: Record<string, string>, code: string) => (Object.hasOwn(group, code) ? group[code]! : code);
  const mailKind = (template: string) => words(t.mailKinds, template);
  const yesNo = (value: boolean) => (value ? t.values.yes : t.values.no);
  /** Who acted, in the pack's words: an operator by address, a key as the operator's key with its id. */
  const who = (actor: OperatorActor | string): string => {
    if (typeof actor !== 'string') return actor.kind === 'person' ? actor.email : fill(t.lines.operatorKey, { id: actor.keyId });
    const keyId = keyIdOfName(actor);
    return keyId ? fill(t.lines.operatorKey, { id: keyId }) : actor;
  };

  const sections: Record<EvidenceSection, string[]> = {
    request: [
      block(
        row('operator', localize(operator.name, language)),
        operator.bin && row('bin', operator.bin),
        operator.address && row('address', operator.address),
        row('contact', operator.contactEmail),
      ),
      block(
        row('reference', request.id),
        row('types', m.kindNames(request.types)),
        row('channel', t.values[request.channel]),
        row('receivedAt', m.received(request)),
        row('language', t.languages[request.language]),
        row('status', m.statusName(request.status)),
        request.closedAt && row('closedAt', at(request.closedAt)),
      ),
    ],
    arrived: arrivedParagraphs(),
    verification: [verificationParagraph()],
    deadline: deadlineParagraphs(),
    decisions: decisionParagraphs(),
    sources: sourceParagraphs(),
    processors: processorParagraphs(),
    mails: mailParagraphs(),
    answer: [answerParagraph()],
    chain: [chainParagraph()],
  };

  return {
    title: fill(t.title, { reference: request.id }),
    header: [],
    intro: [fill(t.intro, { operator: localize(operator.name, language), reference: request.id })],
    sections: (Object.keys(sections) as EvidenceSection[]).map((section) => ({ heading: t.sections[section], paragraphs: sections[section] })),
    footer: [fill(t.footer, { at: at(input.generatedAt.toISOString()) })],
  };

  /**
   * How the person's identity was checked: by the single-use link mailed to the address, or — for a request taken by
   * phone, post or in person — attested by the operator who took it, in their own record of how.
   */
  function verificationParagraph(): string {
    const { entry } = request;
    if (entry?.identity === 'attested') {
      return block(row('how', t.values.attestedByOperator), row('attestedBy', who(entry.by)), entry.attestation !== undefined && row('attestation', entry.attestation), row('confirmedAt', at(entry.at)));
    }
    return block(
      row('how', t.values.linkByMail),
      ...eventsOfType(trail, 'verification.requested').flatMap((e) => [row('requestedAt', at(e.at)), row('expiresAt', at(e.detail.expiresAt))]),
      request.verifiedAt ? row('confirmedAt', at(request.verifiedAt)) : row('confirmedAt', t.values.notVerified),
      ...eventsOfType(trail, 'verification.left_unticked').map((e) => fill(t.lines.leftUnticked, { at: at(e.at) })),
      ...eventsOfType(trail, 'verification.disowned').map((e) => fill(t.lines.disowned, { at: at(e.at) })),
    );
  }

  function arrivedParagraphs(): string[] {
    const received = eventsOfType(trail, 'request.received')[0];
    // A request taken by phone, post or in person was received when the person made it (the deadline counts from
    // then) and entered later by an operator: both are stated, so the two times do not contradict each other.
    // So was held mail: it arrived when intake held it (the deadline counts from then), and made the request when an
    // operator vouched for it, whose record is written then.
    const { entry, admitted } = request;
    const first = entry
      ? block(row('channel', t.values[request.channel]), row('receivedAt', m.received(request)), row('enteredAt', at(entry.at)), row('enteredBy', who(entry.by)))
      : admitted
        ? block(row('channel', t.values[request.channel]), row('receivedAt', at(request.receivedAt)), row('heldBecause', t.values[admitted.held]), row('admittedAt', at(admitted.at)), row('admittedBy', who(admitted.by)))
        : block(row('channel', t.values[request.channel]), row('receivedAt', at(received?.at ?? request.receivedAt)));
    const mails = eventsOfType(trail, 'mail.received').map((e) =>
      block(
        fill(t.lines.mailArrived, { at: at(e.detail.arrivedAt ?? (e.detail.held ? request.receivedAt : e.at)) }),
        row('sha256', e.detail.sha256),
        row('verdicts', Object.entries(e.detail.verdicts).map(([check, verdict]) => `${words(t.verdictChecks, check)} — ${verdictWords(e.detail, check, verdict)}`).join('; ')),
        row('outcome', words(t.mailOutcomes, e.detail.outcome)),
        // Those listed and those counted only (the raw mail holds them): how many the mail held.
        row('attachments', String((e.detail.attachments?.length ?? 0) + (e.detail.attachments ? (e.detail.moreAttachments ?? 0) : 0))),
      ),
    );
    // Files the person attached to the web form: counted, with their sizes; the files stay in the operator's records.
    const formFiles = eventsOfType(trail, 'form.attachments').flatMap((e) => e.detail.attachments);
    const files = formFiles.length ? [row('formFiles', `${formFiles.length} (${formFiles.map((f) => new Intl.NumberFormat(language).format(f.size)).join(', ')})`)] : [];
    const noRawMessage = isEnteredChannel(request.channel) ? fill(t.lines.noRawMessageEntered, { channel: m.requestChannel(request.channel) }) : t.values.noRawMessage;
    return mails.length ? [first, ...mails, ...files] : [first, row('sha256', noRawMessage), ...files];
  }

  /**
   * A check's verdict in words. Mail held because no check vouched for its sender (and not disowned by DMARC) passed
   * SPF for another domain than the sender's, if at all: said so, not a bare "passed" beside the reason it was held. A
   * signature's pass names no domain (the receipt never says whose), so it reads as passed.
   */
  function verdictWords(detail: { verdicts: SesVerdicts; held?: string }, check: string, verdict: string): string {
    const forAnother = detail.held === 'unauthenticated' && detail.verdicts.dmarc !== 'FAIL' && check === 'spf' && verdict === 'PASS';
    return forAnother ? t.values.passedNotForSender : words(t.verdicts, verdict);
  }

  function deadlineParagraphs(): string[] {
    const { deadline } = request;
    const rule = deadline.rule;
    const extended = eventsOfType(trail, 'deadline.extended');
    return [
      block(
        row('rule', rule.id),
        row('citation', localize(rule.citation, language)),
        row('term', fill(t.lines.term, { amount: String(rule.amount), unit: t.units[rule.unit] })),
        row('origin', t.values[ORIGIN_VALUE[rule.origin]]),
        row('ruleSource', inLanguage(rule.source, language)),
        // A request that keeps its rule by id: the texts above are this release's, and whether it still has the rule as applied.
        // In hex, as the pack's other SHA-256 (the item keeps it in base64url, fewer bytes at each write).
        rule.storedAs !== undefined && row('ruleDigest', fill(rule.storedAs.current ? t.lines.ruleDataSame : t.lines.ruleDataChanged, { digest: Buffer.from(rule.storedAs.digest, 'base64url').toString('hex') })),
        row('receivedAt', m.received({ ...request, receivedAt: deadline.receivedAt })),
        row('dueAt', at(deadline.dueAt)),
        request.entry?.promisedBy !== undefined && row('promisedBy', at(request.entry.promisedBy)),
      ),
      block(
        row('calendar', `${language === 'en' ? input.calendar.name : m.country(input.calendar.country)} (${input.calendar.country})`),
        row('calendarSource', inLanguage(input.calendar.source, language)),
        row('transfers', input.calendar.transfers.length ? '' : t.values.none),
        ...input.calendar.transfers.map((transfer) => `  ${fill(t.lines.transfer, { dayOff: m.day(transfer.dayOff), workingDay: m.day(transfer.workingDay), basis: inLanguage(transfer.basis, language) })}`),
      ),
      block(
        row('extension', extended.length ? '' : t.values.none),
        ...extended.map((e) => `  ${fill(t.lines.extended, { at: at(e.at), from: at(e.detail.from), to: at(e.detail.to), citation: rule.appliedExtension ? localize(rule.appliedExtension.citation, language) : e.detail.citation })}`),
        extended.length > 0 && request.extensionReason !== undefined && row('extensionReason', request.extensionReason),
      ),
    ];
  }

  function decisionParagraphs(): string[] {
    const asked = eventsOfType(trail, 'decision.requested');
    const classified = eventsOfType(trail, 'request.classified');
    const made = eventsOfType(trail, 'decision.made');
    // Closed as not a request: when, by whom, and the words the person was told, if any (the request keeps the last).
    const notARequest = eventsOfType(trail, 'request.not_a_request').map((e, index, all) =>
      block(
        row('closedAsNotARequest', at(e.at)),
        row('closedBy', who(e.detail.operator)),
        row('decision', t.values.notARequest),
        index === all.length - 1 && e.detail.messaged && request.notARequest?.text !== undefined && row('toldThePerson', request.notARequest.text),
      ),
    );
    if (!asked.length && !made.length && !notARequest.length) return [t.values.noDecision];
    const basisOf = (ground: string | undefined) => {
      const basis = request.decision?.basis;
      if (ground && ground !== 'written') return input.groundText(ground) ?? ground;
      if (basis && typeof basis === 'object' && 'text' in basis) return `${basis.text} (${t.values.writtenBasis})`;
      return typeof basis === 'string' ? basis : undefined;
    };
    return [
      ...asked.map((e) => row('decisionAsked', fill(t.lines.decisionAsked, { at: at(e.at), reasons: m.list(input.decisionReasons.length ? input.decisionReasons : e.detail.reasons) }))),
      ...classified.map((e) => row('classified', fill(t.lines.classified, { at: at(e.at), types: m.kindNames(e.detail.types as RequestType[]), by: who(e.detail.operator) }))),
      ...made.map((e, index) => {
        // Who decided: the person or the key (a trail written before operators signed in as people names the key id).
        // The request keeps the last decision's words (reason, basis); earlier ones are in the trail by their ids.
        const last = index === made.length - 1;
        const basis = basisOf(e.detail.ground);
        const legacyKeyId = (e.detail as { operatorKeyId?: string }).operatorKeyId;
        return block(
          row('decidedAt', at(e.at)),
          row('decidedBy', e.detail.operator ? who(e.detail.operator) : legacyKeyId ? who({ kind: 'key', keyId: legacyKeyId }) : '—'),
          row('decision', e.detail.approved ? t.values.approved : t.values.refused),
          !e.detail.approved && basis !== undefined && row('basis', basis),
          e.detail.erasedFields !== undefined && row('erasureLimitedTo', e.detail.erasedFields.join(', ')),
          last && !e.detail.approved && request.decision?.reason !== undefined && row('reason', request.decision.reason),
        );
      }),
      ...notARequest,
    ];
  }

  function sourceParagraphs(): string[] {
    const lines = trail.flatMap((e) => {
      // A source with no step to take (every source stands ready for a request a person decides on, a claim among
      // them): nothing was done there, and the pack lists it nowhere.
      if (e.type === 'source.applied' && !Object.keys(e.detail.outcomes).length) return [];
      if (e.type === 'source.applied') {
        const outcomes = Object.entries(e.detail.outcomes).map(([step, outcome]) => `${t.steps[step as keyof typeof t.steps] ?? step}: ${outcomeText(outcome)}`);
        return [
          block(
            fill(t.lines.sourceApplied, { at: at(e.at), source: input.sourceName(e.detail.sourceId) }),
            row('attempt', String(e.detail.attempt)),
            row('outcomes', outcomes.join('; ')),
            e.detail.erasedFields !== undefined && row('erasedFields', e.detail.erasedFields.join(', ')),
          ),
        ];
      }
      if (e.type === 'source.failed') {
        const error = e.detail.error === NO_RESULT_AFTER_RETRIES ? t.values.noResultAfterRetries : e.detail.error;
        return [fill(t.lines.sourceFailed, { at: at(e.at), source: input.sourceName(e.detail.sourceId), error })];
      }
      return [];
    });
    return lines.length ? lines : [t.values.noSources];
  }

  /** A source step's outcome as fulfilment records it: "done: <count>", or "kept" (a legal basis kept the records as they were). */
  function outcomeText(outcome: string): string {
    const done = /^done: (\d+)$/.exec(outcome);
    if (done) return fill(t.lines.done, { count: done[1]! });
    return outcome === 'kept' ? t.values.kept : outcome;
  }

  function processorParagraphs(): string[] {
    const told = eventsOfType(trail, 'processor.notified').map((e) =>
      block(
        fill(t.lines.processorTold, { at: at(e.at), processor: input.processorName(e.detail.processorId) }),
        row('noticeType', m.kindName(e.detail.noticeType as DataSubjectRequest['types'][number])),
        row('channel', e.detail.channel === 'email' || e.detail.channel === 'webhook' ? t.values[e.detail.channel] : e.detail.channel),
        row('delivered', yesNo(e.detail.delivered)),
        row('attempts', String(e.detail.attempts)),
        e.detail.signature && row('signature', e.detail.signature),
      ),
    );
    return told.length ? told : [t.values.noProcessors];
  }

  function mailParagraphs(): string[] {
    const mails = trail.flatMap((e) => {
      if (e.type === 'mail.sent') return [block(fill(t.lines.mailSent, { at: at(e.at), kind: mailKind(e.detail.template) }), row('messageId', e.detail.messageId), row('mailSha256', e.detail.sha256))];
      if (e.type === 'mail.withheld') return [fill(t.lines.mailWithheld, { at: at(e.at), kind: mailKind(e.detail.template), reason: words(t.withheldReasons, e.detail.reason) })];
      return [];
    });
    return mails.length ? mails : [t.values.noMail];
  }

  function answerParagraph(): string {
    // Mail closed as not a request was neither answered nor refused, and no term ran for it: when, by whom, and
    // whether the operator's words were mailed — not "answered on time".
    const closedAsNone = request.status === 'NOT_A_REQUEST' ? eventsOfType(trail, 'request.not_a_request').at(-1) : undefined;
    if (closedAsNone) {
      const mailed = eventsOfType(trail, 'mail.sent').find((e) => e.detail.template === 'notARequest');
      return block(
        row('answeredAt', t.values.closedAsNotARequest),
        row('closedAsNotARequest', at(closedAsNone.at)),
        row('closedBy', who(closedAsNone.detail.operator)),
        row('wordsMailedAt', mailed ? at(mailed.at) : t.values.noWordsMailed),
        row('dueAt', at(request.deadline.dueAt)),
        row('margin', t.values.termNotApplied),
      );
    }
    const answered = eventsOfType(trail, 'mail.sent').find((e) => ANSWERING_MAIL.has(e.detail.template))?.at ?? request.closedAt;
    const due = new Date(request.deadline.dueAt);
    const isWorkingDay = input.isWorkingDay;
    if (answered) {
      const margin = workingHoursBetween(new Date(answered), due, zone, isWorkingDay);
      return block(row('answeredAt', at(answered)), row('dueAt', at(request.deadline.dueAt)), row('margin', fill(margin >= 0 ? t.lines.onTime : t.lines.late, { hours: hours(Math.abs(margin)) })));
    }
    const left = workingHoursBetween(input.generatedAt, due, zone, isWorkingDay);
    return block(row('answeredAt', t.values.notAnswered), row('dueAt', at(request.deadline.dueAt)), row('margin', fill(left >= 0 ? t.lines.stillOpen : t.lines.overdue, { hours: hours(Math.abs(left)) })));
  }

  function chainParagraph(): string {
    const { chain } = input;
    if (!chain.verified) return row('chainResult', fill(t.lines.broken, { seq: String(chain.broken.seq), problem: t.problems[chain.broken.problem] }));
    return block(
      row('chainResult', fill(t.lines.verified, { events: String(chain.events) })),
      row('digest', chain.anchor ? fill(t.lines.anchored, { key: chain.anchor.digest, day: m.day(chain.anchor.day), seq: String(chain.anchor.seq) }) : t.values.notAnchored),
      chain.anchor?.digestSha256 !== undefined && row('digestSha256', chain.anchor.digestSha256),
    );
  }
}
