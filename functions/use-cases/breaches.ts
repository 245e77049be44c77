import { createHash } from 'node:crypto';
import { localize, mailDomain } from '../config/profile-schema.ts';
import {
  breachSchemas,
  newBreachReference,
  parseAddSubjects,
  parseBreachInput,
  unfiledNotices,
  type AffectedPerson,
  type AffectedSubject,
  type AuthorityNotice,
  type Breach,
} from '../domain/breaches/breach.ts';
import { authorityNoticeDocument } from '../domain/breaches/notice-document.ts';
import { loadBreachTexts } from '../domain/breaches/texts.ts';
import { loadMessageCatalogue } from '../domain/message-catalogues.ts';
import { NoRuleInForceError } from '../domain/deadlines/index.ts';
import { documentAsText } from '../domain/document.ts';
import { ConflictError, NotFoundError, ValidationError, toFieldProblems } from '../domain/errors.ts';
import { inLanguage } from '../domain/localized.ts';
import { normaliseEmail } from '../domain/person-key.ts';
import type { Language } from '../domain/request-types.ts';
import * as z from '../domain/schema.ts';
import type { Dependencies } from './dependencies.ts';

type Deps = Pick<Dependencies, 'profile' | 'deadlines' | 'breaches' | 'clock'>;

/** The notices a breach detected at this instant owes: the profile's jurisdiction, then every other regime it answers to. */
function noticesFor(deps: Pick<Dependencies, 'profile' | 'deadlines'>, detectedAt: Date): AuthorityNotice[] {
  const regimes = [...new Set([deps.profile.jurisdiction, ...deps.profile.breaches.alsoUnder])];
  return regimes.flatMap((jurisdiction) => {
    try {
      return [{ deadline: deps.deadlines.breachNotice(jurisdiction, detectedAt) }];
    } catch (error) {
      // A regime with no notice duty on that day (KZ before 1 July 2024, California) owes no notice.
      if (error instanceof NoRuleInForceError) return [];
      throw error;
    }
  });
}

/** Records a breach the operator detected; computes each authority's notice due time. */
export async function recordBreach(deps: Deps, input: unknown, idempotencyKey?: string): Promise<{ breach: Breach; created: boolean }> {
  const parsed = parseBreachInput(input);
  const detectedAt = new Date(parsed.detectedAt);
  const now = deps.clock.now();
  if (detectedAt.getTime() > now.getTime() + 60_000) throw new ValidationError([{ field: 'detectedAt', message: 'is in the future' }], 'breach');
  const notices = noticesFor(deps, detectedAt);
  const breach: Breach = { ...parsed, id: newBreachReference(), detectedAt: detectedAt.toISOString(), recordedAt: now.toISOString(), version: 1, notices, subjectCount: 0 };
  return deps.breaches.create(
    breach,
    { type: 'breach.recorded', detail: { detectedAt: breach.detectedAt, notices: notices.map((n) => ({ jurisdiction: n.deadline.rule.jurisdiction, dueAt: n.deadline.dueAt, ruleId: n.deadline.rule.id })) } },
    idempotencyKey,
  );
}

/** The same person listed twice, by the operator or found again in the sources, is one entry. */
async function subjectKey(deps: Pick<Dependencies, 'keyedHash'>, person: AffectedPerson): Promise<string> {
  if (person.email) return deps.keyedHash('email', normaliseEmail(person.email));
  if (person.iin) return deps.keyedHash('iin', person.iin);
  return deps.keyedHash('phone', person.phone!.replace(/\D/g, ''));
}

