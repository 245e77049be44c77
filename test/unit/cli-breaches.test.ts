import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { breachesCommand } from '../../infra/cli/commands/breaches.ts';

/** `derbes breaches …` against an API that answers `answer` and records what it was sent. */
function api(answer: (path: string, body: unknown) => { status: number; json: unknown }) {
  const sent: Array<{ path: string; body: unknown }> = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    const path = new URL(url).pathname;
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    sent.push({ path, body });
    const { status, json } = answer(path, body);
    return new Response(JSON.stringify(json), { status });
  });
  return sent;
}

const run = async (args: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await breachesCommand(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

const BREACH_ROW = { reference: 'BRC-AAAAA-BBBBB', detectedAt: '2026-02-10T04:00:00.000Z', notices: [], subjectCount: 4 };

describe('derbes breaches speaks in its own options', () => {
  beforeEach(() => {
    vi.stubEnv('DERBES_API_URL', 'http://127.0.0.1:9');
    vi.stubEnv('DERBES_OPERATOR_KEY', 'k');
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
  });

  it('record with nothing given names the options it needs, with the usage, and sends nothing', async () => {
    const sent = api(() => ({ status: 500, json: {} }));
    const { code, err } = await run(['record']);
    expect(code).toBe(2);
    expect(err).toContain('missing: --detected, --what, --category, --system, --measures, --responsible-name, --responsible-email');
    expect(err).toContain('usage: derbes breaches list');
    expect(err).not.toMatch(/description|detectedAt/);
    expect(sent).toEqual([]);
  });

  it('record tells a problem by the option it was typed as, and points at every language of the notice', async () => {
    api(() => ({ status: 400, json: { error: 'ValidationError', message: 'Invalid breach', fields: [{ field: 'detectedAt', message: 'must be an ISO 8601 instant with an offset' }, { field: 'responsible.email', message: 'Invalid email' }] } }));
    const given = ['record', '--detected', 'yesterday', '--what', 'x', '--category', 'ФИО', '--system', 'CRM', '--measures', 'y', '--responsible-name', 'Ержан', '--responsible-email', 'no'];
    const refused = await run(given);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe('--detected: must be an ISO 8601 instant with an offset; --responsible-email: Invalid email');
    api(() => ({ status: 201, json: { ...BREACH_ROW, deliveries: {} } }));
    expect((await run(given)).out).toContain('derbes breaches notice BRC-AAAAA-BBBBB --lang ru|kk|en');
  });

  it('help and --help print the usage, which documents record\'s options', async () => {
    for (const args of [['help'], ['--help'], ['record', '--help']]) {
      const { code, out } = await run(args);
      expect(code).toBe(0);
      expect(out).toContain('derbes breaches record --file breach.json | --detected <ISO time> --what "…"');
    }
  });

  it('affected --file takes a list or the API\'s {"people":[…]}, and says what else it was given', async () => {
    const sent = api(() => ({ status: 200, json: { added: 1, alreadyListed: 0, notFound: 0, subjectCount: 1, failedSources: [] } }));
    const folder = mkdtempSync(join(tmpdir(), 'derbes-people-'));
    const file = (name: string, content: unknown) => {
      writeFileSync(join(folder, name), JSON.stringify(content));
      return join(folder, name);
    };
    const person = { email: 'a@mail.example', language: 'kk' };
    expect((await run(['affected', 'BRC-AAAAA-BBBBB', '--file', file('list.json', [person])])).code).toBe(0);
    expect((await run(['affected', 'BRC-AAAAA-BBBBB', '--file', file('api.json', { people: [person] })])).code).toBe(0);
    expect(sent.map((s) => s.body)).toEqual([{ people: [person] }, { people: [person] }]);
    const wrong = await run(['affected', 'BRC-AAAAA-BBBBB', '--file', file('wrong.json', { persons: [person] })]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/wrong\.json holds an object with "persons": give a list of people, .*or \{"people":\[…\]\}$/);
    expect(sent).toHaveLength(2);
  });

  it('mail --approve says whether anyone is left for the watch, and passes the data named per language', async () => {
    const sent = api(() => ({ status: 200, json: { ...BREACH_ROW, deliveries: { sent: 4 }, sentNow: 4 } }));
    const all = await run(['mail', 'BRC-AAAAA-BBBBB', '--text-ru', 'Смените пароль.', '--text-kk', 'Құпиясөзді ауыстырыңыз.', '--category-kk', 'аты-жөні', '--category-kk', 'телефон нөмірі', '--approve']);
    expect(all.out).toMatch(/sent now: 4; nothing is left waiting to go out$/);
    expect(all.out).not.toContain('the rest');
    expect(sent[0]!.body).toEqual({ texts: { ru: 'Смените пароль.', kk: 'Құпиясөзді ауыстырыңыз.' }, dataCategories: { kk: ['аты-жөні', 'телефон нөмірі'] } });
    api(() => ({ status: 200, json: { ...BREACH_ROW, deliveries: { sent: 2, pending: 1, held: 1 }, sentNow: 2 } }));
    expect((await run(['mail', 'BRC-AAAAA-BBBBB', '--text-ru', 'x', '--approve'])).out).toMatch(/sent now: 2; 2 more go out with the watch's runs$/);
  });
});
