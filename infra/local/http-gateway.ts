import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { JwtRefused, type JwtAuthorizer } from './jwt-authorizer.ts';

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/;

/** Turns a Node request into the HTTP API's payload format 2.0 event, as API Gateway would. */
function toEvent(req: IncomingMessage, body: Buffer, routeKey: string, pathParameters?: Record<string, string>): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  const query = url.searchParams.size ? Object.fromEntries(url.searchParams) : undefined;
  const isText = TEXT_TYPES.test(headers['content-type'] ?? 'text/plain');
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: query,
    pathParameters,
    body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method: req.method ?? 'GET', path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

/** An HTTP API's largest payload (API Gateway quotas: 10 MB). */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** The local stand-in for the HTTP API: the template's routes, each to its function. */
export class HttpGateway {
  private server?: Server;

  constructor(
    private readonly routes: Map<string, string>,
    private readonly invoke: (functionId: string, event: APIGatewayProxyEventV2) => Promise<unknown>,
    /** Route key → the JWT authorizer on that route, which lets a call reach the function or answers 401 itself. */
    private readonly authorizers: Map<string, JwtAuthorizer> = new Map(),
  ) {}

  /** Matches like API Gateway: exact routes first, then `{name}` segments (one path segment each). */
  private match(method: string, path: string): { routeKey: string; functionId: string; pathParameters?: Record<string, string> } | undefined {
    const exact = this.routes.get(`${method} ${path}`);
    if (exact) return { routeKey: `${method} ${path}`, functionId: exact };
    const segments = path.split('/');
    for (const [routeKey, functionId] of this.routes) {
      const [routeMethod, routePath] = routeKey.split(' ') as [string, string];
      const pattern = routePath.split('/');
      if (routeMethod !== method || pattern.length !== segments.length) continue;
      const parameters: Record<string, string> = {};
      const fits = pattern.every((part, i) => {
        const name = /^\{(\w+)\}$/.exec(part)?.[1];
        if (name) return segments[i] !== '' && (parameters[name] = decodeURIComponent(segments[i]!)) !== undefined;
        return part === segments[i];
      });
      if (fits) return { routeKey, functionId, pathParameters: parameters };
    }
    return undefined;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    this.server = createServer(async (req, res) => {
      // A payload over API Gateway's limit is refused as API Gateway refuses it, before any function sees it; the
      // rest of it is read and dropped, so a huge body costs no memory.
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk as Buffer);
      }
      if (size > MAX_PAYLOAD_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Request Entity Too Large' }));
        return;
      }
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const match = this.match(req.method ?? 'GET', path);
      if (!match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      const event = toEvent(req, Buffer.concat(chunks), match.routeKey, match.pathParameters);
      const authorizer = this.authorizers.get(match.routeKey);
      if (authorizer) {
        try {
          const claims = await authorizer.verify(req.headers.authorization);
          // As API Gateway passes them: the verified claims, and the access token's scopes (none on an ID token).
          Object.assign(event.requestContext, { authorizer: { jwt: { claims, scopes: claims.scope ? claims.scope.split(' ') : null } } });
        } catch (error) {
          if (!(error instanceof JwtRefused)) throw error;
          res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer error="invalid_token" error_description="${error.message.replace(/"/g, "'")}"` });
          res.end(JSON.stringify({ message: 'Unauthorized' }));
          return;
        }
      }
      try {
        const result = (await this.invoke(match.functionId, event)) as APIGatewayProxyStructuredResultV2;
        const body = result.body ?? '';
        res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
        res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
      } catch (error) {
        // API Gateway answers 500 when the integration itself fails.
        console.error(`[http] ${match.routeKey} failed: ${(error as Error).name}`);
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal Server Error' }));
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
