import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { reviewReasons } from '../../functions/use-cases/fulfilment-plan.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_FORM_FIELDS, MAX_URLENCODED_CHARS } from '../../functions/handlers/http/form-limits.ts';
import { parseMultipartForm } from '../../functions/handlers/http/multipart-form.ts';
import { parseUrlencodedForm } from '../../functions/handlers/http/urlencoded-form.ts';
import { SUBMISSION_LIMITS } from '../../functions/use-cases/submit-request.ts';
import { MAX_WAITING_PER_LINK } from '../../functions/use-cases/ports.ts';
import { REQUEST_TYPES } from '../../functions/domain/request-types.ts';
import { MAX_CHANGES } from '../../functions/domain/rectification.ts';
import { hashSecretCode } from '../../functions/domain/secret-code.ts';
import { requestVerification } from '../../functions/use-cases/verification.ts';
import { NOW, systemFor } from '../support/flow.ts';
import type { MemorySystem } from '../support/memory-deps.ts';
import { useHandlerDependencies } from '../support/handler-dependencies.ts';

// The public API's handler as API Gateway calls it, with the ports of a system in memory.
let system: MemorySystem;
vi.mock('../../functions/composition.ts', () => import('../support/handler-dependencies.ts'));
useHandlerDependencies(() => system.deps);
const { handler } = await import('../../functions/handlers/http-api.ts');

beforeEach(() => {
  system = systemFor('profiles/demo.json'); // the operator's language: ru
});

const BOUNDARY = '----formdata-derbes-7';
const part = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const formBody = (...parts: string[]) => `${parts.join('')}--${BOUNDARY}--\r\n`;

async function post(body: string, contentType: string, headers: Record<string, string> = {}, query?: Record<string, string>, routeKey = 'POST /api/requests', sourceIp = '203.0.113.9') {
  const event = {
    routeKey,
    headers: { 'content-type': contentType, ...headers },
    ...(query ? { queryStringParameters: query } : {}),
    body,
    isBase64Encoded: false,
    requestContext: { http: { sourceIp, method: 'POST', path: '/api/requests' } },
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handler(event)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, contentType: String(result.headers?.['content-type']), body: String(result.body) };
}

const multipart = `multipart/form-data; boundary=${BOUNDARY}`;

describe('a form body that cannot be read', () => {
  it('without a boundary is a 400 page in the operator\'s language, naming the body', async () => {
    const answer = await post('type=access', 'multipart/form-data');
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^text\/html/);
    expect(answer.body).toContain('lang="ru"');
    expect(answer.body).toContain('Форма пришла неполной или повреждённой');
  });

  it('with more parts than any form of ours has fields is a 413 page in the language the browser asks for, naming the bound', async () => {
    const many = formBody(...Array.from({ length: MAX_FORM_FIELDS + 1 }, (_, i) => part(`f${i}`, 'x')));
    const answer = await post(many, multipart, { 'accept-language': 'kk-KZ,kk;q=0.9' });
    expect(answer.status).toBe(413);
    expect(answer.body).toContain('lang="kk"');
    expect(answer.body).toContain(`Формада біздің кез келген формамызда болатыннан көп өріс келді (ең көбі ${MAX_FORM_FIELDS})`);
  });

  it('with a part that never ends is a 400 page in the page\'s language', async () => {
    const answer = await post(`${part('language', 'en')}--${BOUNDARY}\r\nContent-Disposition: form-data; name="message"\r\n\r\nnever ends`, multipart, {}, { lang: 'en' });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('lang="en"');
    expect(answer.body).toContain('The form arrived incomplete or damaged');
  });

  it('a field named like an object\'s own properties is an unknown field, never a crash', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const answer = await post(formBody(part('types', 'access'), part('email', 'a@example.kz'), part('language', 'en'), part(name, 'x')), multipart);
      expect(answer.status, name).toBe(400);
      expect(answer.body, name).toContain('lang="en"');
      expect(answer.body, name).toContain(name);
    }
  });

  it('is answered as JSON on the API, naming the field', async () => {
    const change = await post('{"type":"rectification","email":"a@example.kz","language":"en","changes":{"__proto__":"y"}}', 'application/json');
    expect(change.status).toBe(400);
    expect(JSON.parse(change.body).fields).toEqual([expect.objectContaining({ field: 'changes.__proto__' })]);
    for (const name of ['__proto__', 'constructor']) {
      const answer = await post(`{"type":"access","email":"a@example.kz","language":"en","${name}":{"x":1}}`, 'application/json');
      expect(answer.status, name).toBe(400);
      expect(JSON.parse(answer.body), name).toMatchObject({ error: 'validation_failed', fields: [{ field: name, kind: 'unknownField' }] });
    }
    const form = await post(`types=access&email=a%40example.kz&language=en&__proto__=x&changes.__proto__=y`, 'application/x-www-form-urlencoded');
    expect(form.status).toBe(400);
    expect(form.body).toContain('__proto__');
    // A correction of a field named so is one the form does not offer, not a correction of nothing.
    const formChange = await post(`types=rectification&email=a%40example.kz&language=en&changes.__proto__=y`, 'application/x-www-form-urlencoded');
    expect(formChange.status).toBe(400);
    expect(formChange.body).toContain('This field cannot be corrected through this form.');
  });
});