function firstValue(record: Record<string, unknown>, attributes: string[]): string | undefined {
  for (const attribute of attributes) {
    const value = record[attribute];
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return undefined;
}

/** One affected person to list: as the operator gave them, or as the sources' records (foundIn) describe them. */
interface Listed {
  person: AffectedPerson;
  foundIn: string[];
  recordsLanguage?: Language;
}

/** A language the profile offers (the operator writes the mail's text in those), or nothing. */
function offered(deps: Pick<Dependencies, 'profile'>, language: unknown): Language | undefined {
  return deps.profile.languages.includes(language as Language) ? (language as Language) : undefined;
}

/**
 * What the sources' records say about one person, read through the profile's identity fields; apart, the language
 * the records give them (which the person's own requests outrank, see readingLanguage).
 */
function personFromRecords(deps: Pick<Dependencies, 'profile'>, email: string, records: Array<Record<string, unknown>>): Listed {
  const fields = deps.profile.breaches.identityFields;
  const pick = (attributes: string[]) => records.map((record) => firstValue(record, attributes)).find(Boolean);
  const name = records
    .map((record) => fields.name.map((parts) => parts.map((part) => firstValue(record, [part])).filter(Boolean).join(' ')).find(Boolean))
    .find(Boolean);
  const iin = pick(fields.iin);
  const recordsLanguage = offered(deps, pick(fields.language));
  return {
    person: { email, ...(name && { name }), ...(iin && { iin }), ...(pick(fields.phone) && { phone: pick(fields.phone) }) },
    foundIn: [],
    ...(recordsLanguage && { recordsLanguage }),
  };
}

/**
 * The language a person's breach mail is in: the one the operator gave; else that of the person's latest confirmed
 * request (the language they chose to write to us in; an unconfirmed one may be a stranger's); else the one their
 * records give; else the profile's default.
 */
async function readingLanguage(deps: Pick<Dependencies, 'profile' | 'requests' | 'personKey'>, { person, recordsLanguage }: Listed): Promise<Language> {
  if (person.language) return person.language;
  const requests = person.email ? await deps.requests.findByPerson(await deps.personKey(person.email)) : [];
  const written = requests.filter((request) => request.verifiedAt).map((request) => offered(deps, request.language));
  return written.find(Boolean) ?? recordsLanguage ?? deps.profile.defaultLanguage;
}

export interface AddSubjectsResult {
  added: number;
  alreadyListed: number;
  /** Addresses none of the sources holds records about (not added). */
  notFound: number;
  /** Sources that failed to answer: the addresses asked there may be incomplete; ask again. */
  failedSources: string[];
  subjectCount: number;
}

/**
 * Adds affected people: as the operator lists them, or by asking every data source of the profile which of these
 * addresses it holds records about (find only — nothing is changed). Each is kept under a keyed hash of their
 * identifier with what the notice needs; a person listed again is not added twice.
 */
export async function addAffectedSubjects(deps: Deps & Pick<Dependencies, 'keyedHash' | 'connectorFor' | 'requests' | 'personKey'>, breachId: string, input: unknown): Promise<AddSubjectsResult> {
  const parsed = parseAddSubjects(input);
  const breach = await deps.breaches.get(breachId);
  const failedSources = new Set<string>();
  let notFound = 0;
  let people: Listed[];
  if ('people' in parsed) {
    people = parsed.people.map((person) => ({ person, foundIn: [] }));
  } else {
    people = [];
    for (const address of new Set(parsed.find.map(normaliseEmail))) {
      const found: Array<{ sourceId: string; records: Array<Record<string, unknown>> }> = [];
      for (const source of deps.profile.sources) {
        try {
          const records = await deps.connectorFor(source).find({ email: address });
          if (records.length) found.push({ sourceId: source.id, records });
        } catch {
          failedSources.add(source.id);
        }
      }
      if (!found.length) {
        notFound++;
        continue;
      }
      people.push({ ...personFromRecords(deps, address, found.flatMap((f) => f.records)), foundIn: found.map((f) => f.sourceId) });
    }
  }
  let added = 0;
  for (const listed of people) {
    const { person, foundIn } = listed;
    const subject: AffectedSubject = {
      ...person,
      key: await subjectKey(deps, person),
      language: await readingLanguage(deps, listed),
      foundIn,
      delivery: { status: person.email ? 'pending' : 'no_address' },
    };
    if (await deps.breaches.addSubject(breachId, subject)) added++;
  }
  const alreadyListed = people.length - added;
  const updated = await updateWithRetry(deps, breach.id, (current) => ({
    next: { ...current, subjectCount: current.subjectCount + added },
    events: [{ type: 'breach.subjects_added', detail: { via: 'people' in parsed ? 'operator' : 'sources', added, alreadyListed, notFound } }],
  }));
  return { added, alreadyListed, notFound, failedSources: [...failedSources], subjectCount: updated.subjectCount };
}

/** Re-reads and retries a change when another writer got there first (two operators adding people at once). */
async function updateWithRetry(deps: Pick<Dependencies, 'breaches'>, id: string, change: (current: Breach) => { next: Breach; events: Parameters<Dependencies['breaches']['update']>[1] }): Promise<Breach> {
  for (let attempt = 1; ; attempt++) {
    const { next, events } = change(await deps.breaches.get(id));
    try {
      return await deps.breaches.update(next, events);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt === 5) throw error;
    }
  }
}

