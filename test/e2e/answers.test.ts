import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall, postJson, startTestSystem } from '../support/local-system.ts';
import { MailSink, verificationLink, type ReceivedMail } from '../support/mail-sink.ts';

/**
 * I-License through the local runtime: a withdrawal, an opt-out, access with erasure, and a claim, each answered in
 * full — the whole text the person receives is compared (references, dates and link tokens aside), not a status code.
 */
const PROFILE = 'profiles/seeds/i-license.json';
const ASEL = 'asel.nurpeisova@mail.example';
const ERLAN = 'erlan.mukhamedov@mail.example';
let sink: MailSink;
let system: RunningSystem;

beforeAll(async () => {
  sink = await new MailSink().start();
  system = await startTestSystem({ profile: PROFILE, mailRelayUrl: sink.url });
});
afterAll(async () => {
  await system?.stop();
  await sink?.stop();
});

/** The text with what changes from run to run written as placeholders: the reference, instants, link tokens. */
function normalised(text: string, reference: string): string {
  return text
    .trimEnd()
    .replaceAll(reference, '<reference>')
    .replace(/token=[\w-]+/g, 'token=<token>')
    .replace(/https?:\/\/[^/\s]+\//g, '<site>/')
    .replace(/\d{1,2} [^\s,]+ \d{4}, \d{2}:\d{2} (по времени Астаны|Astana time)/g, '<time>')
    .replace(/\d{4} жылғы \d{1,2} \S+, \d{2}:\d{2} \(Астана уақыты\)/g, '<time>');
}

async function submitAndConfirm(email: string, body: Record<string, unknown>): Promise<string> {
  const submitted = await postJson(`${system.url}/api/requests`, { email, ...body });
  expect(submitted.status).toBe(202);
  const reference = String(submitted.body.reference);
  const verification = await sink.waitFor((m) => m.subject.includes(reference) && m.text.includes('/verify?code='));
  expect((await postJson(`${system.url}/api/verifications`, { code: verificationLink(verification).searchParams.get('code') })).status).toBe(200);
  return reference;
}

const answerTo = (reference: string, email: string): Promise<ReceivedMail> =>
  sink.waitFor((m) => m.to.includes(email) && m.subject.includes(reference) && /Ответ на ваш запрос|Answer to your request|Сұрауыңызға жауап/.test(m.subject), 40_000);

const FOOTER_RU = `Если вы не согласны с ответом, вы можете написать нам или обратиться в уполномоченный орган в сфере защиты персональных данных.

ТОО «I-License»
info@license.kz`;

describe('I-License, end to end', () => {
  it('a withdrawal: the consents ended, and no word of a failed source', async () => {
    const reference = await submitAndConfirm(ASEL, { type: 'consent_withdrawal', name: 'Асель', language: 'ru' });
    const answer = await answerTo(reference, ASEL);
    expect(normalised(answer.text, reference)).toBe(`Здравствуйте, Асель!

Направляем ответ на ваш запрос <reference>, полученный <time> (отзыв согласия на обработку).

Ваше согласие отозвано для целей: Оказание Услуг Пользователю (п. 2.2.1); Идентификация Пользователя, в том числе в базе Оператора (п. 2.2.2); Взаимодействие с Пользователем, в том числе по сетям электронной связи: SMS-сообщения и электронные письма (п. 2.2.3); Направление Пользователю рекламных материалов, информации и запросов (п. 2.2.4); Уведомления о новых продуктах и услугах, специальных предложениях и различных событиях (примечание к п. 2.2); Статистические и иные исследования, в том числе маркетинговые; формирование базы данных и статистической отчётности (п. 2.2.5). Мы больше не обрабатываем ваши данные в этих целях.

${FOOTER_RU}`);
    // Nothing went to the operator: nothing failed.
    expect(sink.messages.filter((m) => m.to.includes('info@license.kz') && m.subject.includes(reference))).toEqual([]);
    const history = (await operatorCall(system, 'GET', `/operator/consents?email=${ASEL}&history=1`)).body.history as Array<{ type: string; evidence: { requestId?: string } }>;
    expect(history.filter((e) => e.type === 'withdrawn' && e.evidence.requestId === reference)).toHaveLength(6);
  });

  it('an opt-out: off the mailing list, and told so', async () => {
    const reference = await submitAndConfirm(ERLAN, { type: 'marketing_opt_out', name: 'Ерлан', language: 'ru' });
    const answer = await answerTo(reference, ERLAN);
    expect(normalised(answer.text, reference)).toBe(`Здравствуйте, Ерлан!

Направляем ответ на ваш запрос <reference>, полученный <time> (отказ от рекламных рассылок).

Вы больше не будете получать от нас рекламных сообщений.

Вы исключены из списков рассылки: «Подписка на уведомления о новых продуктах, услугах и специальных предложениях».

${FOOTER_RU}`);
  });

  it('access with erasure: every record under its label, another person\'s data withheld, the held invoice kept with its basis', async () => {
    const reference = await submitAndConfirm(ASEL, { types: ['access', 'erasure'], name: 'Asel', language: 'en' });
    const answer = await answerTo(reference, ASEL);
    const text = normalised(answer.text, reference);
    expect(text.slice(0, text.indexOf('Your consents:'))).toBe(`Hello, Asel,

This is the answer to your request <reference> received on <time> (information about your personal data; destruction of your personal data).

Personal data we hold about you:

"Registration data of site users"
    Record number: user
    E-mail address: asel.nurpeisova@mail.example
    Last name: Нурпеисова
    First name: Асель
    Patronymic: Болатовна
    IIN: 900315410004
    Gender: женский
    Phone: +7 701 555 27 28
    Field of activity: строительство
    Registered on: 6 May 2024

"Documents submitted to obtain services"
    Record number: doc-2024-05-06-01
    E-mail address: asel.nurpeisova@mail.example
    Document type: удостоверение личности (скан)
    Whose data the document holds: Нурпеисова Асель Болатовна
    File: uploads/2024/05/06/udl-scan.pdf
    Uploaded at: <time>
    Application: Заявка L-2024-0517: лицензия на строительно-монтажные работы

    Record number: doc-2024-05-06-02
    E-mail address: asel.nurpeisova@mail.example
    Document type: диплом инженера-строителя (скан), данные третьего лица
    File: uploads/2024/05/06/diploma-scan.pdf
    Uploaded at: <time>
    Application: Заявка L-2024-0517: лицензия на строительно-монтажные работы
    Whose data the document holds: not shown — the document holds another person's personal data, which cannot be disclosed without their consent

"Orders and payments for services under the Public Offer"
    Record number: invoice-2024-0517
    E-mail address: asel.nurpeisova@mail.example
    Service: Сопровождение получения лицензии
    Payer: Нурпеисова Асель Болатовна
    Amount: ₸150,000
    Paid on: 8 May 2024

"Subscription to notifications about new products, services and special offers"
    Record number: subscription
    E-mail address: asel.nurpeisova@mail.example
    First name: Асель
    Phone for text messages: +7 701 555 27 28
    Channels: e-mail, text messages
    Subscribed on: 6 May 2024

Purposes and legal basis of processing:
* Providing the Services to the User (clause 2.2.1) — the User's consent (Policy section "User consent") and the Public Offer
* Identifying the User, including in the Operator's database (clause 2.2.2) — the User's consent (Policy section "User consent") and the Public Offer
* Communicating with the User, including over electronic networks: SMS and e-mail (clause 2.2.3) — the User's consent (Policy section "User consent")
* Sending advertising materials, information and requests to the User (clause 2.2.4) — the User's consent (Policy section "User consent")
* Notifications about new products and services, special offers and events (note to clause 2.2) — the User's consent (Policy section "User consent")
* Statistical and other research, including marketing research; building the user database and statistical reporting (clause 2.2.5) — the User's consent (Policy section "User consent")

Where the data is kept:
* Registration data of site users: last name, first name, patronymic; individual identification number (IIN); gender; phone number (including mobile); e-mail address; field of activity (clause 2.3 and section "User consent")
* Documents submitted to obtain services: scanned documents, including ones with third parties' personal data: document type, whose data it holds, file, upload date, application (clauses 1.7, 2.3.5)
* Orders and payments for services under the Public Offer: invoice number, service, amount, payment date, payer (clause 1.9)
* Subscription to notifications about new products, services and special offers: first name, e-mail address, phone number for SMS, mailing channels, subscription date

Retention: until you withdraw consent: consent runs for 3 years from the day your data reached the Operator and is prolonged by another 3 years each time it is not withdrawn (without limit); on your written demand the data are deleted within 30 working days of its receipt

Who receives your data or processes it for us:
nobody outside our company.

Your data may also be stored or processed outside Kazakhstan: The Operator may store Personal Data and Data on servers outside the Republic of Kazakhstan (Policy clause 3.4); the Policy does not name the countries

`);
    // The consent history shows the withdrawal made earlier, with its channel and request.
    expect(text).toMatch(/Your consents:\n(\* .+: consent withdrawn on <time>, on the website, request DRB-[0-9A-Z]{5}-[0-9A-Z]{5}\n){6}/);
    const tail = text.slice(text.indexOf('Your data is destroyed'));
    expect(tail).toBe(`Your data is destroyed: "Registration data of site users", "Documents submitted to obtain services", "Subscription to notifications about new products, services and special offers".

Kept because the law requires it — "Orders and payments for services under the Public Offer": invoices and payment records for services are primary accounting documents the Operator must keep under the Law of the Republic of Kazakhstan "On Accounting and Financial Reporting" and the Tax Code. We keep this data for as long as the law requires.

A copy of this answer, as a page: <site>/download?token=<token>&lang=en&format=html
and as a JSON file: <site>/download?token=<token>&lang=en&format=json
Each link works once, until <time>.

If you disagree with this answer, you may write to us or complain to the authorised body for personal data protection.

I-License LLP
info@license.kz`);
    expect(text).not.toMatch(/could not finish|Ахметов/);
  });

  it('a claim: the operator\'s answer reaches the person, in Kazakh', async () => {
    const reference = await submitAndConfirm(ASEL, { type: 'claim', name: 'Асель', language: 'kk', message: 'Маған рұқсатсыз жарнама хаттары келеді.' });
    for (let i = 0; i < 100; i++) {
      const pending = (await operatorCall(system, 'GET', '/operator/decisions')).body.decisions as Array<{ requestId: string }>;
      if (pending.some((d) => d.requestId === reference)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const words = 'Талабыңызды тексердік: қос есептен шығару жойылды, ақша үш жұмыс күні ішінде картаңызға қайтарылады.';
    expect((await operatorCall(system, 'POST', `/operator/decisions/${reference}`, { decision: 'approve', answer: words })).status).toBe(200);
    const answer = await answerTo(reference, ASEL);
    expect(normalised(answer.text, reference)).toBe(`Сәлеметсіз бе, Асель!

<reference> сұрауыңызға (сотқа дейінгі талап) жауап береміз. Сұрау алынған уақыт: <time>.

Талабыңызға жауабымыз:
${words}

Жауаппен келіспесеңіз, бізге жаза аласыз немесе дербес деректерді қорғау саласындағы уәкілетті органға жүгіне аласыз.

«I-License» ЖШС
info@license.kz`);
  });
});
