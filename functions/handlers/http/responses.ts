import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ValidationError } from '../../domain/errors.ts';

export type Result = APIGatewayProxyStructuredResultV2;

/** Every API answer: JSON, never cached (it may concern a person). */
export const json = (statusCode: number, body: unknown): Result => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/**
 * Every page: no scripts, forms post only to us, no other site frames it (a press on a framed confirmation page could
 * be lured), no referrer leaks a code in the URL.
 */
export const html = (statusCode: number, body: string): Result => ({
  statusCode,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'referrer-policy': 'no-referrer',
  },
  body,
});

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}

/** The request body as text, whether API Gateway passed it plain or base64-encoded. */
export function rawBody(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * The body as a JSON object (none is `{}`); text that is not JSON, or JSON that is not an object, is refused as such,
 * naming what the call was about (`context`).
 */
export function objectBody(event: APIGatewayProxyEventV2, context: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody(event) || '{}');
  } catch {
    throw new ValidationError([{ field: '(body)', message: 'is not valid JSON', kind: 'format' }], context);
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  throw new ValidationError([{ field: '(body)', message: 'must be a JSON object', kind: 'format' }], context);
}
