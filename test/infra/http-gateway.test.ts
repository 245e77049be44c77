import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpGateway, MAX_PAYLOAD_BYTES } from '../../infra/local/http-gateway.ts';

/** The local HTTP API refuses what API Gateway refuses, so a function that passes here does not meet a kinder gateway than AWS's. */
let gateway: HttpGateway;
let url: string;
const bodies: number[] = [];

beforeAll(async () => {
  gateway = new HttpGateway(new Map([['POST /api/requests', 'HttpApi']]), async (_, event: APIGatewayProxyEventV2) => {
    bodies.push(Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').length);
    return { statusCode: 202, body: '{}' };
  });
  url = `http://127.0.0.1:${await gateway.listen(0)}`;
});
afterAll(() => gateway.stop());

describe('the local HTTP API', () => {
  it('refuses a payload over 10 MB with 413, as API Gateway does, and never invokes the function', async () => {
    const response = await fetch(`${url}/api/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(bodies).toEqual([]);
  });

  it('passes a payload of exactly 10 MB to the function whole', async () => {
    const response = await fetch(`${url}/api/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(MAX_PAYLOAD_BYTES, 0x20) });
    expect(response.status).toBe(202);
    expect(bodies).toEqual([MAX_PAYLOAD_BYTES]);
  });
});