/** Every affected person of a breach, page after page. */
async function allSubjects(deps: Pick<Dependencies, 'breaches'>, breachId: string): Promise<AffectedSubject[]> {
  const subjects: AffectedSubject[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.breaches.listSubjects(breachId, { cursor, limit: 500 });
    subjects.push(...page.subjects);
    cursor = page.cursor;
  } while (cursor);
  return subjects;
}

function noticeOf(breach: Breach, jurisdiction: string | undefined): AuthorityNotice {
  const notice = jurisdiction ? breach.notices.find((n) => n.deadline.rule.jurisdiction === jurisdiction) : breach.notices[0];
  if (!notice) {
    throw new NotFoundError(
      breach.notices.length
        ? `breach ${breach.id} owes no notice under ${jurisdiction} (it owes: ${breach.notices.map((n) => n.deadline.rule.jurisdiction).join(', ')})`
        : `breach ${breach.id} owes no notice to an authority: no regime of the profile had a notice duty when it was detected`,
    );
  }
  return notice;
}

export interface ProducedNotice {
  text: string;
  pdf?: Buffer;
  missing: string[];
  sha256: string;
}

/** The notice to one authority, ready to file, as text or PDF (`render` turns the document into a PDF); recorded in the trail. */
export async function authorityNotice(
  deps: Deps & Pick<Dependencies, 'audit'>,
  breachId: string,
  options: { language: Language; jurisdiction?: string; format: 'text' | 'pdf' },
  render: (document: ReturnType<typeof authorityNoticeDocument>['document']) => Promise<Buffer>,
): Promise<ProducedNotice> {
  const breach = await deps.breaches.get(breachId);
  const notice = noticeOf(breach, options.jurisdiction);
  await loadMessageCatalogue(options.language);
  const { document, missing } = authorityNoticeDocument(breach, notice, await allSubjects(deps, breachId), deps.profile, options.language, deps.clock.now());
  const text = documentAsText(document);
  const pdf = options.format === 'pdf' ? await render(document) : undefined;
  const sha256 = createHash('sha256').update(pdf ?? text).digest('hex');
  await deps.audit.append(breachId, {
    type: 'breach.notice_produced',
    detail: { jurisdiction: notice.deadline.rule.jurisdiction, language: options.language, format: options.format, sha256, missing },
  });
  return { text, pdf, missing, sha256 };
}

/** The operator says the notice to an authority was filed (when, and under what number). */
export async function recordFiling(deps: Deps, breachId: string, input: { jurisdiction?: unknown; filedAt?: unknown; reference?: unknown }): Promise<Breach> {
  const problems = [];
  if (input.jurisdiction !== undefined && typeof input.jurisdiction !== 'string') problems.push({ field: 'jurisdiction', message: 'must be a jurisdiction code, e.g. KZ' });
  if (input.filedAt !== undefined && (typeof input.filedAt !== 'string' || Number.isNaN(Date.parse(input.filedAt)))) problems.push({ field: 'filedAt', message: 'must be an ISO 8601 instant' });
  if (input.reference !== undefined && (typeof input.reference !== 'string' || !input.reference.trim() || input.reference.length > 200)) problems.push({ field: 'reference', message: 'must be a short text' });
  if (problems.length) throw new ValidationError(problems, 'filing');
  const filedAt = new Date((input.filedAt as string | undefined) ?? deps.clock.now().toISOString());
  if (filedAt.getTime() > deps.clock.now().getTime() + 60_000) throw new ValidationError([{ field: 'filedAt', message: 'is in the future' }], 'filing');
  return updateWithRetry(deps, breachId, (breach) => {
    const notice = noticeOf(breach, input.jurisdiction as string | undefined);
    if (notice.filedAt) throw new ConflictError(`the notice of ${breach.id} under ${notice.deadline.rule.jurisdiction} was already recorded as filed at ${notice.filedAt}`);
    const jurisdiction = notice.deadline.rule.jurisdiction;
    const filingReference = (input.reference as string | undefined)?.trim();
    return {
      next: {
        ...breach,
        notices: breach.notices.map((n) => (n === notice ? { ...n, filedAt: filedAt.toISOString(), ...(filingReference && { filingReference }) } : n)),
      },
      events: [{ type: 'breach.notice_filed', detail: { jurisdiction, filedAt: filedAt.toISOString(), ...(filingReference && { filingReference }) } }],
    };
  });
}

