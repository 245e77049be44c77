import { describe, expect, it } from 'vitest';
import { classifyMailRequestTypes, classifyRequestTypes, erasesParticularData, fixedMailRequestTypes, fixedSubjectTypes } from '../../../functions/domain/email/classify.ts';
import { vocabularies } from '../../../functions/domain/email/index.ts';
import type { RequestType } from '../../../functions/domain/request-types.ts';
import { CORPUS_CONTEXT } from '../../fixtures/mail/build-corpus.ts';

const classify = (text: string): RequestType[] => classifyRequestTypes(text, vocabularies());

describe('classifyRequestTypes', () => {
  it.each<[string, RequestType[]]>([
    ['удалите мои данные', ['erasure']],
    ['Прошу удалить мою учётную запись', ['erasure']],
    ['менің деректерімді жойыңыз', ['erasure']],
    ['please delete my account', ['erasure']],
    ['какие данные вы обо мне храните', ['access']],
    ['Сізде мен туралы қандай мәліметтер бар?', ['access']],
    ['unsubscribe me', ['marketing_opt_out']],
    ['Отпишите меня от рассылки', ['marketing_opt_out']],
    // A bare "delete my phone number" or "my photo" asks for erasure — of particular data, which an operator reads.
    ['Please delete my phone number from your database', ['erasure']],
    ['Please delete my photo from your website.', ['erasure']],
    ['Please remove me from your mailing list', ['marketing_opt_out']],
    ['Не присылайте мне больше акции', ['marketing_opt_out']],
    ['Больше не хочу получать ваши акции', ['marketing_opt_out']],
    ['Уберите меня из рассылки', ['marketing_opt_out']],
    ['Маған акциялар жібермеңіз', ['marketing_opt_out']],
    ['No more promotions please', ['marketing_opt_out']],
    // «акции» are also shares: without a word of sending, receiving or stopping they ask for nothing.
    ['Хочу продать акции', []],
    ['прошу заблокировать мои данные', ['blocking']],
    ['прошу разблокировать мои данные', ['unblocking']],
    ['please lift the block on my data', ['unblocking']],
    ['исправьте мой номер телефона', ['rectification']],
    ['претензия', ['claim']],
    ['отзываю согласие на обработку персональных данных', ['consent_withdrawal']],
    ['келісімімді кері қайтарамын', ['consent_withdrawal']],
    ['Stop the mailing and delete my data', ['erasure', 'marketing_opt_out']],
    ['ОТЗЫВАЮ   СОГЛАСИЕ', ['consent_withdrawal']],
    ['когда доставят мой заказ?', []],
    ['Hello, how are you?', []],
  ])('%s → %j', (text, types) => {
    expect(classify(text)).toEqual(types);
  });

  // Kazakh names erasure with the verbal noun «жою» (the form's own label: «дербес деректерді жою»), where «й» of the
  // stem «жой» becomes «ю»: «жой*» alone misses it.
  it.each<[string, RequestType[]]>([
    ['Менің дербес деректерімді жоюды сұраймын.', ['erasure']],
    ['Дербес деректерімді жою туралы өтінемін.', ['erasure']],
    ['Деректерімді жоюыңызды сұраймын.', ['erasure']],
    ['Жеке мәліметтерімді жоюға өтініш беремін.', ['erasure']],
    ['Менің аккаунтымды жоюды өтінемін.', ['erasure']],
    // «Есептік жазба», the word for an account in Kazakh interfaces.
    ['Есептік жазбамды жоюды сұраймын.', ['erasure']],
    ['Менің есептік жазбамды өшіріңіз.', ['erasure']],
    ['Сіздердің базаларыңыздан менің ақпаратымды жоюларыңызды сұраймын.', ['erasure']],
    ['Берген келісімімді жоюды сұраймын.', ['consent_withdrawal']],
    // Near «дерек*» without «жою»: a road (жол), "no" (жоқ), a project (жоба) ask for nothing.
    ['Деректерім жоқ, жол сілтемесін жіберіңіз.', []],
    ['Жоба деректерін жоғары бағалаймыз.', []],
  ])('Kazakh erasure: %s → %j', (text, types) => {
    expect(classify(text)).toEqual(types);
  });

  // A withdrawal of consent ends every purpose; worded about marketing it asks to stop marketing, nothing more.
  it.each<[string, RequestType[]]>([
    ['Отзываю согласие на рассылку рекламы.', ['marketing_opt_out']],
    ['Отзываю согласие на получение рекламных рассылок', ['marketing_opt_out']],
    ['I withdraw my consent to marketing emails', ['marketing_opt_out']],
    ['Маркетингтік хабарламаларға берген келісімімді кері қайтарып аламын. Маған жарнамалық хаттар жібермеңіздер.', ['marketing_opt_out']],
    ['Өңдеуге берген келісімімді кері қайтарып аламын.', ['consent_withdrawal']],
    ['I withdraw my consent to the processing of my personal data. Also, unsubscribe me from your newsletter.', ['consent_withdrawal', 'marketing_opt_out']],
    ['Отзываю согласие на обработку данных. Отзываю согласие на рассылку.', ['consent_withdrawal']],
    ['I withdraw my consent to all marketing emails', ['marketing_opt_out']],
    ['Отзываю согласие на получение любых рекламных рассылок', ['marketing_opt_out']],
    ['Отзываю согласие на newsletter', ['marketing_opt_out']],
    ['I withdraw my consent to marketing emails. I am tired of them.', ['marketing_opt_out']],
    ['Отзываю согласие на все рекламные рассылки', ['marketing_opt_out']],
    // «Only» limits a withdrawal to marketing ("не только", "not only", "ғана емес" widen it: see below).
    ['Отзываю согласие только на получение рекламных рассылок.', ['marketing_opt_out']],
    ['I withdraw my consent only to marketing emails.', ['marketing_opt_out']],
    ['Тек жарнамаға берген келісімімді ғана кері қайтарамын.', ['marketing_opt_out']],
    // Read too little into a withdrawal and a person's consent stays in force: each of these ends every purpose.
    ['Отзываю согласие на рассылку. Отзываю согласие на обработку данных.', ['consent_withdrawal']],
    ['Я больше не хочу получать рекламу. Отзываю согласие на обработку персональных данных.', ['consent_withdrawal', 'marketing_opt_out']],
    ['Прошу прекратить обработку моих данных и рекламные рассылки', ['consent_withdrawal', 'marketing_opt_out']],
    ['Отзываю согласие на обработку и рекламу.', ['consent_withdrawal']],
    ['I withdraw consent for processing and marketing.', ['consent_withdrawal']],
    ['Өңдеуге және жарнамаға келісімімді кері қайтарамын.', ['consent_withdrawal']],
    ['Барлық келісімдерімді кері қайтарамын, жарнамаға да.', ['consent_withdrawal']],
    ['отзываю согласие на обработку персональных данных, в том числе для рекламных рассылок', ['consent_withdrawal']],
    ['I withdraw my consent.\nJohn Smith\nMarketing Manager, Acme LLC', ['consent_withdrawal']],
    ['I hereby withdraw consent. My mailing address is 12 Baker St.', ['consent_withdrawal']],
    ['Отзываю согласие. Рекламация по заказу 123 во вложении.', ['consent_withdrawal']],
    ['I withdraw my consent for marketing and other purposes.', ['consent_withdrawal']],
    ['Отзываю согласие на рекламу и иные цели.', ['consent_withdrawal']],
    ['I withdraw my consent to everything, advertising included.', ['consent_withdrawal']],
    ['I withdraw consent for all: marketing, analytics, profiling.', ['consent_withdrawal']],
    ['Отзываю согласие на всё: рекламу, звонки, передачу третьим лицам.', ['consent_withdrawal']],
    ['Отзываю согласие не только на рекламу.', ['consent_withdrawal']],
    ['I withdraw my consent not only to marketing emails.', ['consent_withdrawal']],
    ['Тек жарнамаға ғана емес, келісімімді толығымен кері қайтарамын.', ['consent_withdrawal']],
    ['Келісімімді кері қайтарамын, жарнама және басқа мақсаттар үшін.', ['consent_withdrawal']],
    ['Please stop all marketing and withdraw my consent.', ['consent_withdrawal', 'marketing_opt_out']],
    ['Отзываю согласие на рассылку. И на обработку данных тоже.', ['consent_withdrawal']],
    ['Отзываю согласие на получение рекламы;\nна обработку персональных данных;\nна передачу третьим лицам.', ['consent_withdrawal']],
    ['Прошу отозвать все мои согласия и рассылку', ['consent_withdrawal']],
    ['I withdraw all my consent and any marketing', ['consent_withdrawal']],
    ['I withdraw all consents: marketing, emails, texts, letters', ['consent_withdrawal']],
    ['Барлық келісімдерімді кері қайтарамын және жарнама таратылымын', ['consent_withdrawal']],
    ['Отзываю согласие на рассылку и на уведомления', ['consent_withdrawal']],
    ['I withdraw consent for marketing and for my email address and number', ['consent_withdrawal']],
    ['Жарнамаға және нөміріме берген келісімімді кері қайтарамын', ['consent_withdrawal']],
    ['Отзываю согласие на рассылку, номер телефона', ['consent_withdrawal']],
    ['Прошу прекратить обработку, рассылку', ['consent_withdrawal', 'marketing_opt_out']],
    ['Please stop processing, marketing', ['consent_withdrawal', 'marketing_opt_out']],
    // A companion word is a whole word, not the beginning of another: shareholders (акционерам), a secretary
    // (хатшыға), minutes (хаттамаларына) or recipients (алушыларға) are no part of marketing.
    ['Отзываю согласие на рассылку об акциях, скидках', ['marketing_opt_out']],
    ['Отзываю согласие на рассылку акционных предложений', ['marketing_opt_out']],
    ['Отзываю согласие на рассылку акционерам', ['consent_withdrawal']],
    ['Маған жарнамалық хаттарды жібермеңіздер. Жарнама хатына берген келісімімді кері қайтарамын.', ['marketing_opt_out']],
    ['Жарнама хатшыға берген келісімімді кері қайтарамын', ['consent_withdrawal']],
    ['Жарнама хаттамаларына берген келісімімді кері қайтарамын', ['consent_withdrawal']],
    ['Жарнама хабарламаларын алуға берген келісімімді кері қайтарамын', ['marketing_opt_out']],
    ['Жарнама алушыларға берген келісімімді кері қайтарамын', ['consent_withdrawal']],
    ['Жарнама мен акциялар хабарламаларын алуға берген келісімімді кері қайтарамын', ['marketing_opt_out']],
    ['Жарнама хатпен жіберуге берген келісімімді кері қайтарамын', ['marketing_opt_out']],
    ['Жарнама мен компанияларға берген келісімімді кері қайтарамын', ['consent_withdrawal']],
    // Each word in its own language's folding: Kazakh reads a Latin i as и, Russian keeps қ.
    ['Marketing хабарламаларына берген келісімімді кері қайтарамын', ['marketing_opt_out']],
    ['Отзываю согласие на рассылку, хатқа', ['marketing_opt_out']],
  ])('withdrawal or opt-out: %s → %j', (text, types) => {
    expect(classify(text)).toEqual(types);
  });

  it('needs the words of a phrase near each other', () => {
    expect(classify('удалите это письмо, а мои паспортные и контактные данные пусть останутся')).toEqual([]);
  });

  it('classifies a long text made of matching words (its growth is measured by npm run bench:text)', () => {
    const text = 'удалите данные рассылку прекратите '.repeat(20_000);
    expect(classify(text)).toEqual(['erasure', 'marketing_opt_out']);
  });
});

