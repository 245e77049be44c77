import { describe, expect, it } from 'vitest';
import { InvalidTokenError } from '../../../functions/domain/errors.ts';
import { hashSecretCode } from '../../../functions/domain/secret-code.ts';
import { download, PACKAGE_LINK_DAYS } from '../../../functions/use-cases/access-package.ts';
import { NOW, placeRequest, runToAnswer, systemFor } from '../../support/flow.ts';

const tokens = (answer: string) => Object.fromEntries([...answer.matchAll(/token=([\w-]{43})&lang=\w+&format=(\w+)/g)].map((m) => [m[2]!, m[1]!]));

describe('the access package', () => {
  it('is a JSON copy and a page behind single-use links that expire', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { language: 'kk' });
    const links = tokens(await runToAnswer(s, request.id));
    expect(Object.keys(links).sort()).toEqual(['html', 'json']);

    const json = await download(s.deps, links.json!);
    expect(json).toMatchObject({ requestId: request.id, contentType: 'application/json; charset=utf-8', filename: `${request.id}.json` });
    const copy = JSON.parse(json.body) as { reference: string; controller: Record<string, string>; data: Array<{ source: string; records: Array<Record<string, unknown>> }> };
    expect(copy.reference).toBe(request.id);
    expect(copy.controller).toMatchObject({ name: '«Демо Дербес» ЖШС', legalName: 'Demo Derbes LLP' });
    expect(copy.data[0]!.records.map((r) => r.email)).toEqual(['aigerim@example.kz', 'aigerim@example.kz']);
    await expect(download(s.deps, links.json!)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(download(s.deps, 'x'.repeat(10_000))).rejects.toThrow(new InvalidTokenError('download token is malformed'));

    s.setNow(new Date(NOW.getTime() + PACKAGE_LINK_DAYS * 86_400_000 + 1));
    await expect(download(s.deps, links.html!)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('is a page in the person\'s language', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access'], { language: 'kk' });
    const page = await download(s.deps, tokens(await runToAnswer(s, request.id)).html!);
    expect(page.body).toMatch(/^<!doctype html>\n<html lang="kk">/);
    expect(page.body).toContain('Клиенттер базасы');
  });

  it('is one stored object holding both renderings; a link granted before they shared one still gets its own file', async () => {
    const s = systemFor('profiles/demo.json');
    const request = await placeRequest(s, ['access']);
    await runToAnswer(s, request.id);
    expect([...s.packages.objects.keys()].map((key) => key.split('/').pop())).toEqual(['package.json']);
    await s.deps.packages.put('packages/earlier/data.html', '<!doctype html><p>earlier</p>', 'text/html; charset=utf-8');
    await s.deps.downloads.put(hashSecretCode('e'.repeat(43)), { requestId: request.id, objectKey: 'packages/earlier/data.html', contentType: 'text/html; charset=utf-8', filename: 'earlier.html' }, new Date(NOW.getTime() + 86_400_000).toISOString());
    expect((await download(s.deps, 'e'.repeat(43))).body).toBe('<!doctype html><p>earlier</p>');
  });
});