describe('a url-encoded body larger than any form of ours sends', () => {
  const urlencoded = 'application/x-www-form-urlencoded';
  /** How many times a url-encoded body is parsed: each parse builds URLSearchParams over the whole body. */
  let parses = 0;
  beforeEach(() => {
    parses = 0;
    vi.stubGlobal('URLSearchParams', class extends URLSearchParams {
      constructor(...init: ConstructorParameters<typeof URLSearchParams>) {
        super(...init);
        parses++;
      }
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('with more fields is refused unread: a 413 page naming the bound, in the page\'s language, the body parsed once', async () => {
    const many = ['types=access', 'email=a%40example.kz', 'language=en', ...Array.from({ length: MAX_FORM_FIELDS }, (_, i) => `f${i}=x`)].join('&');
    const answer = await post(many, urlencoded, {}, { lang: 'ru' });
    expect(answer.status).toBe(413);
    expect(answer.body).toContain('lang="ru"');
    expect(answer.body).toContain(`В форме пришло больше полей, чем есть в любой нашей форме (полей: не более ${MAX_FORM_FIELDS})`);
    // Not one of the fields is named back: none was read.
    expect(answer.body).not.toContain('f0');
    expect(parses).toBe(1);
    expect(system.requests.requests.size).toBe(0);
  });

  it('longer than the request form at every maxlength is refused unread on every form route: a 413 page naming the bound', async () => {
    const long = `types=access&email=a%40example.kz&language=en&message=${'x'.repeat(MAX_URLENCODED_CHARS)}`;
    for (const routeKey of ['POST /api/requests', 'POST /verify', 'POST /download']) {
      const answer = await post(long, urlencoded, {}, { lang: 'en' }, routeKey);
      expect(answer.status, routeKey).toBe(413);
      expect(answer.body, routeKey).toContain(`The form arrived longer than any of our forms can be (at most ${MAX_URLENCODED_CHARS} characters)`);
    }
    expect(parses).toBe(0);
  });

  it('is not what the largest real forms send: the request form at every maxlength, the link\'s page with every box ticked', async () => {
    // Each character in the widest encoding a browser sends: three UTF-8 bytes, each %XX.
    const widest = (length: number) => encodeURIComponent('€'.repeat(length));
    const form = await post(`types=access&types=claim&email=a%40example.kz&language=en&name=${widest(SUBMISSION_LIMITS.name)}&message=${widest(SUBMISSION_LIMITS.message)}`, urlencoded);
    expect(form.status).toBe(202);
    const references = Array.from({ length: MAX_WAITING_PER_LINK }, (_, i) => `references=DRB-AAAAA-${String(i).padStart(5, '0')}`);
    const confirm = await post(['references=', ...references, 'code=not-a-code'].join('&'), urlencoded, {}, { lang: 'en' }, 'POST /verify');
    expect(confirm.status).not.toBe(413);
  });

  it('is never read again, nor read at all, to answer a refusal: a rate-limited form costs no parse', async () => {
    const fields = 'types=access&email=not-an-address&language=kk';
    expect((await post(fields, urlencoded)).status).toBe(400);
    expect(parses).toBe(1);
    system.deps.limits.take = async () => 30;
    const limited = await post(fields, urlencoded, {}, { lang: 'kk' });
    expect(limited.status).toBe(429);
    expect(limited.body).toContain('lang="kk"');
    expect(parses).toBe(1);
  });
});

describe('a list of request types', () => {
  /** How many deadlines the request's types cost. */
  function countDeadlines() {
    const computed = { count: 0 };
    const compute = system.deps.deadlines.compute.bind(system.deps.deadlines);
    system.deps.deadlines.compute = (input) => {
      computed.count++;
      return compute(input);
    };
    return computed;
  }

  it('longer than there are types is refused before any entry is read or any deadline computed, in one problem', async () => {
    const computed = countDeadlines();
    for (const types of [Array(REQUEST_TYPES.length + 1).fill('access'), Array(300_000).fill('access'), Array(300_000).fill('no-such-type')]) {
      const answer = await post(JSON.stringify({ types, email: 'a@example.kz', language: 'en' }), 'application/json');
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).fields).toEqual([{ field: 'types', message: `at most ${REQUEST_TYPES.length} entries, one for each request type`, kind: 'tooMany', limit: REQUEST_TYPES.length }]);
    }
    expect(computed.count).toBe(0);
    expect(system.requests.requests.size).toBe(0);
  });

  it('with a type named twice is the same wish: kept once, its deadline computed once', async () => {
    const computed = countDeadlines();
    const answer = await post(JSON.stringify({ types: Array(REQUEST_TYPES.length).fill('access'), email: 'a@example.kz', language: 'en' }), 'application/json');
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body).types).toEqual(['access']);
    expect(computed.count).toBe(1);
  });
});