describe('classifyMailRequestTypes', () => {
  // The subject names the request; the body says how far a withdrawal reaches.
  it.each<[string, string, RequestType[]]>([
    ['Отзыв согласия', 'Здравствуйте! Отзываю согласие на получение рекламных рассылок.\n\nДанияр', ['marketing_opt_out']],
    ['Келісімді кері қайтарып алу', 'Сәлеметсіз бе! Маркетингтік хабарламаларға берген келісімімді кері қайтарып аламын.', ['marketing_opt_out']],
    ['Consent', 'Hello, I withdraw my consent to the processing of my personal data.', ['consent_withdrawal']],
    ['Отзыв согласия', 'Прошу удалить мои данные.', ['erasure', 'consent_withdrawal']],
    ['Отзыв согласия на рассылку', 'Отзываю согласие на обработку персональных данных.', ['consent_withdrawal']],
    ['Отписка', 'Отзываю согласие на обработку персональных данных.', ['consent_withdrawal', 'marketing_opt_out']],
    ['Удаление данных', 'Здравствуйте.', ['erasure']],
    ['Re: Весенняя рассылка', 'Отзываю согласие на обработку моих персональных данных.', ['consent_withdrawal']],
    ['Re: Our March newsletter', 'I withdraw my consent to the processing of my personal data.', ['consent_withdrawal']],
    ['Согласие на обработку персональных данных', 'Отзываю.', ['consent_withdrawal']],
    ['Withdrawal of all consents', '', ['consent_withdrawal']],
  ])('%s / %s → %j', (subject, body, types) => {
    expect(classifyMailRequestTypes(subject, body, vocabularies())).toEqual(types);
  });
});