/**
 * The data involved as a person reading `language` is told it: the operator's list in that language, else the
 * register's categories where that is the profile's default language (the operator writes the register in it).
 */
function dataInvolved(deps: Pick<Dependencies, 'profile'>, breach: Breach, given: Partial<Record<Language, string[]>> | undefined, language: Language): string[] | undefined {
  return given?.[language] ?? (language === deps.profile.defaultLanguage ? breach.dataCategories : undefined);
}

/** The mail one affected person receives, in their language, with the operator's approved words and the data involved. */
export async function personNoticeMail(deps: Pick<Dependencies, 'profile'>, breach: Breach, subject: Pick<AffectedSubject, 'name' | 'language'>, operatorText: string, data: readonly string[]) {
  const { texts, fill, date, list } = await loadBreachTexts(subject.language);
  const zone = breach.notices[0]?.deadline.timeZone ?? deps.profile.jurisdiction;
  const operator = localize(deps.profile.operator.name, subject.language);
  const values = {
    reference: breach.id,
    greetingName: subject.name ? `, ${subject.name}` : '',
    operator,
    detectedAt: date(breach.detectedAt, zone),
    data: list(data),
    operatorText,
    contact: deps.profile.operator.contactEmail,
  };
  // The sender's name in the mail's language, as every mail to a person has it.
  return { subject: fill(texts.personMail.subject, values), text: fill(texts.personMail.body, values), fromName: operator };
}

/** Languages the affected people read, from their entries (every page). */
async function languagesInUse(deps: Pick<Dependencies, 'breaches'>, breachId: string): Promise<Set<Language>> {
  return new Set((await allSubjects(deps, breachId)).filter((s) => s.delivery.status !== 'no_address').map((s) => s.language));
}

/** What each person would receive, per language in use, before the operator approves it. */
export async function previewPersonNotice(deps: Deps, breachId: string, input: unknown): Promise<Array<{ language: Language; subject: string; text: string }>> {
  const breach = await deps.breaches.get(breachId);
  const texts = z.partial(breachSchemas().PersonNoticeInputSchema).safeParse(input ?? {});
  const given = (texts.success ? texts.data.texts : undefined) ?? breach.personNotice?.texts ?? {};
  const givenData = (texts.success ? texts.data.dataCategories : undefined) ?? breach.personNotice?.dataCategories;
  const languages = [...(await languagesInUse(deps, breachId))];
  return Promise.all(
    languages.map(async (language) => {
      const data = dataInvolved(deps, breach, givenData, language) ?? [`[${language}: the data involved]`];
      const { subject, text } = await personNoticeMail(deps, breach, { name: '…', language }, given[language] ?? `[${language}: your text here]`, data);
      return { language, subject, text };
    }),
  );
}

/**
 * The operator approves the mail to affected people, with their own words in every language those people read;
 * from then on the mails go out (a first batch now, the rest with each watch run).
 */
