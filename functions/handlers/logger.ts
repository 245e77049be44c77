import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger. Log identifiers (request ids, message ids, error codes), never addresses, names,
 * bodies or codes: CloudWatch is not a place for personal data.
 */
export const logger = new Logger({ serviceName: 'derbes', logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO' });
