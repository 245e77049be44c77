import { readFileSync } from 'node:fs';
import { parseProfile } from '../../functions/config/load-profile.ts';
import { localize, type OperatorProfile } from '../../functions/config/profile-schema.ts';
import { ALERT_KINDS, messagesFor } from '../../functions/domain/messages.ts';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';
import { LANGUAGES, REQUEST_TYPES, type Language, type RequestType } from '../../functions/domain/request-types.ts';
import { hashSecretCode } from '../../functions/domain/secret-code.ts';
import { notifyAndAnswer } from '../../functions/use-cases/answer.ts';
import { withdrawForRequest } from '../../functions/use-cases/consent.ts';
import { addAffectedSubjects, approvePersonNotice, recordBreach } from '../../functions/use-cases/breaches.ts';
import { applyToSource } from '../../functions/use-cases/fulfilment.ts';
import { applyDecision, closeAsNotARequest, decide, extendDeadline, writeToPerson } from '../../functions/use-cases/operator.ts';
import { enterRequest } from '../../functions/use-cases/operator-actions.ts';
import { deadlineFor } from '../../functions/use-cases/submit-request.ts';
import { receiveEmail } from '../../functions/use-cases/receive-email.ts';
import { watchDeadlines } from '../../functions/use-cases/watch-deadlines.ts';
import { markStopped, recordFailure } from '../../functions/use-cases/attention.ts';
import { closeUnverified, requestVerification } from '../../functions/use-cases/verification.ts';
import { escalateDecision, planFulfilment, requestDecision } from '../../functions/use-cases/workflow-steps.ts';
import { memorySystem, type MemorySystem } from '../support/memory-deps.ts';
import type { OutgoingMail } from '../../functions/use-cases/ports.ts';

/**
 * Renders every mail derbes sends to a person, an operator or a processor — through the use cases the workflow runs,
 * with their ports in memory — for each shipped profile and every language it offers, at a fixed time with fixed
 * references. test/unit/golden.test.ts compares the result with the reviewed files under test/golden/.
 */

/** Tuesday 10 February 2026, 10:15 in Astana: no holiday near, so every due date is an ordinary one. */
export const RECEIVED_AT = new Date('2026-02-10T05:15:00Z');
/** The random values a mail carries: download tokens, and a breach's reference; written as these in the golden files. */
const TOKEN = /token=[A-Za-z0-9_-]{43}/g;
const BREACH_REFERENCE = /BRC-[0-9A-Z]{5}-[0-9A-Z]{5}/g;
const VERIFICATION_CODE = 'golden-verification-code-golden-verification-code';
/** The operator key a decision is made with (recorded in the trail, never in mail). */
const OPERATOR = { kind: 'key', keyId: 'key-golden' } as const;

type Localized = Record<Language, string>;

/** Who asks, and the particulars of each profile's cases. */
export interface GoldenProfile {
  slug: string;
  file: string;
  person: string;
  name: string;
  /** A correction the person asks for (fields the profile declares correctable). */
  changes: Record<string, string>;
  /** A second person whose access answer shows something the first one's does not (withheld fields). */
  alsoAccess?: { person: string; name: string };
  /** The profile, changed for a case the shipped one cannot show (an extension under the GDPR). */
  adjust?: (profile: OperatorProfile) => OperatorProfile;
  /** Variants render only the cases named here. */
  only?: readonly string[];
}

export const GOLDEN_PROFILES: readonly GoldenProfile[] = [
  { slug: 'demo', file: 'profiles/demo.json', person: 'aigerim@example.kz', name: 'Айгерим', changes: { phone: '+7 701 555 99 00' } },
  { slug: '4sell', file: 'profiles/seeds/4sell.json', person: 'arman.zhaksybekov@mail.example', name: 'Арман', changes: { phone: '+7 701 555 43 21' } },
  {
    slug: '4sell-cashier',
    file: 'profiles/seeds/4sell-cashier.json',
    person: 'timur.bekov@mail.example',
    name: 'Тимур',
    changes: { phone: '+7 747 555 20 11' },
    alsoAccess: { person: 'aruzhan.kaliyeva@mail.example', name: 'Аружан' },
  },
  { slug: 'unnamed-site', file: 'profiles/seeds/unnamed-site.json', person: 'sam.taylor@mail.example', name: 'Sam', changes: { city: 'Астана' } },
  { slug: 'vnedrah', file: 'profiles/seeds/vnedrah.json', person: 'nurlan.abenov@mail.example', name: 'Нурлан', changes: { address: 'г. Сатпаев, ул. Абая, 7, кв. 3' } },
  { slug: 'i-license', file: 'profiles/seeds/i-license.json', person: 'asel.nurpeisova@mail.example', name: 'Асель', changes: { phone: '+7 701 555 27 29' } },
  {
    // Law 94-V allows no extension; the demo under the GDPR shows the extension notice and the GDPR's citations.
    slug: 'demo-eu',
    file: 'profiles/demo.json',
    person: 'aigerim@example.kz',
    name: 'Aigerim',
    changes: { phone: '+7 701 555 99 00' },
    adjust: (profile) => ({ ...profile, jurisdiction: 'EU' }),
    only: ['receipt', 'extension', 'refusal', 'refusal-claim'],
  },
];