describe('fixedSubjectTypes', () => {
  const fixed = CORPUS_CONTEXT.fixedSubjects;

  it.each<[string, RequestType[]]>([
    ['Отзыв согласия на обработку персональных данных', ['consent_withdrawal']],
    ['Fwd: «Актуализация персональных данных»', ['rectification']],
    ['отказ от уведомлений о новых продуктах и услугах и специальных предложениях.', ['marketing_opt_out']],
    ['Актуализация данных', []],
    ['', []],
  ])('%s → %j', (subject, types) => {
    expect(fixedSubjectTypes(subject, fixed)).toEqual(types);
  });
});

describe('fixedMailRequestTypes', () => {
  // The fixed subject names the request, the body adds what else it asks for and says how far a withdrawal reaches.
  it.each<[RequestType[], string, RequestType[]]>([
    [['consent_withdrawal'], 'Отзываю согласие на получение рекламных рассылок.', ['marketing_opt_out']],
    [['consent_withdrawal'], 'Маркетингтік хабарламаларға берген келісімімді кері қайтарып аламын.', ['marketing_opt_out']],
    [['consent_withdrawal'], 'Отзываю согласие на обработку персональных данных.', ['consent_withdrawal']],
    [['consent_withdrawal'], 'Отзываю согласие на рекламу и иные цели.', ['consent_withdrawal']],
    [['consent_withdrawal'], 'Здравствуйте!', ['consent_withdrawal']],
    [['consent_withdrawal'], '', ['consent_withdrawal']],
    [['rectification'], 'Отзываю согласие на получение рекламных рассылок.', ['rectification', 'marketing_opt_out']],
    [['consent_withdrawal'], 'Отзываю согласие и прошу удалить мои данные.', ['erasure', 'consent_withdrawal']],
    [['consent_withdrawal'], 'Келісімімді кері қайтарып аламын және дербес деректерімді жоюды сұраймын.', ['erasure', 'consent_withdrawal']],
    [['consent_withdrawal'], 'I withdraw my consent and ask you to delete my personal data.', ['erasure', 'consent_withdrawal']],
    [['consent_withdrawal'], 'Отзываю согласие на получение рекламных рассылок. Прошу удалить мои данные.', ['erasure', 'marketing_opt_out']],
    [['rectification'], 'Прошу исправить мой адрес и предоставить копию моих данных.', ['access', 'rectification']],
    [['marketing_opt_out'], 'Отзываю согласие на обработку персональных данных.', ['consent_withdrawal', 'marketing_opt_out']],
    [['marketing_opt_out'], 'Больше не присылайте мне рассылку.', ['marketing_opt_out']],
  ])('%j / %s → %j', (fixedTypes, body, types) => {
    expect(fixedMailRequestTypes(fixedTypes, body, vocabularies())).toEqual(types);
  });
});

