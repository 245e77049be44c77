import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DataSource } from '../../../functions/config/profile-schema.ts';
import { HttpSourceConnector } from '../../../functions/adapters/sources/http-source.ts';
import { DependencyError } from '../../../functions/domain/errors.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../../functions/domain/signing.ts';

const SECRET = 'company-service-signing-key';
const alice = { email: 'alice@example.kz' };
const bob = { email: 'bob@example.kz' };

interface Call {
  path: string;
  body: { subject: { email: string }; requestId?: string; changes?: Record<string, string>; attributes?: string[]; fields?: string[] };
}
type Answer = { status: number; body?: unknown } | 'hang';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A company service on loopback: checks every signature as a real one must, then answers through `handle`. */
async function startService(handle: (call: Call) => Answer): Promise<{ url: string; calls: Call[]; received: () => number }> {
  /** Calls whose signature checked out; `received` counts every request, refused ones too. */
  const calls: Call[] = [];
  let received = 0;
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    received++;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const reply = (status: number, body?: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
    if (request.method !== 'POST') return reply(405);
    if (!verifySignature(request.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, raw, SECRET, new Date())) return reply(401, { error: 'bad signature' });
    const call: Call = { path: request.url ?? '', body: JSON.parse(raw.toString('utf8')) };
    calls.push(call);
    const answer = handle(call);
    if (answer !== 'hang') reply(answer.status, answer.body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/derbes/`, calls, received: () => received };
}

/** The records a company keeps, by e-mail address, with the operations derbes calls. */
function companyService(legalHold = new Set<string>()) {
  const people = new Map<string, { records: Array<Record<string, unknown>>; blocked: boolean }>([
    ['alice@example.kz', { records: [{ id: 1, name: 'Alice', phone: '+77001234567' }, { id: 2, name: 'Alice', order: 'A-17' }], blocked: false }],
    ['bob@example.kz', { records: [{ id: 3, name: 'Bob', phone: '+77007654321' }], blocked: false }],
  ]);
  const handle = ({ path, body }: Call): Answer => {
    const person = people.get(body.subject.email);
    const affected = person?.records.length ?? 0;
    switch (path) {
      case '/derbes/find':
        return { status: 200, body: { records: (person?.records ?? []).map((record) => ({ ...record, ...(person?.blocked ? { blocked: true } : {}) })) } };
      case '/derbes/rectify':
        person?.records.forEach((record) => Object.assign(record, body.changes));
        return { status: 200, body: { status: 'done', affected } };
      case '/derbes/block':
      case '/derbes/unblock':
        if (person) person.blocked = path.endsWith('/block');
        return { status: 200, body: { status: 'done', affected } };
      case '/derbes/withdraw-consent': {
        let changed = 0;
        for (const record of person?.records ?? []) {
          const held = (body.attributes ?? []).filter((a: string) => a in record && record[a] !== false);
          held.forEach((a: string) => (record[a] = false));
          if (held.length) changed++;
        }
        return { status: 200, body: { status: 'done', affected: changed } };
      }
      case '/derbes/erase-fields': {
        let changed = 0;
        for (const record of person?.records ?? []) {
          const held = (body.fields ?? []).filter((field: string) => field in record);
          held.forEach((field: string) => (record[field] = '[erased]'));
          if (held.length) changed++;
        }
        return { status: 200, body: { status: 'done', affected: changed } };
      }
      case '/derbes/erase':
        if (legalHold.has(body.subject.email)) return { status: 200, body: { status: 'kept', basis: 'Accounting law: invoices are kept for 5 years' } };
        people.delete(body.subject.email);
        return { status: 200, body: { status: 'done', affected } };
      default:
        return { status: 404 };
    }
  };
  return { handle };
}

function source(url: string, personalFields: string[] = []): Extract<DataSource, { kind: 'http' }> {
  return {
    id: 'crm',
    kind: 'http',
    url,
    secretName: 'CRM_SIGNING_KEY',
    marketingList: false,
    fields: {},
    consentAttributes: {},
    description: { en: 'CRM' },
    categories: { en: 'contact details, orders' },
    erasure: 'delete',
    personalFields,
  };
}

const fastRetry = { attempts: 3, baseDelayMs: 10, timeoutMs: 300 };

describe('HTTP source', () => {
  it('finds, rectifies, blocks, unblocks and erases through the signed calls', async () => {
    const service = await startService(companyService().handle);
    const connector = new HttpSourceConnector(source(service.url, ['name', 'phone']), async () => SECRET);

    expect(await connector.find(alice)).toEqual([
      { id: 1, name: 'Alice', phone: '+77001234567' },
      { id: 2, name: 'Alice', order: 'A-17' },
    ]);
    expect(await connector.rectify(alice, { name: 'Alisa', order: 'forged' })).toEqual({ status: 'done', affected: 2 });
    expect(service.calls.at(-1)!.body).toEqual({ subject: alice, changes: { name: 'Alisa' } });
    expect((await connector.find(alice)).map((record) => record.name)).toEqual(['Alisa', 'Alisa']);

    expect(await connector.block(alice)).toEqual({ status: 'done', affected: 2 });
    expect((await connector.find(alice)).every((record) => record.blocked === true)).toBe(true);
    expect(await connector.find(bob)).toEqual([{ id: 3, name: 'Bob', phone: '+77007654321' }]);
    expect(await connector.unblock(alice)).toEqual({ status: 'done', affected: 2 });
    expect((await connector.find(alice)).some((record) => 'blocked' in record)).toBe(false);

    expect(await connector.erase(alice)).toEqual({ status: 'done', affected: 2 });
    expect(await connector.find(alice)).toEqual([]);
    expect(await connector.find(bob)).toHaveLength(1);
  });

  it('names the request each call is made for, so the service can answer a repeated call as it did the first', async () => {
    const service = await startService(companyService().handle);
    const connector = new HttpSourceConnector(source(service.url), async () => SECRET);
    await connector.erase({ ...alice, requestId: 'DRB-7K3F9-Q2M4X' });
    expect(service.calls.at(-1)).toEqual({ path: '/derbes/erase', body: { subject: alice, requestId: 'DRB-7K3F9-Q2M4X' } });
  });

  it('erases particular fields by a call of its own, naming them, and keeps the rest', async () => {
    const service = await startService(companyService().handle);
    const connector = new HttpSourceConnector(source(service.url, ['name', 'phone']), async () => SECRET);
    expect(await connector.eraseFields({ ...alice, requestId: 'DRB-7K3F9-Q2M4X' }, ['phone'])).toEqual({ status: 'done', affected: 1 });
    expect(service.calls.at(-1)).toEqual({ path: '/derbes/erase-fields', body: { subject: alice, requestId: 'DRB-7K3F9-Q2M4X', fields: ['phone'] } });
    expect(await connector.find(alice)).toEqual([
      { id: 1, name: 'Alice', phone: '[erased]' },
      { id: 2, name: 'Alice', order: 'A-17' },
    ]);
  });

  it('fails a limited erasure a service does not know, rather than erase everything', async () => {
    // A service written before limited erasures: it answers erase, and nothing else it does not know.
    const service = await startService((call) => (call.path === '/derbes/erase' ? { status: 200, body: { status: 'done', affected: 2 } } : { status: 404 }));
    const connector = new HttpSourceConnector(source(service.url, ['phone']), async () => SECRET, fastRetry);
    await expect(connector.eraseFields(alice, ['phone'])).rejects.toThrow('source crm: erase-fields failed after 1 attempt(s): answered HTTP 404');
    expect(service.calls.map((call) => call.path)).toEqual(['/derbes/erase-fields']);
  });

  it('sets the consent attributes a withdrawal names to false, on the records that hold them', async () => {
    const records = companyService();
    const service = await startService(records.handle);
    const connector = new HttpSourceConnector(source(service.url), async () => SECRET);
    await connector.rectify(alice, { newsletter: 'x' }); // the test service takes any field
    expect(await connector.withdrawConsent({ ...alice, requestId: 'DRB-7K3F9-Q2M4X' }, ['newsletter'])).toEqual({ status: 'done', affected: 2 });
    expect(service.calls.at(-1)).toEqual({ path: '/derbes/withdraw-consent', body: { subject: alice, requestId: 'DRB-7K3F9-Q2M4X', attributes: ['newsletter'] } });
    expect((await connector.find(alice)).map((r) => r.newsletter)).toEqual([false, false]);
  });

  it('makes no call for a rectification that changes no permitted field', async () => {
    const service = await startService(companyService().handle);
    const connector = new HttpSourceConnector(source(service.url, ['name']), async () => SECRET);
    expect(await connector.rectify(alice, { order: 'A-18' })).toEqual({ status: 'done', affected: 0 });
    expect(service.calls).toEqual([]);
  });

  it('returns a refusal with a legal basis as the outcome', async () => {
    const service = await startService(companyService(new Set(['alice@example.kz'])).handle);
    const connector = new HttpSourceConnector(source(service.url), async () => SECRET);
    expect(await connector.erase(alice)).toEqual({ status: 'kept', basis: 'Accounting law: invoices are kept for 5 years' });
    expect(await connector.find(alice)).toHaveLength(2);
  });

  it('is refused with 401 when it signs with another key, and does not retry that', async () => {
    const service = await startService(companyService().handle);
    const connector = new HttpSourceConnector(source(service.url), async () => 'not-the-shared-key');
    await expect(connector.find(alice)).rejects.toThrow(new DependencyError('source crm: find failed after 1 attempt(s): answered HTTP 401'));
    expect(service.received()).toBe(1);
    expect(service.calls).toEqual([]);
  });

  it('retries a service that fails twice with 503, then succeeds', async () => {
    const { handle } = companyService();
    let failures = 0;
    const service = await startService((call) => (failures++ < 2 ? { status: 503 } : handle(call)));
    const connector = new HttpSourceConnector(source(service.url), async () => SECRET);
    expect(await connector.block(alice)).toEqual({ status: 'done', affected: 2 });
    expect(service.calls.map((call) => call.path)).toEqual(['/derbes/block', '/derbes/block', '/derbes/block']);
  });

  it('gives DependencyError once every attempt failed', async () => {
    const service = await startService(() => ({ status: 500 }));
    const connector = new HttpSourceConnector(source(service.url), async () => SECRET);
    const failure = connector.erase(alice);
    await expect(failure).rejects.toBeInstanceOf(DependencyError);
    await expect(failure).rejects.toThrow('source crm: erase failed after 3 attempt(s): answered HTTP 500');
    expect(service.calls).toHaveLength(3);
  });

  it('retries a 429 but not another 4xx', async () => {
    const limited = await startService(() => ({ status: 429 }));
    await expect(new HttpSourceConnector(source(limited.url), async () => SECRET, fastRetry).find(alice)).rejects.toThrow('after 3 attempt(s): answered HTTP 429');
    expect(limited.calls).toHaveLength(3);
    const missing = await startService(() => ({ status: 404 }));
    await expect(new HttpSourceConnector(source(missing.url), async () => SECRET, fastRetry).find(alice)).rejects.toThrow('after 1 attempt(s): answered HTTP 404');
    expect(missing.calls).toHaveLength(1);
  });

  it('times out a service that does not answer, and retries it', async () => {
    const service = await startService(() => 'hang');
    const connector = new HttpSourceConnector(source(service.url), async () => SECRET, fastRetry);
    await expect(connector.find(alice)).rejects.toThrow('source crm: find failed after 3 attempt(s): no answer within 300 ms');
    expect(service.calls).toHaveLength(3);
  });

  it('treats a refused connection as a network error', async () => {
    const service = await startService(() => ({ status: 200 }));
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
    const connector = new HttpSourceConnector(source(service.url), async () => SECRET, fastRetry);
    await expect(connector.find(alice)).rejects.toThrow('source crm: find failed after 3 attempt(s): network error: ECONNREFUSED');
  });

  it.each([
    ['records missing', { items: [] }, 'find', 'answered unexpectedly: records: '],
    ['a record that is not an object', { records: ['Alice'] }, 'find', 'answered unexpectedly: records.0: '],
    ['an unknown status', { status: 'maybe' }, 'erase', 'answered unexpectedly: status: '],
    ['a negative count', { status: 'done', affected: -1 }, 'block', 'answered unexpectedly: affected: '],
    ['kept without a basis', { status: 'kept' }, 'erase', 'answered unexpectedly: basis: '],
  ] as const)('reports a malformed answer (%s) as DependencyError naming the problem', async (_, body, operation, problem) => {
    const service = await startService(() => ({ status: 200, body }));
    const connector = new HttpSourceConnector(source(service.url), async () => SECRET);
    const failure = operation === 'find' ? connector.find(alice) : connector[operation](alice);
    await expect(failure).rejects.toBeInstanceOf(DependencyError);
    await expect(failure).rejects.toThrow(`source crm: ${operation} ${problem}`);
    await expect(failure).rejects.not.toThrow(/Alice/);
  });

  it('reports an answer that is not JSON', async () => {
    const service = await startService(() => ({ status: 200 }));
    await expect(new HttpSourceConnector(source(service.url), async () => SECRET).find(alice)).rejects.toThrow('source crm: find answered with something that is not JSON');
  });
});