/** A person's mail asking for a correction: its subject, which derbes' mails answer under once the address is confirmed. */
const MAIL_SUBJECT: Localized = { ru: 'Изменение номера телефона', kk: 'Телефон нөмірін өзгерту', en: 'Change of my phone number' };

/** A breach as the operator records it, detected that morning in Astana. */
const BREACH = {
  detectedAt: '2026-02-10T09:00:00+05:00',
  description: 'Выгрузка клиентской базы была доступна по открытой ссылке',
  dataCategories: ['ФИО', 'телефон', 'адрес электронной почты'],
  systems: ['CRM'],
  measuresTaken: 'Ссылка отключена',
  responsible: { name: 'Ержан', email: 'security@vnedrah.example' },
};

/** The breach's data categories as each person reads them (the register's are written once). */
const BREACH_DATA = {
  ru: ['ФИО', 'телефон', 'адрес электронной почты'],
  kk: ['аты-жөні', 'телефон нөмірі', 'электрондық пошта мекенжайы'],
  en: ['full name', 'phone number', 'e-mail address'],
};

/** What the operator writes, in the person's language (their own words, as they would type them). */
const OPERATOR_WORDS: Record<'answer' | 'claimAnswer' | 'refusalReason' | 'claimRefusalReason' | 'extensionReason' | 'question' | 'breach' | 'notARequest', Localized> = {
  breach: {
    ru: 'Выгрузка клиентской базы два часа была доступна по открытой ссылке. Ссылку мы отключили. Рекомендуем сменить пароль от личного кабинета.',
    kk: 'Клиенттер базасының көшірмесі екі сағат бойы ашық сілтеме арқылы қолжетімді болды. Сілтемені өшірдік. Жеке кабинетіңіздің құпиясөзін ауыстыруды ұсынамыз.',
    en: 'An export of our customer database could be reached through an open link for two hours. We have disabled the link. We recommend that you change the password of your account.',
  },
  notARequest: {
    ru: 'Спасибо за письмо. С вопросами о доставке заказа обращайтесь, пожалуйста, в службу поддержки через форму на сайте.',
    kk: 'Хатыңыз үшін рақмет. Тапсырысты жеткізу туралы сұрақтарыңызды сайттағы форма арқылы қолдау қызметіне жіберіңіз.',
    en: 'Thank you for your message. For questions about delivering your order, please write to our support team through the form on our website.',
  },
  question: {
    ru: 'Уточните, пожалуйста, номер договора, о котором идёт речь в вашей претензии.',
    kk: 'Талабыңызда қай шарт туралы айтылып тұрғанын, оның нөмірін нақтылап жіберіңізші.',
    en: 'Please tell us the number of the contract your claim is about.',
  },
  answer: {
    ru: 'Телефон обновлён по копии удостоверения, которую вы прислали.',
    kk: 'Телефон нөмірі сіз жіберген куәлік көшірмесі бойынша жаңартылды.',
    en: 'Your phone number is updated from the copy of your identity card you sent.',
  },
  claimAnswer: {
    ru: 'Мы проверили вашу претензию: двойное списание отменено, деньги вернутся на карту в течение трёх рабочих дней.',
    kk: 'Талабыңызды тексердік: қос есептен шығару жойылды, ақша үш жұмыс күні ішінде картаңызға қайтарылады.',
    en: 'We checked your claim: the double charge is cancelled, and the money returns to your card within three working days.',
  },
  refusalReason: {
    ru: 'Ваш договор на оказание услуг ещё действует, и исполнить его без обработки ваших данных нельзя. После его окончания вы сможете отозвать согласие.',
    kk: 'Қызмет көрсету шартыңыз әлі күшінде, оны деректеріңізді өңдемей орындау мүмкін емес. Шарт аяқталғаннан кейін келісіміңізді кері қайтарып ала аласыз.',
    en: 'Your service contract is still in force, and it cannot be performed without processing your data. Once it ends, you can withdraw your consent.',
  },
  claimRefusalReason: {
    ru: 'Мы проверили списание, о котором вы пишете: оплата за март прошла один раз, по договору, а ваш номер телефона мы получили от вас при регистрации.',
    kk: 'Сіз жазған есептен шығаруды тексердік: наурыз үшін төлем шарт бойынша бір рет қана өтті, ал телефон нөміріңізді тіркелу кезінде өзіңізден алдық.',
    en: 'We checked the charge you write about: March was paid once, under your contract, and we received your phone number from you when you signed up.',
  },
  extensionReason: {
    ru: 'Ваши записи хранятся в трёх архивных системах, и на их сбор нужно больше времени.',
    kk: 'Жазбаларыңыз үш мұрағат жүйесінде сақталған, оларды жинауға көбірек уақыт қажет.',
    en: 'Your records are kept in three archived systems, and gathering them takes longer.',
  },
};

