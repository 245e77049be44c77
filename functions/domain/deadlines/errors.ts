import { ConflictError, NotFoundError } from '../errors.ts';

/** Named errors of the deadline engine; they keep their parents' codes, so the HTTP mapping needs nothing new. */

export class UnknownJurisdictionError extends NotFoundError {
  constructor(
    readonly jurisdiction: string,
    known: string[],
  ) {
    super(`Unknown jurisdiction '${jurisdiction}' (known: ${known.join(', ')})`);
  }
}

export class NoRuleInForceError extends NotFoundError {
  constructor(
    readonly jurisdiction: string,
    readonly localDate: string,
    what = 'rule set',
  ) {
    super(`No ${jurisdiction} ${what} is in force on ${localDate}`);
  }
}

export class ExtensionNotAllowedError extends ConflictError {
  constructor(
    readonly ruleId: string,
    reason: string,
  ) {
    super(`Rule ${ruleId} allows no extension: ${reason}`);
  }
}

export class ExtensionNoticeTooLateError extends ConflictError {
  constructor(
    readonly ruleId: string,
    readonly noticeDueAt: string,
  ) {
    super(`The extension notice under rule ${ruleId} had to be given by ${noticeDueAt}`);
  }
}
