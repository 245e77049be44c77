import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseMultipartForm } from '../../functions/handlers/http/multipart-form.ts';
import { systemFor } from '../support/flow.ts';
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

async function post(body: string, contentType: string, headers: Record<string, string> = {}, query?: Record<string, string>) {
  const event = {
    routeKey: 'POST /api/requests',
    headers: { 'content-type': contentType, ...headers },
    ...(query ? { queryStringParameters: query } : {}),
    body,
    isBase64Encoded: false,
    requestContext: { http: { sourceIp: '203.0.113.9', method: 'POST', path: '/api/requests' } },
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

  it('with more than 64 parts is a 400 page in the language the browser asks for', async () => {
    const many = formBody(...Array.from({ length: 65 }, (_, i) => part(`f${i}`, 'x')));
    const answer = await post(many, multipart, { 'accept-language': 'kk-KZ,kk;q=0.9' });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('lang="kk"');
    expect(answer.body).toContain('Форма толық емес немесе бүлінген күйде келді');
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

  it('is named on the API, with a kind a client words in its own language', async () => {
    const answer = await post('{"type":"access","email":"a@example.kz","language":"kk","nickname":"x","age":3}', 'application/json');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).fields).toEqual([
      { field: 'nickname', message: 'is not a field this takes', kind: 'unknownField' },
      { field: 'age', message: 'is not a field this takes', kind: 'unknownField' },
    ]);
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

  it('the next day is a new request', async () => {
    const body = formBody(...fields('My orders, please.'));
    const first = await post(body, multipart);
    system.setNow(new Date(system.deps.clock.now().getTime() + 24 * 3_600_000));
    const nextDay = await post(body, multipart);
    expect(referenceOf(nextDay.body)).not.toBe(referenceOf(first.body));
  });
});