/** One rendered mail: where its golden file lives, and what it says. */
export interface GoldenMail {
  path: string;
  to: string;
  /** The company's name in From, where the mail sets it (the person's mails, in their language). */
  fromName?: string;
  inReplyTo?: string;
  references?: string[];
  subject: string;
  text: string;
  language: Language;
  profile: GoldenProfile;
  kind: 'person' | 'operator' | 'processor';
}

function loadProfile(golden: GoldenProfile): OperatorProfile {
  const profile = parseProfile(JSON.parse(readFileSync(golden.file, 'utf8')), golden.file);
  return golden.adjust ? parseProfile(golden.adjust(profile), `${golden.file} (${golden.slug})`) : profile;
}

function demoData(golden: GoldenProfile): Record<string, Array<Record<string, unknown>>> {
  return JSON.parse(readFileSync(golden.file.replace(/\.json$/, '.data.json'), 'utf8')) as Record<string, Array<Record<string, unknown>>>;
}

/** References are fixed by the order cases run in, so a new case changes only its own files. */
function reference(profileIndex: number, caseIndex: number): string {
  return `DRB-${String(profileIndex).padStart(5, '0')}-${String(caseIndex).padStart(5, '0')}`;
}

async function createRequest(
  system: MemorySystem,
  id: string,
  person: { email: string; name: string },
  language: Language,
  types: RequestType[],
  changes?: Record<string, string>,
  byMail?: Pick<DataSubjectRequest, 'message' | 'firstMail' | 'particularData'>,
  entered?: Pick<DataSubjectRequest, 'channel' | 'entry' | 'verifiedAt'>,
): Promise<DataSubjectRequest> {
  const deps = system.deps;
  const request: DataSubjectRequest = {
    id,
    types,
    status: 'RECEIVED',
    channel: byMail ? 'email' : 'web',
    email: person.email,
    personKey: await deps.personKey(person.email),
    name: person.name,
    language,
    receivedAt: RECEIVED_AT.toISOString(),
    // An unclear request runs on the strictest term of all, as submitRequest gives it.
    deadline: deadlineFor(deps, types.length ? types : REQUEST_TYPES, RECEIVED_AT),
    ...(changes ? { changes } : {}),
    ...byMail,
    ...entered,
  };
  await deps.requests.create(request, { type: 'request.received', detail: { channel: request.channel, types, dueAt: request.deadline.dueAt, ruleId: request.deadline.rule.id } });
  return request;
}

/** The verification step, where the execution starts: the receipt goes out with the confirmation link, in one mail. */
async function receipt(system: MemorySystem, id: string): Promise<void> {
  const expiresAt = new Date(RECEIVED_AT.getTime() + 72 * 3_600_000);
  await requestVerification(system.deps, id, `task-token-${id}`, expiresAt, () => ({ code: VERIFICATION_CODE, codeHash: hashSecretCode(VERIFICATION_CODE) }));
}

/** The person confirmed the link: what the confirmation does to the request. */
async function confirmed(system: MemorySystem, id: string): Promise<void> {
  await system.deps.requests.transition(id, 'RECEIVED', 'AWAITING_VERIFICATION');
  await system.deps.requests.transition(id, 'AWAITING_VERIFICATION', 'IN_PROGRESS', { verifiedAt: RECEIVED_AT.toISOString() }, [{ type: 'verification.confirmed', detail: {} }]);
}

/** The state machine after verification, step by step: plan, the operator's decision where one is needed, then fulfil and answer. */
async function fulfil(system: MemorySystem, id: string, decision: { answer?: string; types?: RequestType[]; fields?: string[] } = {}): Promise<void> {
  const deps = system.deps;
  const plan = await planFulfilment(deps, id);
  if (plan.needsDecision) {
    await requestDecision(deps, id, `task-token-${id}`);
    await decide(deps, id, { decision: 'approve', ...decision }, OPERATOR);
    await applyDecision(deps, id);
  }
  await withdrawForRequest(deps, id);
  for (const sourceId of plan.sourceIds ?? []) {
    try {
      await applyToSource(deps, id, sourceId);
    } catch {
      // The workflow's Map catches a source that keeps failing; the answer names it.
    }
  }
  await notifyAndAnswer(deps, id, new Date(deps.clock.now().getTime() + 60_000));
}

