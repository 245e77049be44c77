import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../functions/domain/errors.ts';
import { operatorCall } from '../../functions/handlers/http/operator-routes.ts';
import type { OperatorRouteKey } from '../../functions/handlers/http/routes.ts';
import { receiveEmail } from '../../functions/use-cases/receive-email.ts';
import { systemFor } from '../support/flow.ts';

const PASS = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' } as const;
const VIEWER = { kind: 'person', sub: '0b9c1d2e-0000-4000-8000-00000000b0b0', email: 'viewer@demo.kz' } as const;
const raw = (id: string) => new TextEncoder().encode(['From: Aigerim <aigerim@example.kz>', 'To: privacy@derbes.local', `Message-ID: <${id}@mail.example>`, 'Subject: Прошу копию моих данных', 'Content-Type: text/plain; charset=utf-8', '', 'Прошу предоставить копию моих персональных данных.', ''].join('\r\n'));

/** A system whose archive holds two mails and one kept file, as the raw-mail bucket would. */
function withArchive(kept: { contentType: string; filename: string }) {
  const s = systemFor('profiles/demo.json');
  const mails = new Map([['ses-a', raw('a')], ['ses-b', raw('b')]]);
  const deps = {
    ...s.deps,
    mailArchive: {
      read: async (id: string) => mails.get(id) ?? new Uint8Array(),
      keep: async () => 'attachments/none',
      fetch: async (requestId: string, key: string) => {
        if (key !== `attachments/${requestId}/f1`) throw new NotFoundError(`no attachment ${key}`);
        return { ...kept, content: new TextEncoder().encode('<svg onload="alert(1)"/>') };
      },
    },
  };
  return { s, deps };
}

const call = (key: OperatorRouteKey, path: Record<string, string>, query: Record<string, string>) =>
  ({ routeKey: key, pathParameters: path, queryStringParameters: query, headers: {}, requestContext: { http: { sourceIp: '127.0.0.1' } } }) as unknown as APIGatewayProxyEventV2;

describe('downloads of what a person sent', () => {
  it('serves a mail of the request as it arrived, as an .eml attachment; another request\'s mail is not found', async () => {
    const { deps } = withArchive({ contentType: 'application/pdf', filename: 'x.pdf' });
    const first = (await receiveEmail(deps, 'ses-a', raw('a'), PASS)).requestId!;
    const second = (await receiveEmail(deps, 'ses-b', raw('b'), PASS)).requestId!;
    const result = await operatorCall(deps, 'GET /operator/requests/{reference}/raw-mail', call('GET /operator/requests/{reference}/raw-mail', { reference: first }, { message: 'ses-a' }), VIEWER);
    expect(result.headers).toMatchObject({ 'content-type': 'message/rfc822', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
    expect(String(result.headers!['content-disposition'])).toMatch(new RegExp(`^attachment; filename="${first}-ses-a\\.eml"`));
    expect(Buffer.from(String(result.body), 'base64').toString('utf8')).toContain('Message-ID: <a@mail.example>');
    await expect(operatorCall(deps, 'GET /operator/requests/{reference}/raw-mail', call('GET /operator/requests/{reference}/raw-mail', { reference: first }, { message: 'ses-b' }), VIEWER)).rejects.toBeInstanceOf(NotFoundError);
    await expect(operatorCall(deps, 'GET /operator/requests/{reference}/raw-mail', call('GET /operator/requests/{reference}/raw-mail', { reference: second }, {}), VIEWER)).rejects.toMatchObject({ problems: [{ field: 'message' }] });
  });

  it.each([
    ['image/svg+xml', 'photo.svg'],
    ['text/html', 'passport.html'],
    ['image/png"; x=', 'scan.png'],
  ])('labels a file sent as %s as bytes, never renderable, and always as an attachment', async (contentType, filename) => {
    const { s, deps } = withArchive({ contentType, filename });
    const request = (await receiveEmail(deps, 'ses-a', raw('a'), PASS)).requestId!;
    const result = await operatorCall(deps, 'GET /operator/requests/{reference}/attachment', call('GET /operator/requests/{reference}/attachment', { reference: request }, { key: `attachments/${request}/f1` }), VIEWER);
    expect(result.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'x-content-type-options': 'nosniff', 'content-security-policy': "sandbox; default-src 'none'" });
    expect(String(result.headers!['content-disposition'])).toMatch(/^attachment; /);
    expect(s.audit.events.length).toBeGreaterThan(0);
  });

  it('keeps a PDF a PDF', async () => {
    const { deps } = withArchive({ contentType: 'Application/PDF', filename: 'справка.pdf' });
    const request = (await receiveEmail(deps, 'ses-a', raw('a'), PASS)).requestId!;
    const result = await operatorCall(deps, 'GET /operator/requests/{reference}/attachment', call('GET /operator/requests/{reference}/attachment', { reference: request }, { key: `attachments/${request}/f1` }), VIEWER);
    expect(result.headers).toMatchObject({ 'content-type': 'application/pdf', 'content-disposition': expect.stringContaining("filename*=UTF-8''%D1%81%D0%BF%D1%80%D0%B0%D0%B2%D0%BA%D0%B0.pdf") });
  });
});
