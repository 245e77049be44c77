import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { hashSecretCode } from '../../functions/domain/secret-code.ts';
import type { DataSubjectRequest } from '../../functions/domain/request.ts';
import type { RequestType } from '../../functions/domain/request-types.ts';
import { enterRequest } from '../../functions/use-cases/operator-actions.ts';
import { requestVerification } from '../../functions/use-cases/verification.ts';
import { NOW, OPERATOR, placeRequest, systemFor } from '../support/flow.ts';
import type { MemorySystem } from '../support/memory-deps.ts';
import { useHandlerDependencies } from '../support/handler-dependencies.ts';

// The confirmation link's page and its result page as the person reads them: the public handler as API Gateway calls
// it, with the ports of a system in memory.
let system: MemorySystem;
vi.mock('../../functions/composition.ts', () => import('../support/handler-dependencies.ts'));
useHandlerDependencies(() => system.deps);
const { handler } = await import('../../functions/handlers/http-api.ts');

const PERSON = 'aigerim@example.kz';
const CODE = 'c'.repeat(43);
const HOUR = 3_600_000;
/** What a stranger typed in the person's name: no page may show it. */
const STRANGERS_WORDS = 'Your account is locked: log in at http://bank.example/unlock';

async function call(method: 'GET' | 'POST', query: Record<string, string>, body?: string): Promise<{ status: number; page: string }> {
  const event = {
    routeKey: `${method} /verify`,
    headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
    queryStringParameters: query,
    ...(body === undefined ? {} : { body, isBase64Encoded: false }),
    requestContext: { http: { sourceIp: '203.0.113.9', method, path: '/verify' } },
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handler(event)) as APIGatewayProxyStructuredResultV2;
  return { status: Number(result.statusCode), page: String(result.body) };
}

/** The page's text as read: tags dropped, entities read back. */
const text = (page: string) => page.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

/** Each box on the page: its reference and the words of the label it sits in. */
const boxes = (page: string) =>
  [...page.matchAll(/<label><input type="checkbox" name="references" value="([^"]+)">([^<]*)<\/label>/g)].map((match) => ({ reference: match[1]!, label: match[2]!.trim() }));

/**
 * Three requests for one address, one link: a mail nobody could classify (with a stranger's words in it), then two
 * corrections from the form, an hour apart — alike by type, told apart by when they came and the fields they change
 * (the second, which asks for access too, also one the profile does not declare: a profile that declares none takes
 * any name).
 */
async function threeOnOneLink(language: DataSubjectRequest['language']): Promise<DataSubjectRequest[]> {
  const made: DataSubjectRequest[] = [];
  const asked: Array<{ types: RequestType[]; options: Parameters<typeof placeRequest>[2] }> = [
    { types: [], options: { channel: 'email', message: STRANGERS_WORDS } },
    { types: ['rectification'], options: { changes: { phone: '+7 701 555 00 01' } } },
    { types: ['access', 'rectification'], options: { changes: { city: 'Астана', undeclared: 'Call +7 700 000 00 00' } } },
  ];
  for (const [i, { types, options }] of asked.entries()) {
    system.setNow(new Date(NOW.getTime() + i * HOUR));
    const request = await placeRequest(system, types, { ...options, email: PERSON, language, status: 'AWAITING_VERIFICATION' });
    await requestVerification(system.deps, request.id, `token-${request.id}`, new Date(NOW.getTime() + 72 * HOUR), () => ({ code: CODE, codeHash: hashSecretCode(CODE) }));
    made.push(request);
  }
  return made;
}

beforeEach(() => {
  system = systemFor('profiles/demo.json');
});