type Case = {
  name: string;
  run: (system: MemorySystem, id: string, language: Language, golden: GoldenProfile) => Promise<void>;
  person?: 'also' | 'nobody';
  /** The person gave no consent before the request (every other case starts from one, see grantFirstConsent). */
  noConsentBefore?: true;
  /** The profiles that show this case, where the others would only repeat it. */
  profiles?: readonly string[];
};

const answerCase = (name: string, types: RequestType[]): Case => ({
  name,
  run: async (system, id, language, golden) => {
    const person = { email: golden.person, name: golden.name };
    await createRequest(system, id, person, language, types, types.includes('rectification') ? golden.changes : undefined);
    await confirmed(system, id);
    system.mailer.sent.length = 0;
    // The operator's words where a decision carries them: the answer to a claim, a note on a correction.
    const answer = types.includes('claim') ? OPERATOR_WORDS.claimAnswer[language] : types.includes('rectification') ? OPERATOR_WORDS.answer[language] : undefined;
    await fulfil(system, id, answer ? { answer } : {});
  },
});

const CASES: readonly Case[] = [
  {
    name: 'receipt',
    run: async (system, id, language, golden) => {
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['access', 'erasure']);
      await receipt(system, id);
    },
  },
  {
    name: 'receipt-unclear',
    run: async (system, id, language, golden) => {
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, []);
      await receipt(system, id);
    },
  },
  {
    name: 'closed-unverified',
    run: async (system, id, language, golden) => {
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['access']);
      await receipt(system, id);
      system.mailer.sent.length = 0;
      await closeUnverified(system.deps, id);
    },
  },
  answerCase('answer-access', ['access']),
  answerCase('answer-rectification', ['rectification']),
  {
    name: 'answer-unblocking',
    run: async (system, id, language, golden) => {
      // Blocked first (its mails are another file's), then unblocked.
      await answerCase('', ['blocking']).run(system, `${id.slice(0, -1)}B`, language, golden);
      await answerCase('', ['unblocking']).run(system, id, language, golden);
    },
  },
  answerCase('answer-blocking', ['blocking']),
  answerCase('answer-erasure', ['erasure']),
  answerCase('answer-consent-withdrawal', ['consent_withdrawal']),
  answerCase('answer-marketing-opt-out', ['marketing_opt_out']),
  answerCase('answer-access-and-erasure', ['access', 'erasure']),
  answerCase('answer-claim', ['claim']),
  { ...answerCase('answer-erasure-nothing-found', ['erasure']), person: 'nobody' },
  { ...answerCase('answer-access-other-person', ['access']), person: 'also' },
  {
    name: 'answer-source-failed',
    run: async (system, id, language, golden) => {
      const [first] = system.sources.values();
      if (first) first.failing = true;
      await answerCase('', ['access']).run(system, id, language, golden);
    },
  },
  {
    name: 'refusal',
    run: async (system, id, language, golden) => {
      const deps = system.deps;
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['consent_withdrawal']);
      await confirmed(system, id);
      // The operator looks at it (as a profile that reviews withdrawals would have it) and refuses it, with a ground.
      await deps.requests.transition(id, 'IN_PROGRESS', 'AWAITING_DECISION', {}, [{ type: 'decision.requested', detail: { reasons: [] } }]);
      await deps.decisions.put({ requestId: id, taskToken: `task-token-${id}`, reasons: [], requestedAt: RECEIVED_AT.toISOString() });
      system.mailer.sent.length = 0;
      const ground = deps.profile.jurisdiction === 'EU' ? 'eu-manifestly-unfounded' : 'kz-withdrawal-contradicts-law';
      await decide(deps, id, { decision: 'deny', reason: OPERATOR_WORDS.refusalReason[language], basis: ground }, OPERATOR);
      await applyDecision(deps, id);
    },
  },
  {
    name: 'interim-answer',
    run: async (system, id, language, golden) => {
      const deps = system.deps;
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['claim']);
      await confirmed(system, id);
      const plan = await planFulfilment(deps, id);
      await requestDecision(deps, id, `task-token-${id}`);
      system.mailer.sent.length = 0;
      await escalateDecision(deps, plan);
    },
  },
  {
    name: 'progress-notice',
    run: async (system, id, language, golden) => {
      const deps = system.deps;
      const request = await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['access']);
      await confirmed(system, id);
      system.mailer.sent.length = 0;
      // An hour before the due date the request is still open (a source has not answered): notice, reminders, alerts.
      system.setNow(new Date(Date.parse(request.deadline.dueAt) - 3_600_000));
      await watchDeadlines(deps);
      system.setNow(new Date(Date.parse(request.deadline.dueAt) + 3_600_000));
      await watchDeadlines(deps);
    },
  },
  {
    name: 'extension',
    run: async (system, id, language, golden) => {
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['access']);
      await confirmed(system, id);
      system.mailer.sent.length = 0;
      await extendDeadline(system.deps, id, OPERATOR_WORDS.extensionReason[language], OPERATOR);
    },
  },
  {
    // A request made by mail: every mail to the person answers theirs (In-Reply-To), under their subject.
    name: 'answer-rectification-by-mail',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      const firstMail = { messageId: `<person-mail.${id}@mail.example>`, subject: MAIL_SUBJECT[language], authenticated: false };
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['rectification'], golden.changes, { message: MAIL_SUBJECT[language], firstMail });
      await confirmed(system, id);
      system.mailer.sent.length = 0;
      await fulfil(system, id, { answer: OPERATOR_WORDS.answer[language] });
    },
  },
  {
    // A step fails after its retries: the operator is told what to run again; at the safety margin the request is still
    // stuck, so the person hears that the answer is delayed and the operator is alerted again.
    name: 'step-failed',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      const request = await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['access']);
      await confirmed(system, id);
      system.mailer.sent.length = 0;
      await recordFailure(system.deps, { requestId: id, step: 'ApplyToSources', error: 'Lambda.Unknown', taskToken: `task-token-${id}` });
      system.setNow(new Date(Date.parse(request.deadline.dueAt) - 3_600_000));
      await watchDeadlines(system.deps);
    },
  },
  {
    // The deadline watch finds an open request whose execution no longer runs.
    name: 'workflow-stopped',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      const request = await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['access']);
      await confirmed(system, id);
      system.mailer.sent.length = 0;
      await markStopped(system.deps, await system.deps.requests.get(request.id), 'FAILED');
    },
  },
  {
    // The operator writes to the person in their own words, inside a notice in the person's language.
    name: 'operator-message',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['claim']);
      await confirmed(system, id);
      system.mailer.sent.length = 0;
      await writeToPerson(system.deps, id, OPERATOR_WORDS.question[language], OPERATOR);
    },
  },
  {
    // The person's first reply to a confirmed request: acknowledged once, in fixed words, under their reply.
    name: 'reply-received',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['rectification'], golden.changes);
      await confirmed(system, id);
      system.mailer.sent.length = 0;
      const reply = [`From: ${golden.person}`, 'To: privacy@derbes.local', `Subject: Re: [${id}]`, `Message-ID: <reply.${id}@mail.example>`, 'Content-Type: text/plain; charset=utf-8', '', MAIL_SUBJECT[language], ''].join('\r\n');
      await receiveEmail(system.deps, `ses-${id}`, new TextEncoder().encode(reply), { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' });
    },
  },
  {
    // Taken by phone, the person's identity checked by the operator: the receipt, with no link to confirm.
    name: 'receipt-entered',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      const entry = { by: 'operator@derbes.local', at: RECEIVED_AT.toISOString(), identity: 'attested' as const, attestation: 'call back' };
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['access'], undefined, undefined, { channel: 'phone', entry, verifiedAt: RECEIVED_AT.toISOString() });
      // The verification step sends it and ends its own wait; a restart runs the step again: the receipt is not sent twice.
      await receipt(system, id);
      await receipt(system, id);
    },
  },
  {
    name: 'answer-access-after-erasure',
    run: async (system, id, language, golden) => {
      // Two requests of one person, confirmed together: the erasure reached the source first and kept for the access
      // what it was about to destroy.
      const person = { email: golden.person, name: golden.name };
      const erasure = `${id.slice(0, -1)}E`;
      for (const [request, types] of [[erasure, ['erasure']], [id, ['access']]] as const) {
        await createRequest(system, request, person, language, [...types]);
        await confirmed(system, request);
      }
      await fulfil(system, erasure);
      system.mailer.sent.length = 0;
      await fulfil(system, id);
    },
    profiles: ['demo'],
  },
  {
    // A claim examined and found without a breach: the ground the jurisdiction has for it, and where to turn next.
    name: 'refusal-claim',
    run: async (system, id, language, golden) => {
      const deps = system.deps;
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['claim']);
      await confirmed(system, id);
      await planFulfilment(deps, id);
      await requestDecision(deps, id, `task-token-${id}`);
      system.mailer.sent.length = 0;
      const ground = `${deps.profile.jurisdiction.toLowerCase()}-claim-no-violation`;
      await decide(deps, id, { decision: 'deny', reason: OPERATOR_WORDS.claimRefusalReason[language], basis: ground }, OPERATOR);
      await applyDecision(deps, id);
    },
  },
  {
    // Mail nobody could classify, confirmed and waiting for the operator to read it: the person's mails name it in
    // words for them, not with the operator's instruction to classify it (nor with nothing at all).
    name: 'interim-answer-unclear',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      const deps = system.deps;
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, []);
      await confirmed(system, id);
      const plan = await planFulfilment(deps, id);
      await requestDecision(deps, id, `task-token-${id}`);
      system.mailer.sent.length = 0;
      await escalateDecision(deps, plan);
    },
  },
  {
    // The person answered the receipt ("I confirm") instead of pressing its link: told once that replying confirms
    // nothing, in fixed words, under their reply.
    name: 'reply-before-confirmation',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['access']);
      await receipt(system, id);
      system.mailer.sent.length = 0;
      const reply = [`From: ${golden.person}`, 'To: privacy@derbes.local', `Subject: Re: [${id}]`, `Message-ID: <reply.${id}@mail.example>`, 'Content-Type: text/plain; charset=utf-8', '', MAIL_SUBJECT[language], ''].join('\r\n');
      await receiveEmail(system.deps, `ses-${id}`, new TextEncoder().encode(reply), { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' });
    },
  },
  {
    // A letter received by post on 2 February, entered on the 10th with the identity checked: erasure was due on the
    // 3rd. The receipt says so, and when the answer comes instead. The watch keeps to that date: nothing at entry, the
    // person's notice and the operator's reminders before it, and after it the operator's alert naming both dates.
    name: 'receipt-entered-late',
    profiles: ['demo', 'vnedrah'],
    run: async (system, id, language, golden) => {
      const request = await enter(system, id, { types: ['erasure'], email: golden.person, name: golden.name, language, channel: 'post', receivedAt: '2026-02-02', identity: 'attested', attestation: 'паспорт' });
      await receipt(system, id);
      await watchDeadlines(system.deps);
      const promisedBy = Date.parse(request.entry!.promisedBy!);
      system.setNow(new Date(promisedBy - 3_600_000));
      await watchDeadlines(system.deps);
      system.setNow(new Date(promisedBy + 3_600_000));
      await watchDeadlines(system.deps);
    },
  },
  {
    // A letter received by post the day before, entered with identity to be confirmed by the link: the receipt says
    // how and when the request came, not that it was sent in the name of the address.
    name: 'receipt-entered-link',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      await enter(system, id, { types: ['access'], email: golden.person, language, channel: 'post', receivedAt: '2026-02-09', identity: 'mail' });
      await receipt(system, id);
    },
  },
  // A withdrawal of someone no source holds: the processors are told of it, and that our own records held nothing.
  { ...answerCase('answer-consent-withdrawal-nothing-found', ['consent_withdrawal']), person: 'nobody', profiles: ['vnedrah'] },
  {
    // A breach: the person, found in the sources, had written to us in this language, and reads the operator's words in it.
    name: 'breach-person-notice',
    profiles: ['vnedrah'],
    run: async (system, id, language, golden) => {
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, ['access']);
      await confirmed(system, id);
      const { breach } = await recordBreach(system.deps, BREACH);
      await addAffectedSubjects(system.deps, breach.id, { find: [golden.person] });
      await approvePersonNotice(system.deps, breach.id, { texts: OPERATOR_WORDS.breach, dataCategories: BREACH_DATA });
    },
  },
  {
    // Mail no check vouched for is held: the operator's alert (once an hour) points at the list of held mail.
    name: 'mail-held',
    profiles: ['demo'],
    run: async (system, id, _language, golden) => {
      const held = [`From: ${golden.person}`, 'To: privacy@derbes.local', `Subject: ${MAIL_SUBJECT.ru}`, `Message-ID: <held.${id}@mail.example>`, 'Content-Type: text/plain; charset=utf-8', '', MAIL_SUBJECT.ru, ''].join('\r\n');
      await receiveEmail(system.deps, `ses-${id}`, new TextEncoder().encode(held), { spam: 'PASS', virus: 'PASS', spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' });
    },
  },
  {
    // Mail nobody could classify, confirmed, that the operator reads and finds to be no request: closed with their
    // words to the person, under the person's mail.
    name: 'not-a-request',
    run: async (system, id, language, golden) => {
      const deps = system.deps;
      const firstMail = { messageId: `<question.${id}@mail.example>`, subject: MAIL_SUBJECT[language], authenticated: false };
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, [], undefined, { message: OPERATOR_WORDS.question[language], firstMail });
      await confirmed(system, id);
      await planFulfilment(deps, id);
      await requestDecision(deps, id, `task-token-${id}`);
      system.mailer.sent.length = 0;
      await closeAsNotARequest(deps, id, { text: OPERATOR_WORDS.notARequest[language] }, OPERATOR);
      await applyDecision(deps, id);
    },
  },
  // Someone we hold nothing of, who never gave a consent, asks to see her data, withdraws her consent and opts out:
  // nothing is held, her refusal is recorded for the future, and the processors are told in case they hold something.
  { ...answerCase('answer-access-withdrawal-opt-out-nothing-held', ['access', 'consent_withdrawal', 'marketing_opt_out']), person: 'nobody', noConsentBefore: true, profiles: ['vnedrah'] },
  {
    // Mail asking to delete particular data: its receipt says that a person reads it before anything is destroyed.
    name: 'receipt-particular-data',
    profiles: ['demo'],
    run: async (system, id, language, golden) => {
      const firstMail = { messageId: `<particular.${id}@mail.example>`, subject: PARTICULAR_DATA[language], authenticated: false };
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, [], undefined, { message: PARTICULAR_DATA[language], firstMail, particularData: true });
      await receipt(system, id);
    },
  },
  // Mail that asks to delete the phone number and nothing else: the operator erases that field alone, the processors
  // are told of it alone, and the answer says what was erased where, and that the rest stays.
  {
    name: 'answer-erasure-of-fields',
    profiles: ['vnedrah', 'i-license'],
    run: async (system, id, language, golden) => {
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, []);
      await confirmed(system, id);
      system.mailer.sent.length = 0;
      await fulfil(system, id, { types: ['erasure'], fields: ['phone'] });
    },
  },
  {
    // The same mail, confirmed: the operator's alert offers the approval that erases only the data named, and the
    // fields the profile lets it name.
    name: 'decision-particular-data',
    profiles: ['demo', 'vnedrah'],
    run: async (system, id, language, golden) => {
      const firstMail = { messageId: `<particular.${id}@mail.example>`, subject: PARTICULAR_DATA[language], authenticated: false };
      await createRequest(system, id, { email: golden.person, name: golden.name }, language, [], undefined, { message: PARTICULAR_DATA[language], firstMail, particularData: true });
      await confirmed(system, id);
      await planFulfilment(system.deps, id);
      system.mailer.sent.length = 0;
      await requestDecision(system.deps, id, `task-token-${id}`);
    },
  },
];

