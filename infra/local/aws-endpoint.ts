import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessDenied, SignatureRefused, UnrecognizedClient, type Authorization, type Principal, type Principals } from './iam.ts';
import type { Meter } from './meter.ts';

export interface ServiceRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ServiceResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** How one AWS service names what a call needs, and how it words a refusal on the wire. */
export interface ServiceProtocol {
  /** The IAM action and resource(s) the call needs, as the service's authorization reference lists them. */
  authorizations(request: ServiceRequest): Authorization[];
  accessDenied(message: string, request: ServiceRequest): ServiceResponse;
  unrecognizedClient(message: string, request: ServiceRequest): ServiceResponse;
  /** A call the service takes without AWS credentials (Cognito's sign-in flow, its JWKS); none by default. */
  isPublic?(request: ServiceRequest): boolean;
  /**
   * A service that takes presigned URLs (signed in the query, S3) words a refused one so; a service without it takes
   * signatures in the Authorization header only.
   */
  signatureRefused?(error: SignatureRefused, request: ServiceRequest): ServiceResponse;
}

export type Upstream = (request: ServiceRequest) => Promise<ServiceResponse>;

/** JSON text as an object: undefined when it is not JSON or not an object (an empty text is `{}`). */
export function jsonObjectOf(bytes: Buffer): Record<string, any> | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8') || '{}') as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

const parsedBodies = new WeakMap<Buffer, Record<string, any> | undefined>();

/**
 * A call's body as a JSON object (undefined when it is not one), parsed once per call however many parts of the
 * endpoint read it (the protocol's authorizations, the meter). Shared: read it, never change it.
 */
export function jsonBodyOf(request: ServiceRequest): Record<string, any> | undefined {
  if (!parsedBodies.has(request.body)) parsedBodies.set(request.body, jsonObjectOf(request.body));
  return parsedBodies.get(request.body);
}

/** A refusal in the AWS JSON protocols (DynamoDB, Step Functions, Secrets Manager). */
export function jsonError(status: number, type: string, message: string, contentType = 'application/x-amz-json-1.0'): ServiceResponse {
  return { status, headers: { 'content-type': contentType, 'x-amzn-requestid': randomUUID() }, body: JSON.stringify({ __type: type, message, Message: message }) };
}

/**
 * Forwards a call unchanged to a stand-in that listens on loopback: optionally without its signature, or as signed
 * with another access key (a stand-in that keeps one database per key and checks no signature, as DynamoDB Local).
 */
export function forwardTo(baseUrl: string, options: { dropSignature?: boolean; asAccessKey?: string } = {}): Upstream {
  const target = new URL(baseUrl);
  return (request) =>
    new Promise<ServiceResponse>((resolve, reject) => {
      const headers = { ...request.headers, host: target.host, 'content-length': String(request.body.length) };
      if (options.dropSignature) delete headers.authorization;
      if (options.asAccessKey && headers.authorization) headers.authorization = headers.authorization.replace(/Credential=[^/,\s]+\//, `Credential=${options.asAccessKey}/`);
      delete headers['transfer-encoding'];
      const query = request.query.toString();
      const outgoing = httpRequest({ host: target.hostname, port: target.port, method: request.method, path: `${request.path}${query ? `?${query}` : ''}`, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) if (value !== undefined && name !== 'transfer-encoding' && name !== 'connection') responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ status: response.statusCode ?? 500, headers: responseHeaders, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
}

/**
 * One AWS service endpoint of the local runtime, on loopback. Every call is identified by the access key it was
 * signed with (each function has its own), checked against that function's role policy from the template, and
 * refused with AccessDenied as AWS would; an allowed call goes to the service's stand-in.
 */
export class AwsEndpoint {
  private server?: Server;

  constructor(
    readonly service: string,
    private readonly principals: Principals,
    private readonly protocol: ServiceProtocol,
    private readonly upstream: Upstream,
    private readonly meter?: Meter,
  ) {}

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    if (this.protocol.isPublic?.(request)) return this.upstream(request);
    let principal: Principal;
    let authorizations: Authorization[];
    try {
      // A presigned URL, from a browser or the CLI, is checked in full (signature, expiry); a function's own call, signed
      // in its Authorization header, is known by its access key.
      principal =
        this.protocol.signatureRefused && request.query.has('X-Amz-Signature') ? this.principals.identifyPresigned(request, this.service) : this.principals.identify(request.headers.authorization);
      authorizations = this.protocol.authorizations(request);
      this.principals.authorize(principal, authorizations);
    } catch (error) {
      // Never the URL: it opens a person's file to whoever holds it.
      if (error instanceof SignatureRefused) {
        console.error(`[iam] ${this.service}: a presigned ${request.method} refused: ${error.code}`);
        return this.protocol.signatureRefused!(error, request);
      }
      if (error instanceof AccessDenied) {
        console.error(`[iam] ${this.service}: ${error.message}`);
        return this.protocol.accessDenied(error.message, request);
      }
      if (error instanceof UnrecognizedClient) return this.protocol.unrecognizedClient(error.message, request);
      throw error;
    }
    // The caller's session name: the function's logical id (or `operator`).
    return this.meter ? this.meter.call(principal.arn.split('/').pop()!, this.service, request, authorizations, this.upstream) : this.upstream(request);
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer(async (req, res) => {
      try {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const url = new URL(req.url ?? '/', 'http://localhost');
        const response = await this.handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(response.status, response.headers).end(response.body);
      } catch (error) {
        console.error(`[${this.service}] ${(error as Error).stack ?? error}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error in the local stand-in');
      }
    });
    // The SDK keeps connections alive; idle ones must not hold a stopping runtime open.
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
