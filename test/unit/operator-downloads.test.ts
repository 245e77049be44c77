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

/** A system whose archive holds two mails and one kept file, as the raw-mail bucket would; each link names what it is for. */
function withArchive() {
  const s = systemFor('profiles/demo.json');
  const mails = new Map([['ses-a', raw('a')], ['ses-b', raw('b')]]);
  const link = (what: string) => ({ url: `https://raw-mail.s3.example/${what}?X-Amz-Signature=00`, expiresAt: '2026-12-01T10:01:00.000Z' });
  const deps = {
    ...s.deps,
    mailArchive: {
      read: async (id: string) => mails.get(id) ?? new Uint8Array(),
      keep: async () => 'attachments/none',
      attachmentLink: async (requestId: string, key: string) => {
        if (key !== `attachments/${requestId}/f1`) throw new NotFoundError(`no attachment ${key}`);
        return link(key);
      },
      rawMailLink: async (id: string, filename: string) => {
        if (!mails.has(id)) throw new NotFoundError(`no raw mail ${id}`);
        return link(`inbound/${id}#${filename}`);
      },
    },
  };
  return { s, deps };
}

const call = (key: OperatorRouteKey, path: Record<string, string>, query: Record<string, string>) =>
  ({ routeKey: key, pathParameters: path, queryStringParameters: query, headers: {}, requestContext: { http: { sourceIp: '127.0.0.1' } } }) as unknown as APIGatewayProxyEventV2;

describe('downloads of what a person sent', () => {
  it("answers with a link to a mail of the request, to save as an .eml under the request's name; another request's mail is not found", async () => {
    const { deps } = withArchive();
    const first = (await receiveEmail(deps, 'ses-a', raw('a'), PASS)).requestId!;
    const second = (await receiveEmail(deps, 'ses-b', raw('b'), PASS)).requestId!;
    const result = await operatorCall(deps, 'GET /operator/requests/{reference}/raw-mail', call('GET /operator/requests/{reference}/raw-mail', { reference: first }, { message: 'ses-a' }), VIEWER);
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    expect(JSON.parse(String(result.body))).toEqual({ url: `https://raw-mail.s3.example/inbound/ses-a#${first}-ses-a.eml?X-Amz-Signature=00`, expiresAt: '2026-12-01T10:01:00.000Z' });
    await expect(operatorCall(deps, 'GET /operator/requests/{reference}/raw-mail', call('GET /operator/requests/{reference}/raw-mail', { reference: first }, { message: 'ses-b' }), VIEWER)).rejects.toBeInstanceOf(NotFoundError);
    await expect(operatorCall(deps, 'GET /operator/requests/{reference}/raw-mail', call('GET /operator/requests/{reference}/raw-mail', { reference: second }, {}), VIEWER)).rejects.toMatchObject({ problems: [{ field: 'message' }] });
  });

  it("answers with a link to a kept attachment of the request only; another request's key is not found", async () => {
    const { deps } = withArchive();
    const first = (await receiveEmail(deps, 'ses-a', raw('a'), PASS)).requestId!;
    const second = (await receiveEmail(deps, 'ses-b', raw('b'), PASS)).requestId!;
    const attachment = (reference: string, key: string) =>
      operatorCall(deps, 'GET /operator/requests/{reference}/attachment', call('GET /operator/requests/{reference}/attachment', { reference }, { key }), VIEWER);
    expect(JSON.parse(String((await attachment(first, `attachments/${first}/f1`)).body)).url).toBe(`https://raw-mail.s3.example/attachments/${first}/f1?X-Amz-Signature=00`);
    await expect(attachment(second, `attachments/${first}/f1`)).rejects.toBeInstanceOf(NotFoundError);
  });
});