/** A person's mail asking to delete one particular item of their data. */
const PARTICULAR_DATA: Localized = { ru: 'Удалите, пожалуйста, мою фотографию с сайта', kk: 'Сайттағы суретімді өшіріңізші', en: 'Please delete my photo from your website' };

/** An operator enters a request taken by phone, post or in person, as the console does: stored under the case's reference. */
async function enter(system: MemorySystem, id: string, input: Record<string, unknown>): Promise<DataSubjectRequest> {
  const requests = system.deps.requests;
  const create = requests.create.bind(requests);
  requests.create = (request, ...rest) => create({ ...request, id }, ...rest);
  try {
    return (await enterRequest(system.deps, input, OPERATOR, { key: `golden:${id}`, field: 'Idempotency-Key' })).request;
  } finally {
    requests.create = create;
  }
}

/** A consent given before the request, so that access answers show the history and a withdrawal ends a real grant. */
async function grantFirstConsent(system: MemorySystem, email: string): Promise<void> {
  const purpose = system.deps.profile.purposes.find((p) => p.marketing) ?? system.deps.profile.purposes[0]!;
  await system.deps.consent.grant({ personKey: await system.deps.personKey(email), purposeId: purpose.id, at: new Date('2025-05-06T06:00:00Z'), channel: 'web', evidence: {} });
}

