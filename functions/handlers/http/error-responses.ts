import { DerbesError, IdempotencyKeyReusedError, RateLimitedError, ValidationError } from '../../domain/errors.ts';
import { logger } from '../logger.ts';
import { errorReport } from '../report-errors.ts';
import { json, type Result } from './responses.ts';

const STATUS_BY_CODE: Record<string, number> = {
  validation_failed: 400,
  invalid_token: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  idempotency_key_reused: 422,
  rate_limited: 429,
  configuration_invalid: 500,
  audit_chain_broken: 500,
  dependency_failed: 503,
  mail_rejected: 503,
  mail_deferred: 503,
  throttled: 503,
  service_unavailable: 503,
  dependency_timeout: 503,
};

export interface ErrorBody {
  error: string;
  message: string;
  fields?: Array<{ field: string; message: string }>;
}

/** The single place where errors become HTTP answers; anything unnamed is a 500 and is logged. */
export function errorBody(error: unknown): { statusCode: number; body: ErrorBody } {
  if (error instanceof DerbesError) {
    const statusCode = STATUS_BY_CODE[error.code] ?? 500;
    const report = errorReport(error);
    if (statusCode >= 500) logger.error('request failed', { errorCode: report.code, errorKind: report.kind, errorMessage: report.message, frames: report.frames });
    return {
      statusCode,
      body: {
        error: error.code,
        message: report.message,
        // Problems with what the client sent; a configuration's problems are ours and stay in the log.
        ...(error instanceof ValidationError || error instanceof IdempotencyKeyReusedError ? { fields: error.problems } : {}),
      },
    };
  }
  const report = errorReport(error);
  logger.error('unexpected error', { errorCode: report.code, errorKind: report.kind, errorMessage: report.message, frames: report.frames });
  return { statusCode: 500, body: { error: 'internal_error', message: 'Something went wrong on our side; nothing you sent was lost.' } };
}

/** Headers an error answer carries besides its body: when to come back, after a 429. */
export function errorHeaders(error: unknown): Record<string, string> {
  return error instanceof RateLimitedError ? { 'retry-after': String(error.retryAfterSeconds) } : {};
}

export function jsonError(error: unknown): Result {
  const { statusCode, body } = errorBody(error);
  const result = json(statusCode, body);
  return { ...result, headers: { ...result.headers, ...errorHeaders(error) } };
}
