import { connect } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpGateway, MAX_PAYLOAD_BYTES } from '../../infra/local/http-gateway.ts';

/** The local HTTP API refuses what API Gateway refuses, so a function that passes here does not meet a kinder gateway than AWS's. */
let gateway: HttpGateway;
let url: string;
const bodies: number[] = [];

beforeAll(async () => {
  gateway = new HttpGateway(new Map([['POST /api/requests', 'HttpApi'], ['GET /console/{page}', 'HttpApi'], ['GET /health', 'HttpApi']]), async (_, event: APIGatewayProxyEventV2) => {
    if (event.routeKey !== 'POST /api/requests') return { statusCode: 200, body: '{}' };
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

/** What a raw client sends, and what comes back before the server closes the connection (or the client gives up). */
function exchange(bytes: string, closeAfterMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(bytes));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    if (closeAfterMs !== undefined) setTimeout(() => socket.destroy(), closeAfterMs);
  });
}

describe('a request the gateway cannot read ends with that request, never with the runtime', () => {
  it('answers 400 to a path segment that is not percent-encoding', async () => {
    const response = await fetch(`${url}/console/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: 'Bad Request' });
  });

  it('answers 400 to a request target that is no URL', async () => {
    expect(await exchange('GET http://a:99999/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('lets a client that drops its connection mid-body go, and answers the next one', async () => {
    const before = bodies.length;
    await exchange('POST /api/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":', 300);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(bodies.length).toBe(before);
  });
});