/** Which golden file a mail is: the person's, an operator alert (by its kind) or a processor's notice (by processor). */
function goldenPath(mail: OutgoingMail, profile: OperatorProfile, golden: GoldenProfile, caseName: string, language: Language): Pick<GoldenMail, 'path' | 'kind' | 'language'> {
  if (mail.to === profile.operator.contactEmail) {
    const m = messagesFor(profile.defaultLanguage);
    // An alert is named by its kind; the operator's other mails (a failed step, a stopped workflow) by their template,
    // which their Message-ID carries after the reference.
    // The alert about held mail belongs to no request: its Message-ID names it by the hour.
    const template = mail.messageId.startsWith('<mail-held.') ? 'operatorMailHeld' : /^<[^.]+\.(\w+)\./.exec(mail.messageId)?.[1];
    const kind = template === 'operatorAlert' ? (ALERT_KINDS.find((k) => mail.subject.endsWith(`] ${m.alert(k).title}`)) ?? 'unknown-alert') : template;
    const folder = golden.slug === 'demo' ? `operator-${language}` : 'operator';
    return { kind: 'operator', language: profile.defaultLanguage, path: `${golden.slug}/${folder}/${kind}-after-${caseName}.txt` };
  }
  const processor = profile.processors.find((p) => p.notify.kind === 'email' && p.notify.address === mail.to);
  if (processor) return { kind: 'processor', language: processor.language ?? profile.defaultLanguage, path: `${golden.slug}/processors/${processor.id}-after-${caseName}.txt` };
  return { kind: 'person', language, path: `${golden.slug}/${language}/${caseName}.txt` };
}