describe('the page of a link several requests wait on', () => {
  it('names each request by what it asks for, how and when it came and when it is due — never by what anyone typed', async () => {
    const [mail, first, second] = await threeOnOneLink('en');
    const { status, page } = await call('GET', { code: CODE, lang: 'en' });
    expect(status).toBe(200);
    expect(boxes(page)).toEqual([
      {
        reference: mail!.id,
        label: `Request ${mail!.id}: a free-form message; we will read it to find out what you are asking for. Received by e-mail on 10 February 2026, 10:15 Astana time; answer due by 11 February 2026, 23:59 Astana time.`,
      },
      {
        reference: first!.id,
        label: `Request ${first!.id}: correction of your personal data — Phone. Received through the website on 10 February 2026, 11:15 Astana time; answer due by 11 February 2026, 23:59 Astana time.`,
      },
      {
        reference: second!.id,
        label: `Request ${second!.id}: information about your personal data; correction of your personal data — City. Received through the website on 10 February 2026, 12:15 Astana time; answer due by 11 February 2026, 23:59 Astana time.`,
      },
    ]);
    // Nothing a stranger could have typed in the person's name, and none of the operator's words.
    for (const typed of [STRANGERS_WORDS, 'bank.example', '+7 701 555 00 01', 'Астана', 'undeclared', '+7 700']) expect(page).not.toContain(typed);
    expect(page).not.toMatch(/classified|say what is asked for/);
  });

  it('says before the button that boxes left unticked are closed with nothing done, and that the link works once', async () => {
    await threeOnOneLink('en');
    const { page } = await call('GET', { code: CODE, lang: 'en' });
    expect(page).toContain('<legend>Several requests were sent in the name of this address. Tick the ones you sent yourself.</legend>');
    // Several requests: the page is titled for them all.
    expect(page).toMatch(/<title>Confirm your requests<\/title>/);
    expect(page).not.toContain('checked');
    const beforeButton = text(page.slice(page.indexOf('</fieldset>'), page.indexOf('<button')));
    expect(beforeButton).toContain('Requests you leave unticked will be closed, and nothing will be done under them. The link works once: after you press "Confirm", it cannot be used again.');
  });

  it('reads in Russian and Kazakh as in English: the mail in the person\'s words, and the warning before the button', async () => {
    const [mail, first] = await threeOnOneLink('ru');
    const expected = {
      ru: {
        mail: `Запрос ${mail!.id}: письмо в свободной форме; мы прочитаем его и определим, о чём вы просите. Получен по электронной почте 10 февраля 2026, 10:15 по времени Астаны; ответ — не позднее 11 февраля 2026, 23:59 по времени Астаны.`,
        first: `Запрос ${first!.id}: изменение (актуализация) персональных данных — Телефон. Получен через сайт 10 февраля 2026, 11:15 по времени Астаны;`,
        once: 'Неотмеченные запросы будут закрыты, и по ним ничего не будет сделано. Ссылка действует один раз: после нажатия «Подтвердить» ею нельзя воспользоваться снова.',
        operator: /определите, о чём просят|не удалось разобрать/,
      },
      kk: {
        mail: `${mail!.id} сұрауы: еркін түрде жазылған хат; оны оқып, не сұрайтыныңызды анықтаймыз. Алынған уақыты: 2026 жылғы 10 ақпан, 10:15 (Астана уақыты), электрондық пошта арқылы. Жауап берудің соңғы мерзімі: 2026 жылғы 11 ақпан, 23:59 (Астана уақыты).`,
        first: `${first!.id} сұрауы: дербес деректерді өзгерту және өзектендіру — Телефон. Алынған уақыты: 2026 жылғы 10 ақпан, 11:15 (Астана уақыты), сайт арқылы.`,
        once: 'Белгіленбеген сұраулар жабылады, олар бойынша ештеңе жасалмайды. Сілтеме бір рет қана жарамды: «Растау» батырмасын басқаннан кейін оны қайта пайдалану мүмкін емес.',
        operator: /не сұралатынын анықтаңыз|талдау мүмкін болмады/,
      },
    } as const;
    for (const language of ['ru', 'kk'] as const) {
      const { page } = await call('GET', { code: CODE, lang: language });
      const read = text(page);
      expect(read, language).toContain(expected[language].mail);
      expect(read, language).toContain(expected[language].first);
      expect(text(page.slice(page.indexOf('</fieldset>'), page.indexOf('<button'))), language).toContain(expected[language].once);
      expect(page, language).not.toMatch(expected[language].operator);
    }
  });
});

describe('the page of a link one request waits on', () => {
  it('names it the same way, an entered request by the day it was received', async () => {
    const { request } = await enterRequest(
      system.deps,
      { types: ['access'], email: PERSON, language: 'en', channel: 'phone', receivedAt: '2026-02-09', identity: 'mail' },
      OPERATOR,
      { key: 'operator:k', field: 'Idempotency-Key' },
    );
    await requestVerification(system.deps, request.id, `token-${request.id}`, new Date(NOW.getTime() + 72 * HOUR), () => ({ code: CODE, codeHash: hashSecretCode(CODE) }));
    const { page } = await call('GET', { code: CODE, lang: 'en' });
    expect(text(page)).toContain(
      `Request ${request.id}: information about your personal data. Received by telephone on 9 February 2026; answer due by 12 February 2026, 23:59 Astana time. Press the button to confirm that you sent this request.`,
    );
  });
});

describe('the pages of a request entered too late to keep the law\'s date', () => {
  it('give the date its receipt promised, not the law\'s date already past, before and after "Confirm"', async () => {
    // Received by post on 2 February, entered on the 10th: access was due by law on the 5th; the receipt promised the 13th.
    const { request } = await enterRequest(
      system.deps,
      { types: ['access'], email: PERSON, language: 'en', channel: 'post', receivedAt: '2026-02-02', identity: 'mail' },
      OPERATOR,
      { key: 'operator:late', field: 'Idempotency-Key' },
    );
    expect(request.entry?.promisedBy).toBe('2026-02-13T23:59:59+05:00');
    await requestVerification(system.deps, request.id, `token-${request.id}`, new Date(NOW.getTime() + 72 * HOUR), () => ({ code: CODE, codeHash: hashSecretCode(CODE) }));
    const before = text((await call('GET', { code: CODE, lang: 'en' })).page);
    expect(before).toContain('answer due by 13 February 2026, 23:59 Astana time.');
    expect(before).not.toContain('5 February');
    const after = text((await call('POST', { lang: 'en' }, new URLSearchParams([['code', CODE], ['references', request.id]]).toString())).page);
    expect(after).toContain('no later than 13 February 2026, 23:59 Astana time');
    expect(after).not.toContain('5 February');
  });
});

