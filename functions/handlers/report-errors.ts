import { oneInvocation } from '../adapters/invocation-scope.ts';
import { DerbesError, errorCodeOf, withoutAddresses } from '../domain/errors.ts';
import { logger } from './logger.ts';

/** An error as it may leave a function: a stable code, a message and stack free of addresses. */
export interface ErrorReport {
  /** The error code, e.g. mail_deferred; also the name Step Functions matches in Retry and Catch. */
  code: string;
  /**
   * The class a foreign error was thrown as (an SDK's or the runtime's name their own, kept in a bundle); a derbes
   * error is told by its code, its class name being minified in a bundle.
   */
  kind?: string;
  message: string;
  /** Where it was thrown: the stack's frames only, without the first line that repeats the message. */
  frames: string[];
}

/**
 * Maps any error to its report. Derbes errors keep their code and message (written without personal data;
 * addresses are blanked as a last guard); anything else — an SDK or library error whose text may quote an item, a
 * key or a relay's answer — is reported by its class name alone.
 */
export function errorReport(error: unknown): ErrorReport {
  const frames = String((error as Error)?.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map((line) => withoutAddresses(line.trim()));
  if (error instanceof DerbesError) return { code: error.code, message: withoutAddresses(error.message), frames };
  const kind = (error as Error)?.name && /^[\w.]{1,64}$/.test((error as Error).name) ? (error as Error).name : 'Error';
  return { code: errorCodeOf(error), kind, message: `unexpected ${kind}`, frames };
}

/** The error a function throws to its caller (Lambda, Step Functions, the local runtime) in place of the original. */
class ReportedError extends Error {
  constructor(report: ErrorReport) {
    super(report.message);
    // Lambda reports the name as errorType, which Step Functions matches in Retry and Catch.
    this.name = report.code;
    this.stack = [`${report.code}: ${report.message}`, ...report.frames.map((f) => `    ${f}`)].join('\n');
  }
}
// In the JSON log format Lambda's runtime writes a failure line whose `errorType` is the class's name (the error
// response, which Step Functions matches, takes `error.name`); a minified bundle would log a letter.
Object.defineProperty(ReportedError, 'name', { value: 'ReportedError' });

/**
 * Wraps a Lambda handler so that what reaches the logs, the invocation result and the Step Functions history is
 * an error code and a clean message, never the text of a foreign error. The code becomes the error's name, so the
 * state machine's Retry (transient codes) and Catch see what failed. Each invocation runs as one (oneInvocation).
 */
export function reportingErrors<E, R, C = void>(what: string, handler: (event: E, context: C) => Promise<R>): (event: E, context: C) => Promise<R> {
  return async (event: E, context: C) => {
    try {
      return await oneInvocation(() => handler(event, context));
    } catch (error) {
      const report = errorReport(error);
      logger.error(`${what} failed`, { errorCode: report.code, errorKind: report.kind, errorMessage: report.message, frames: report.frames });
      throw new ReportedError(report);
    }
  };
}