/** Every golden mail: person mails per language; operator alerts and processor notices in their own language, once. */
export async function renderGoldenMails(): Promise<GoldenMail[]> {
  const mails = new Map<string, GoldenMail>();
  for (const [profileIndex, golden] of GOLDEN_PROFILES.entries()) {
    const base = loadProfile(golden);
    for (const language of base.languages) {
      // The demo shows the operator's mails in every language: it runs with the person's language as the operator's.
      const profile = golden.slug === 'demo' ? { ...base, defaultLanguage: language } : base;
      for (const [caseIndex, testCase] of CASES.entries()) {
        if (golden.only ? !golden.only.includes(testCase.name) : testCase.name === 'extension') continue;
        if (testCase.person === 'also' && !golden.alsoAccess) continue;
        if (testCase.profiles && !testCase.profiles.includes(golden.slug)) continue;
        const system = memorySystem(profile, { now: RECEIVED_AT, data: demoData(golden), webhook: 'fails' });
        const person =
          testCase.person === 'also'
            ? { ...golden, person: golden.alsoAccess!.person, name: golden.alsoAccess!.name }
            : testCase.person === 'nobody'
              ? { ...golden, person: 'nobody.here@mail.example', name: '' }
              : golden;
        if (!testCase.noConsentBefore) await grantFirstConsent(system, person.person);
        await testCase.run(system, reference(profileIndex + 1, LANGUAGES.indexOf(language) * 100 + caseIndex + 1), language, person);
        for (const mail of system.mailer.sent) {
          const where = goldenPath(mail, profile, golden, testCase.name, language);
          // Outside the demo, operator and processor mails come from the run in the operator's own language.
          if (where.kind !== 'person' && golden.slug !== 'demo' && language !== base.defaultLanguage) continue;
          if (mails.has(where.path)) continue;
          mails.set(where.path, { ...where, to: mail.to, fromName: mail.fromName, inReplyTo: mail.inReplyTo, references: mail.references, subject: mail.subject.replace(BREACH_REFERENCE, 'BRC-00000-00000'), text: mail.text.replace(TOKEN, 'token=<token>').replace(BREACH_REFERENCE, 'BRC-00000-00000'), profile: golden });
        }
      }
    }
  }
  return [...mails.values()];
}

