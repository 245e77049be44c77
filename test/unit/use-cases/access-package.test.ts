import { describe, expect, it } from 'vitest';
import { InvalidTokenError } from '../../../functions/domain/errors.ts';
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
    const copy = JSON.parse(json.body) as { reference: string; data: Array<{ source: string; records: Array<Record<string, unknown>> }> };
    expect(copy.reference).toBe(request.id);
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
});
