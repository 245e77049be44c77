/**
 * Fields of a log entry: identifiers (a request's reference as `reference`, message ids, error codes), never
 * addresses, names, bodies or codes. (`requestId` is Lambda's: the invocation's id, on every line.)
 */
type Fields = Record<string, unknown> & { message?: never };

/**
 * The one logger. Each entry is one object handed to the console: the functions run with Lambda's JSON log format
 * (infra/constructs/derbes-function.ts), so the runtime writes it as `{"timestamp","level","requestId","message":
 * {"message": …, …fields}}` and drops it below the function's application log level. CloudWatch is not a place for
 * personal data: log identifiers only.
 */
export const logger = {
  info: (message: string, fields: Fields = {}) => console.info({ message, ...fields }),
  error: (message: string, fields: Fields = {}) => console.error({ message, ...fields }),
};