/** The file as it is kept: the headers a reviewer needs, then the text. */
export function goldenFile(mail: GoldenMail): string {
  const from = mail.fromName ? `From: ${mail.fromName}\n` : '';
  const inReplyTo = mail.inReplyTo ? `In-Reply-To: ${mail.inReplyTo}\n` : '';
  const references = mail.references ? `References: ${mail.references.join(' ')}\n` : '';
  return `${from}To: ${mail.to}\n${inReplyTo}${references}Subject: ${mail.subject}\n\n${mail.text}\n`;
}

/** Values that come from the profile or the person: a mail may carry them in any script (names, addresses, records). */
export function profileValues(golden: GoldenProfile, language: Language): string[] {
  const profile = loadProfile(golden);
  const values: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') values.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const entries = Object.entries(value);
      // A text in several languages: only the mail's own language is the profile's word for it.
      if (entries.length && entries.every(([key]) => (LANGUAGES as readonly string[]).includes(key))) {
        const own = (value as Record<string, unknown>)[language];
        if (typeof own === 'string') values.push(own);
        return;
      }
      entries.forEach(([, inner]) => walk(inner));
    }
  };
  walk(profile);
  walk(demoData(golden));
  values.push(golden.name, golden.person, ...Object.values(golden.changes), localize(profile.operator.name, language));
  if (golden.alsoAccess) values.push(golden.alsoAccess.name, golden.alsoAccess.person);
  values.push(...Object.values(OPERATOR_WORDS).map((words) => words[language]));
  return values.filter(Boolean);
}
