import { ConflictError, DerbesError, NotFoundError } from '../errors.ts';

/** Named errors of the deadline engine; they keep their parents' codes, so the HTTP mapping needs nothing new. */

/**
 * A shipped jurisdiction's rules (its deadlines, loadShippedRules; its refusal grounds, loadRefusalGrounds) read before
 * this process loaded them: a function loads its jurisdictions' files before it reads them, and a rule not loaded is
 * never taken as one the release lacks.
 */
export class RulesNotLoadedError extends DerbesError {
  readonly code = 'rules_not_loaded';
  constructor(readonly jurisdiction: string) {
    super(`the rules of jurisdiction '${jurisdiction}' are read before this process loaded them`);
  }
}

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
