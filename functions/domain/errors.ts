/**
 * Named errors of the domain. Each carries a stable `code`; the HTTP mapping lives in one place
 * (functions/handlers/http/error-responses.ts), so no handler decides status codes on its own.
 */
export abstract class DerbesError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `email` or `sources.0.table`. */
  field: string;
  message: string;
}

/** Input that does not satisfy a schema; lists every bad field, not just the first. */
export class ValidationError extends DerbesError {
  readonly code = 'validation_failed';
  constructor(
    readonly problems: FieldProblem[],
    context = 'input',
  ) {
    super(`Invalid ${context}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  }
}

/** Configuration (operator profile, rule data, environment) that cannot be used; fails start-up. */
export class ConfigurationError extends DerbesError {
  readonly code = 'configuration_invalid';
  constructor(
    readonly source: string,
    readonly problems: FieldProblem[],
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n')}`);
  }
}

export class NotFoundError extends DerbesError {
  readonly code = 'not_found';
}

/** A state change that the current state forbids (e.g. confirming a closed request). */
export class ConflictError extends DerbesError {
  readonly code = 'conflict';
}

/** A verification code or download link that is unknown, used or expired; deliberately vague. */
export class InvalidTokenError extends DerbesError {
  readonly code = 'invalid_token';
}

export class UnauthorizedError extends DerbesError {
  readonly code = 'unauthorized';
}

/** A dependency (database, mail relay, data source) failed; retryable by the caller. */
export class DependencyError extends DerbesError {
  readonly code = 'dependency_failed';
}

/** Turns zod issues into field problems, so every schema reports the same way. */
export function toFieldProblems(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): FieldProblem[] {
  return issues.map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}