export async function approvePersonNotice(deps: Deps & Pick<Dependencies, 'mailer' | 'audit' | 'limits'>, breachId: string, input: unknown): Promise<{ breach: Breach; sent: number }> {
  const parsed = breachSchemas().PersonNoticeInputSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(toFieldProblems(parsed.error.issues), 'person notice');
  const languages = await languagesInUse(deps, breachId);
  if (!languages.size) throw new ConflictError(`breach ${breachId} has no affected person with an e-mail address yet; add them first`);
  const recorded = await deps.breaches.get(breachId);
  const dataCategories = Object.fromEntries([...languages].map((language) => [language, dataInvolved(deps, recorded, parsed.data.dataCategories, language)]));
  const problems = [...languages].flatMap((language) => [
    ...(parsed.data.texts[language] ? [] : [{ field: `texts.${language}`, message: `affected people read ${language}; give the text in ${language}` }]),
    ...(dataCategories[language]
      ? []
      : [{ field: `dataCategories.${language}`, message: `affected people read ${language}; name the data involved in ${language} (the register's categories stand for ${deps.profile.defaultLanguage}, the profile's default language)` }]),
  ]);
  if (problems.length) throw new ValidationError(problems, 'person notice');
  const breach = await updateWithRetry(deps, breachId, (current) => {
    if (current.personNotice) throw new ConflictError(`the mail to the affected people of ${breachId} was already approved at ${current.personNotice.approvedAt}`);
    const sha256 = Object.fromEntries(Object.entries(parsed.data.texts).map(([language, text]) => [language, createHash('sha256').update(text).digest('hex')]));
    return {
      next: { ...current, personNotice: { approvedAt: deps.clock.now().toISOString(), texts: parsed.data.texts, dataCategories: dataCategories as Record<Language, string[]> } },
      events: [{ type: 'breach.person_notice_approved', detail: { languages: Object.keys(parsed.data.texts), sha256 } }],
    };
  });
  const sent = await continueMailing(deps, breach);
  return { breach: await deps.breaches.get(breachId), sent };
}

/**
 * Sends the approved mail to people still pending, at most `mailsPerRun` at a time. Each delivery is claimed first
 * (pending → sending), so two runs never mail one person twice; a crash between claim and send leaves `sending`,
 * which is shown to the operator and never re-sent by itself. Each mail is charged to the person's per-address
 * budget like every other mail to them: over it, the notice goes back to pending, held, and the next run tries again.
 */
export async function sendPersonNotices(
  deps: Pick<Dependencies, 'profile' | 'breaches' | 'mailer' | 'audit' | 'clock' | 'limits'>,
  breach: Breach,
): Promise<{ sent: number; held: AffectedSubject[]; remaining: boolean }> {
  const approved = breach.personNotice;
  if (!approved) return { sent: 0, held: [], remaining: false };
  const budget = deps.profile.breaches.mailsPerRun;
  const held: AffectedSubject[] = [];
  let sent = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.breaches.listSubjects(breach.id, { cursor, limit: 100, delivery: 'pending' });
    for (const subject of page.subjects) {
      if (sent >= budget) return { sent, held, remaining: true };
      const now = deps.clock.now();
      if (!(await deps.breaches.setDelivery(breach.id, subject.key, 'pending', { status: 'sending', at: now.toISOString() }))) continue;
      // The subject's key is the same keyed hash of the address as every other mail's budget key (personKey).
      if (!(await deps.limits.spendRecipient(subject.key, deps.profile.limits.recipientMails, now))) {
        const heldSince = subject.delivery.heldSince ?? now.toISOString();
        await deps.breaches.setDelivery(breach.id, subject.key, 'sending', { status: 'pending', heldSince });
        if (!subject.delivery.heldSince) await deps.audit.append(breach.id, { type: 'breach.person_notice_held', detail: { subject: subject.key, reason: 'recipient_budget' } });
        held.push({ ...subject, delivery: { status: 'pending', heldSince } });
        continue;
      }
      // A notice approved before it named the data involved names the register's categories.
      const mail = await personNoticeMail(deps, breach, subject, approved.texts[subject.language] ?? '', approved.dataCategories?.[subject.language] ?? breach.dataCategories);
      const messageId = `<${breach.id}.breach.${subject.key.slice(0, 16)}@${mailDomain(deps.profile)}>`;
      try {
        await deps.mailer.send({ to: subject.email!, subject: mail.subject, text: mail.text, fromName: mail.fromName, messageId });
      } catch (error) {
        await deps.breaches.setDelivery(breach.id, subject.key, 'sending', { status: 'failed', at: deps.clock.now().toISOString(), error: (error as Error).name });
        await deps.audit.append(breach.id, { type: 'breach.person_notice_failed', detail: { subject: subject.key, error: (error as Error).name } });
        continue;
      }
      await deps.breaches.setDelivery(breach.id, subject.key, 'sending', { status: 'sent', messageId, at: deps.clock.now().toISOString() });
      await deps.audit.append(breach.id, { type: 'breach.person_notified', detail: { subject: subject.key, language: subject.language, messageId } });
      sent++;
    }
    cursor = page.cursor;
  } while (cursor);
  return { sent, held, remaining: held.length > 0 };
}