describe('the answer to a new request', () => {
  /** The answer with what differs from request to request (its reference, its dates) taken out. */
  const sameness = (answer: { body: string }, reference: string) => answer.body.replaceAll(reference, 'REF').replace(/"(receivedAt|dueAt)":"[^"]+"/g, '"$1":"…"');

  it('is the same for an address whose owner has a link waiting as for one never seen: it tells no stranger that, or when, they asked', async () => {
    const owner = 'aigerim@example.kz';
    const first = await post(JSON.stringify({ type: 'access', email: owner, language: 'en' }), 'application/json');
    const reference = String(JSON.parse(first.body).reference);
    // The owner's link goes out, an hour before anyone else comes.
    await requestVerification(system.deps, reference, 'token', new Date(NOW.getTime() + 72 * 3_600_000), () => ({ code: 'c'.repeat(43), codeHash: hashSecretCode('c'.repeat(43)) }));
    expect(system.mailer.sent).toHaveLength(1);
    system.setNow(new Date(NOW.getTime() + 3_600_000));
    for (const contentType of ['application/json', 'application/x-www-form-urlencoded']) {
      const body = (email: string) => (contentType === 'application/json' ? JSON.stringify({ type: 'access', email, language: 'en' }) : `types=access&email=${encodeURIComponent(email)}&language=en`);
      const stranger = await post(body(owner), contentType);
      const fresh = await post(body('someone.new@example.kz'), contentType);
      expect(stranger.status, contentType).toBe(fresh.status);
      const referenceOf = (answer: { body: string }) => /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(answer.body)![0];
      expect(sameness(stranger, referenceOf(stranger)), contentType).toBe(sameness(fresh, referenceOf(fresh)));
      expect(stranger.body, contentType).not.toMatch(/sentAt|already|10 February/);
    }
    expect(JSON.parse(first.body).confirmation).toEqual({
      message: expect.stringContaining('Check your mailbox: a confirmation link is on its way to this address — or, if an earlier link from us is still unused there, this request is added to it.'),
    });
  });
});

describe('the url-encoded parser', () => {
  it('gathers each field\'s values in the order sent, on an object without a prototype', () => {
    const fields = parseUrlencodedForm('types=access&__proto__=x&types=erasure&email=a%40b.kz&types=');
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(Object.entries(fields)).toEqual([['types', ['access', 'erasure', '']], ['__proto__', ['x']], ['email', ['a@b.kz']]]);
  });
});