describe('the page after "Not my request"', () => {
  it('speaks of the one request it closed in the singular', async () => {
    const request = await placeRequest(system, ['access'], { email: PERSON, language: 'en', status: 'AWAITING_VERIFICATION' });
    await requestVerification(system.deps, request.id, `token-${request.id}`, new Date(NOW.getTime() + 72 * HOUR), () => ({ code: CODE, codeHash: hashSecretCode(CODE) }));
    const { status, page } = await call('POST', { lang: 'en' }, new URLSearchParams([['code', CODE], ['references', request.id], ['none', '1']]).toString());
    expect(status).toBe(200);
    expect(text(page)).toContain(`Done: nothing will be done under request ${request.id}, and it is closed unconfirmed. Nothing more will be mailed about it.`);
  });
});

describe('the page after "Confirm"', () => {
  it('gives each request confirmed its due date, and names those left unconfirmed', async () => {
    const [mail, first, second] = await threeOnOneLink('en');
    const form = new URLSearchParams([['code', CODE], ['references', ''], ['references', mail!.id], ['references', first!.id]]);
    const { status, page } = await call('POST', { lang: 'en' }, form.toString());
    expect(status).toBe(200);
    expect(text(page)).toContain(
      [
        'Thank you. These requests are confirmed and are being processed:',
        `Request ${mail!.id} (a free-form message): our answer will reach your mailbox no later than 11 February 2026, 23:59 Astana time.`,
        `Request ${first!.id} (correction of your personal data — Phone): our answer will reach your mailbox no later than 11 February 2026, 23:59 Astana time.`,
        `Request ${second!.id} was not confirmed, so it is closed: nothing will be done under it.`,
      ].join(' '),
    );
  });

  it('names those left unticked as closed now — one in the singular, several in the plural — in each language', async () => {
    for (const [language, one, several] of [
      ['en', (r: string) => `Request ${r} was not confirmed, so it is closed: nothing will be done under it.`, (r: string) => `Not confirmed, so closed: ${r}. Nothing will be done under them.`],
      ['ru', (r: string) => `Запрос ${r} не подтверждён и поэтому закрыт: по нему ничего не будет сделано.`, (r: string) => `Не подтверждены и поэтому закрыты: ${r}. По ним ничего не будет сделано.`],
      ['kk', (r: string) => `${r} сұрауы расталмағандықтан жабылды: ол бойынша ештеңе жасалмайды.`, (r: string) => `Расталмағандықтан жабылған сұраулар: ${r}. Олар бойынша ештеңе жасалмайды.`],
    ] as const) {
      system = systemFor('profiles/demo.json');
      const [mail, first, second] = await threeOnOneLink(language);
      const { page } = await call('POST', { lang: language }, new URLSearchParams([['code', CODE], ['references', mail!.id], ['references', first!.id]]).toString());
      expect(text(page), language).toContain(one(second!.id));
      expect(page, language).toMatch(new RegExp(`<title>${{ en: 'Confirm your requests', ru: 'Подтверждение запросов', kk: 'Сұрауларды растау' }[language]}</title>`));
      system = systemFor('profiles/demo.json');
      const [again, ...others] = await threeOnOneLink(language);
      const left = await call('POST', { lang: language }, new URLSearchParams([['code', CODE], ['references', again!.id]]).toString());
      expect(text(left.page), language).toContain(several(others.map((r) => r.id).join(', ')));
      expect(left.page, language).not.toMatch(/расталмаса жабылады|will be closed unconfirmed|without confirmation/);
    }
  });

  it('in Russian and Kazakh too, each with its due date', async () => {
    for (const [language, expected] of [
      ['ru', (mail: string, first: string) => `Спасибо. Эти запросы подтверждены и переданы в работу: Запрос ${mail} (письмо в свободной форме): ответ придёт на вашу электронную почту не позднее 11 февраля 2026, 23:59 по времени Астаны. Запрос ${first} (изменение (актуализация) персональных данных — Телефон): ответ придёт на вашу электронную почту не позднее 11 февраля 2026, 23:59 по времени Астаны.`],
      ['kk', (mail: string, first: string) => `Рахмет. Мына сұраулар расталды және орындалуда: ${mail} сұрауы (еркін түрде жазылған хат): жауап электрондық поштаңызға келеді, соңғы мерзімі: 2026 жылғы 11 ақпан, 23:59 (Астана уақыты). ${first} сұрауы (дербес деректерді өзгерту және өзектендіру — Телефон): жауап электрондық поштаңызға келеді, соңғы мерзімі: 2026 жылғы 11 ақпан, 23:59 (Астана уақыты).`],
    ] as const) {
      system = systemFor('profiles/demo.json');
      const [mail, first] = await threeOnOneLink(language);
      const form = new URLSearchParams([['code', CODE], ['references', mail!.id], ['references', first!.id]]);
      const { page } = await call('POST', { lang: language }, form.toString());
      expect(text(page), language).toContain(expected(mail!.id, first!.id));
    }
  });
});