/**
 * A notice held for longer than the budget's whole window means other mail keeps spending that address's budget
 * (perhaps requests sent in the person's name): the operator and the responsible person hear it once per breach,
 * so they can reach these people another way. The held notices keep being tried with every run.
 */
async function alertHeldTooLong(deps: Pick<Dependencies, 'profile' | 'mailer' | 'audit' | 'clock'>, breach: Breach, held: AffectedSubject[]): Promise<void> {
  const { windowHours } = deps.profile.limits.recipientMails;
  const longHeld = held.filter((s) => deps.clock.now().getTime() - Date.parse(s.delivery.heldSince!) > windowHours * 3_600_000);
  if (!longHeld.length) return;
  const alert = 'person_notices_held';
  if ((await deps.audit.list(breach.id)).some((e) => e.type === 'operator.alerted' && e.detail.alert === alert)) return;
  const { texts, fill } = await loadBreachTexts(deps.profile.defaultLanguage);
  const values = { reference: breach.id, count: String(longHeld.length), hours: String(windowHours) };
  for (const to of new Set([deps.profile.operator.contactEmail, breach.responsible.email])) {
    await deps.mailer.send({ to, subject: fill(texts.heldAlert.subject, values), text: fill(texts.heldAlert.body, values), messageId: `<${breach.id}.${alert}@${mailDomain(deps.profile)}>` });
  }
  await deps.audit.append(breach.id, { type: 'operator.alerted', detail: { alert } });
}

/** Sends the next batch; once nobody is left pending, the breach says so (and leaves the watch's index if all is filed). */
export async function continueMailing(deps: Pick<Dependencies, 'profile' | 'breaches' | 'mailer' | 'audit' | 'clock' | 'limits'>, breach: Breach): Promise<number> {
  const { sent, held, remaining } = await sendPersonNotices(deps, breach);
  await alertHeldTooLong(deps, breach, held);
  if (!remaining) {
    const current = await deps.breaches.get(breach.id);
    if (current.personNotice && !current.personNotice.finishedAt) {
      await deps.breaches.update({ ...current, personNotice: { ...current.personNotice, finishedAt: deps.clock.now().toISOString() } }, []);
    }
  }
  return sent;
}

/** A breach as the operator sees it: its notices with due times and filing, how many people, how far the mails got. */
export async function breachView(deps: Pick<Dependencies, 'breaches' | 'clock' | 'profile'>, breach: Breach) {
  const now = deps.clock.now().getTime();
  const deliveries: Record<string, number> = {};
  for (const subject of await allSubjects(deps, breach.id)) {
    // A notice the person's mail budget holds back is pending, shown apart so the operator sees it waits.
    const shown = subject.delivery.status === 'pending' && subject.delivery.heldSince ? 'held' : subject.delivery.status;
    deliveries[shown] = (deliveries[shown] ?? 0) + 1;
  }
  return {
    reference: breach.id,
    detectedAt: breach.detectedAt,
    recordedAt: breach.recordedAt,
    description: breach.description,
    dataCategories: breach.dataCategories,
    systems: breach.systems,
    measuresTaken: breach.measuresTaken,
    likelyConsequences: breach.likelyConsequences,
    responsible: breach.responsible,
    notices: breach.notices.map((n) => ({
      jurisdiction: n.deadline.rule.jurisdiction,
      authority: n.deadline.authority.en,
      dueAt: n.deadline.dueAt,
      rule: { id: n.deadline.rule.id, citation: inLanguage(n.deadline.rule.citation, 'en'), confidence: n.deadline.rule.confidence },
      filedAt: n.filedAt,
      filingReference: n.filingReference,
      overdue: !n.filedAt && now > Date.parse(n.deadline.dueAt),
    })),
    open: unfiledNotices(breach).length > 0,
    subjectCount: breach.subjectCount,
    personNotice: breach.personNotice ? { approvedAt: breach.personNotice.approvedAt, finishedAt: breach.personNotice.finishedAt, languages: Object.keys(breach.personNotice.texts) } : undefined,
    deliveries,
  };
}