describe('a field the request does not take', () => {
  it.each([
    ['ru', 'В форме нет поля «nickname». Откройте форму заново со страницы и отправьте её ещё раз.'],
    ['kk', 'Формада «nickname» деген өріс жоқ. Форманы беттен қайта ашып, тағы бір рет жіберіңіз.'],
    ['en', 'The form has no field “nickname”. Please open the form again from the page and send it once more.'],
  ])('is named on the form\'s page in the person\'s language (%s), never in the validator\'s words', async (language, text) => {
    const answer = await post(`types=access&email=a%40example.kz&language=${language}&nickname=x`, 'application/x-www-form-urlencoded');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain(`lang="${language}"`);
    expect(answer.body).toContain(text);
    expect(answer.body).not.toMatch(/Unrecognized|\(root\)/);
  });

  it('sent by the dozen, five are named on the form\'s page and the rest counted, in the person\'s language', async () => {
    const unknown = Array.from({ length: 12 }, (_, i) => `x${i}=1`).join('&');
    const answer = await post(`types=access&email=a%40example.kz&language=ru&${unknown}`, 'application/x-www-form-urlencoded');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('В форме нет поля «x4», как и ещё 7 присланных полей.');
    expect(answer.body).not.toContain('«x5»');
  });

  it('is named on the API, with a kind a client words in its own language', async () => {
    const answer = await post('{"type":"access","email":"a@example.kz","language":"kk","nickname":"x","age":3}', 'application/json');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).fields).toEqual([
      { field: 'nickname', message: 'is not a field this takes', kind: 'unknownField' },
      { field: 'age', message: 'is not a field this takes', kind: 'unknownField' },
    ]);
  });

  it('sent by the ten thousand, a few are named and the rest counted: the answer stays small', async () => {
    const body: Record<string, unknown> = { type: 'access', email: 'a@example.kz', language: 'en' };
    for (let i = 0; i < 60_000; i++) body[`k${i}`] = 1;
    const answer = await post(JSON.stringify(body), 'application/json');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).fields).toEqual([
      ...['k0', 'k1', 'k2', 'k3'].map((field) => ({ field, message: 'is not a field this takes', kind: 'unknownField' })),
      { field: 'k4', message: 'is not a field this takes (and 59995 more fields are not)', kind: 'unknownField', more: 59995 },
    ]);
    expect(answer.body.length).toBeLessThan(1_000);
  });

  it('as corrections by the ten thousand, is one problem, not one for each', async () => {
    const changes = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`field${i}`, 1]));
    const answer = await post(JSON.stringify({ type: 'rectification', email: 'a@example.kz', language: 'en', changes }), 'application/json');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).fields).toEqual([{ field: 'changes', message: `at most ${MAX_CHANGES} fields at once`, kind: 'tooMany', limit: MAX_CHANGES }]);
  });

  it('as a file under a field of its own, is named in the person\'s language', async () => {
    const file = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n`;
    const answer = await post(formBody(part('types', 'access'), part('email', 'a@example.kz'), part('language', 'kk'), file), multipart);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('«photo» өрісі форма жіберетін түрде келмеді.');
    expect(answer.body).not.toContain('takes no file');
  });
});

describe('the multipart parser', () => {
  it('keeps a field named __proto__ as a field, on an object without a prototype', () => {
    const { fields } = parseMultipartForm(Buffer.from(formBody(part('__proto__', 'x'), part('constructor', 'y'))), multipart);
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(Object.entries(fields)).toEqual([['__proto__', ['x']], ['constructor', ['y']]]);
  });
});

describe('a form that asks to destroy data', () => {
  it('waits for an operator when its own words limit it ("only my phone"), as such mail does; asking for everything does not', async () => {
    const cases = [
      { message: 'Тек телефон нөмірімді жойыңыз. Аккаунтым мен тапсырыстарым қалсын.', type: 'erasure', particular: true },
      { message: 'Please delete only my phone number.', type: 'consent_withdrawal', particular: true },
      { message: 'Удалите, пожалуйста, все мои данные.', type: 'erasure', particular: false },
      { message: 'Только номер телефона, пожалуйста.', type: 'access', particular: false },
    ];
    for (const [n, { message, type, particular }] of cases.entries()) {
      const answer = await post(formBody(part('types', type), part('email', `limits${n}@example.kz`), part('language', 'ru'), part('message', message)), multipart);
      expect(answer.status, message).toBe(202);
      const request = await system.deps.requests.get(/DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(answer.body)![0]);
      expect(request.particularData, message).toBe(particular ? true : undefined);
      expect(reviewReasons(system.deps, request).some((reason) => reason.kind === 'particularData'), message).toBe(particular);
    }
  });
});

describe('the same form sent twice', () => {
  const filePart = (name: string, content: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n${content}\r\n`;
  const fields = (message: string) => [part('types', 'access'), part('email', 'aigerim@example.kz'), part('language', 'en'), part('message', message)];
  const referenceOf = (page: string) => /DRB-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(page)![0];

  it('by Back and Send (a page rendered anew, no key of its own) is the one request it made; a change makes another', async () => {
    const first = await post(formBody(...fields('My orders, please.'), filePart('id.pdf', '%PDF-1.4 first')), multipart);
    const again = await post(formBody(...fields('My orders, please.'), filePart('id.pdf', '%PDF-1.4 first')), multipart);
    expect(first.status).toBe(202);
    expect(referenceOf(again.body)).toBe(referenceOf(first.body));
    // Other words, or another file, are another request: nothing the person sent is dropped.
    const otherWords = await post(formBody(...fields('My payments, please.'), filePart('id.pdf', '%PDF-1.4 first')), multipart);
    const otherFile = await post(formBody(...fields('My orders, please.'), filePart('id.pdf', '%PDF-1.4 second')), multipart);
    expect(new Set([first, otherWords, otherFile].map((answer) => referenceOf(answer.body))).size).toBe(3);
    const person = await system.deps.requests.findByPerson(await system.deps.personKey('aigerim@example.kz'));
    expect(person).toHaveLength(3);
  });

  it('from another client is another request: a stranger who types the same fields learns no one\'s reference', async () => {
    const victim = await post(formBody(part('types', 'erasure'), part('email', 'formvictim@example.kz'), part('language', 'en')), multipart);
    const stranger = await post(formBody(part('types', 'erasure'), part('email', 'FormVictim@Example.KZ'), part('language', 'en')), multipart, {}, undefined, 'POST /api/requests', '198.51.100.7');
    expect(victim.status).toBe(202);
    expect(stranger.status).toBe(202);
    expect(referenceOf(stranger.body)).not.toBe(referenceOf(victim.body));
  });

  it('from another address of one IPv6 network (a privacy address that changed) is the request it made', async () => {
    const body = formBody(part('types', 'access'), part('email', 'ipv6.person@example.kz'), part('language', 'en'));
    const first = await post(body, multipart, {}, undefined, 'POST /api/requests', '2001:db8:1:2::a');
    const again = await post(body, multipart, {}, undefined, 'POST /api/requests', '2001:db8:1:2:ffff::b');
    const elsewhere = await post(body, multipart, {}, undefined, 'POST /api/requests', '2001:db8:1:3::a');
    expect(referenceOf(again.body)).toBe(referenceOf(first.body));
    expect(referenceOf(elsewhere.body)).not.toBe(referenceOf(first.body));
  });

  it('a quarter of an hour later, or once its request is closed, is a new request', async () => {
    const body = formBody(...fields('My orders, please.'));
    const first = await post(body, multipart);
    system.setNow(new Date(system.deps.clock.now().getTime() + 15 * 60_000));
    const later = await post(body, multipart);
    expect(referenceOf(later.body)).not.toBe(referenceOf(first.body));
    await system.deps.requests.transition(referenceOf(later.body), 'RECEIVED', 'AWAITING_VERIFICATION');
    await system.deps.requests.transition(referenceOf(later.body), 'AWAITING_VERIFICATION', 'CLOSED_UNVERIFIED');
    const afterClosed = await post(body, multipart);
    expect([referenceOf(first.body), referenceOf(later.body)]).not.toContain(referenceOf(afterClosed.body));
    expect((await system.deps.requests.get(referenceOf(afterClosed.body))).status).toBe('RECEIVED');
  });
});
