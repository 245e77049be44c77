import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { JwtRefused, type JwtAuthorizer } from './jwt-authorizer.ts';

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/;

/** A request the gateway cannot read (a target that is no URL, a path segment that is no percent-encoding): 400. */
class UnreadableRequest extends Error {
  override readonly name = 'UnreadableRequest';
}

/** The request's target as a URL; a target no URL parser takes (`http://a:99999/`) is the client's error. */
function urlOf(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    throw new UnreadableRequest('the request target is not a URL');
  }
}

function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new UnreadableRequest('a path segment is not valid percent-encoding');
  }
}

/** Turns a Node request into the HTTP API's payload format 2.0 event, as API Gateway would. */
function toEvent(req: IncomingMessage, url: URL, body: Buffer, routeKey: string, pathParameters?: Record<string, string>): APIGatewayProxyEventV2 {
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
        if (name) return segments[i] !== '' && (parameters[name] = decodedSegment(segments[i]!)) !== undefined;
        return part === segments[i];
      });
      if (fits) return { routeKey, functionId, pathParameters: parameters };
    }
    return undefined;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    // Whatever one request does — a target no URL parser takes, a client gone mid-body, a function failing — ends
    // with that request; nothing of it reaches the process (an unhandled rejection would end the whole runtime).
    this.server = createServer((req, res) => void this.serve(req, res).catch((error: Error) => this.refuse(req, res, error)));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    const url = urlOf(req);
    const match = this.match(req.method ?? 'GET', url.pathname);
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
      return;
    }
    const event = toEvent(req, url, Buffer.concat(chunks), match.routeKey, match.pathParameters);
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
    let result: APIGatewayProxyStructuredResultV2;
    try {
      result = (await this.invoke(match.functionId, event)) as APIGatewayProxyStructuredResultV2;
    } catch (error) {
      // API Gateway answers 500 when the integration itself fails.
      console.error(`[http] ${match.routeKey} failed: ${(error as Error).name}`);
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal Server Error' }));
      return;
    }
    const body = result.body ?? '';
    res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
    res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
  }

  /** The one place a request that could not be served is answered: 400 for what cannot be read, else API Gateway's 500. */
  private refuse(req: IncomingMessage, res: ServerResponse, error: Error): void {
    // A client that closed its connection before its body was read has nobody left to answer.
    if (req.errored || res.destroyed) {
      console.error(`[http] a client closed its connection mid-request (${(error as NodeJS.ErrnoException).code ?? error.name})`);
      res.destroy();
      return;
    }
    if (res.headersSent) {
      console.error(`[http] a response failed after its head was sent: ${error.name}`);
      res.destroy();
      return;
    }
    if (error instanceof UnreadableRequest) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Bad Request' }));
      return;
    }
    console.error(`[http] a request failed in the gateway: ${error.name}`);
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal Server Error' }));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
