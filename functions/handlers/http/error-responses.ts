import { DerbesError, ValidationError } from '../../domain/errors.ts';
import { logger } from '../logger.ts';
import { json, type Result } from './responses.ts';

const STATUS_BY_CODE: Record<string, number> = {
  validation_failed: 400,
  invalid_token: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  configuration_invalid: 500,
  dependency_failed: 503,
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
    if (statusCode >= 500) logger.error('request failed', { errorCode: error.code, errorName: error.name, stack: error.stack });
    return {
      statusCode,
      body: {
        error: error.code,
        message: error.message,
        ...(error instanceof ValidationError ? { fields: error.problems } : {}),
      },
    };
  }
  logger.error('unexpected error', { errorName: (error as Error)?.name, stack: (error as Error)?.stack });
  return { statusCode: 500, body: { error: 'internal_error', message: 'Something went wrong on our side; nothing you sent was lost.' } };
}

export function jsonError(error: unknown): Result {
  const { statusCode, body } = errorBody(error);
  return json(statusCode, body);
}