describe('erasesParticularData', () => {
  // Deleting a phone number is not destroying everything held: such a mail is read by a person at the company.
  it.each<[string, boolean]>([
    ['Отпишите меня от всех рассылок и удалите мой номер телефона из базы, пожалуйста.', true],
    ['Удалите мою фотографию из вашей базы.', true],
    ['Исправьте адрес почты, а старые данные удалите.', true],
    ['Телефон нөмірімді базадан жойыңыз.', true],
    ['Please delete my photo from your data.', true],
    ['Please delete my phone number from your database', true],
    ['Please delete my photo from your website.', true],
    ['Remove my address details, please.', true],
    // Named by a bare verb, far in a long sentence, or in the body under a subject that asks for erasure.
    ['Удаление персональных данных\nПрошу удалить мой номер телефона.', true],
    ['Прошу удалить из всех ваших баз данных и систем мой номер телефона.', true],
    ['Delete my data\nPlease remove my photo.', true],
    ['Please delete my email from your data.', true],
    // Named in another sentence than the wish: the wish and what it covers are often written apart.
    ['Please delete my data. Only the phone number, keep everything else.', true],
    ['Please delete my data. Only the phone number.', true],
    ['Delete my personal data. My phone number only', true],
    ['Please delete my personal data. Just the phone.', true],
    ['Прошу удалить мои персональные данные. Только телефон.', true],
    ['Прошу удалить мои персональные данные. Речь о номере телефона.', true],
    ['Менің дербес деректерімді жойыңыз. Тек телефон нөмірін.', true],
    ['Менің дербес деректерімді жойыңыз. Телефон нөмірім ғана.', true],
    // A mail that names data only to give it (a contact line) is read by the operator too: it may mean that data.
    ['Удалите мои данные. Мой телефон для связи: +7 701 555 00 11.', true],
    // Limited without naming any data the vocabulary knows.
    ['Удалите все мои данные, кроме бонусов.', true],
    ['Please delete all my data except my loyalty points.', true],
    ['Барлық деректерімді жойыңыз, бонустарды қоспағанда.', true],
    // Data once missing from the lists: a city, delivery, the IIN, the order history.
    ['Прошу удалить мои персональные данные: город', true],
    ['Прошу удалить мои персональные данные о доставке', true],
    ['Прошу удалить мои персональные данные: ИИН', true],
    ['Прошу удалить мою историю заказов.', true],
    ['Please delete my personal data: my IIN', true],
    ['Please delete my personal data: my order history', true],
    ['Please delete my personal data: my city', true],
    ['Please delete my delivery details.', true],
    ['Профилімдегі қаланы жойыңыз.', true],
    ['Жеткізу туралы деректерімді жойыңыз.', true],
    ['Менің ЖСН-імді жойыңыз.', true],
    ['Тапсырыс тарихымды жойыңыз.', true],
    ['Please delete my date of birth.', true],
    ['Удалите мою дату рождения и паспортные данные.', true],
    ['Туған күнімді жойыңыз.', true],
    ['Please delete my saved card.', true],
    // A withdrawal of consent naming particular data (it may erase): read the same way.
    ['Отзываю согласие на обработку моего номера телефона', true],
    ['Отзываю согласие на обработку моих фотографий', true],
    ['I withdraw my consent to the processing of my phone number', true],
    ['Телефон нөмірімді өңдеуге келісімімді кері қайтарамын', true],
    // The data named is the key the person's data is found by, or nothing particular is named at all.
    ['Удалите мои данные.', false],
    ['Прошу удалить все мои персональные данные.', false],
    ['Удаление персональных данных\nПрошу удалить все мои данные.', false],
    ['Please delete all my data.', false],
    ['Please delete my personal data.', false],
    ['Барлық деректерімді жойыңыз.', false],
    ['Менің дербес деректерімді жоюды сұраймын.', false],
    ['Отзываю согласие на обработку персональных данных.', false],
    ['I withdraw my consent to the processing of my personal data.', false],
    ['Дербес деректерімді өңдеуге келісімімді кері қайтарамын.', false],
    ['Прошу удалить учётную запись, привязанную к номеру телефона.', false],
    ['Please delete all data associated with my email address.', false],
    ['Please delete my account linked to my phone number.', false],
    ['Телефон нөміріме тіркелген аккаунтымды жойыңыз.', false],
  ])('%s → %s', (text, particular) => {
    expect(erasesParticularData(text, vocabularies())).toBe(particular);
  });
});
