import { checkCorrections, correctableFields, type DataSource, type OperatorProfile } from '../config/profile-schema.ts';
import type { FieldProblem } from '../domain/errors.ts';
import type { ReviewReasonKind } from '../domain/messages.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { anyType, policyOf, type SourceStep } from '../domain/request-policy.ts';
import type { RequestType } from '../domain/request-types.ts';
import type { Dependencies } from './dependencies.ts';
import type { SourceResult } from './ports.ts';

// What a request needs, read from the profile alone: whether a person decides first, which sources it reaches and
// what each does, which consents it ends. Pure and without texts: the intake and the API plan with it at every
// request, and it loads none of what the steps that act and write need (fulfilment.ts, notify.ts, the catalogues).

/** Why a request needs a person at the company before anything is changed. */
export interface ReviewReason {
  kind: ReviewReasonKind;
  type?: RequestType;
}

/** Why a request needs a person at the company before anything is changed; empty when it runs by itself. */
export function reviewReasons(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest): ReviewReason[] {
  const reasons: ReviewReason[] = [];
  if (request.types.length === 0) reasons.push({ kind: request.unclearBecause ?? 'unclear' });
  else if (request.particularData) reasons.push({ kind: 'particularData' });
  for (const type of request.types) {
    if (policyOf(type).decision === 'always') reasons.push({ kind: 'claim' });
    else if (deps.profile.review[type] === 'operator') reasons.push({ kind: 'profile', type });
  }
  if (request.types.includes('rectification') && !Object.keys(request.changes ?? {}).length) reasons.push({ kind: 'rectificationWithoutChanges' });
  else if (request.types.includes('rectification') && !correctableFields(deps.profile).size) reasons.push({ kind: 'rectificationUndeclared' });
  return reasons;
}

/**
 * Whether a request begins as the person confirms it, with no planning step in the workflow: nobody at the company
 * decides first. Its consent changes, if it has any, are the workflow's RecordConsent step.
 */
export function beginsOnConfirmation(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest): boolean {
  return !reviewReasons(deps, request).length;
}

/**
 * What is wrong with stated changes (a person's or an operator's): fields the profile does not declare correctable,
 * values not of their type. With nothing declared anywhere there is nothing to check against: an operator decides
 * what to change (see reviewReasons).
 */
export function correctionProblems(profile: Pick<OperatorProfile, 'sources'>, changes: Record<string, string>): FieldProblem[] {
  return correctableFields(profile).size ? checkCorrections(profile, changes) : [];
}

/** The purposes a request ends: a withdrawal every purpose, an opt-out the marketing ones. */
export function withdrawnPurposes(profile: Pick<OperatorProfile, 'purposes'>, types: readonly RequestType[]): string[] {
  const ids = new Set<string>();
  if (anyType(types, (policy) => policy.endsConsents === 'every purpose')) profile.purposes.forEach((p) => ids.add(p.id));
  if (anyType(types, (policy) => policy.endsConsents === 'marketing')) profile.purposes.filter((p) => p.marketing).forEach((p) => ids.add(p.id));
  return [...ids];
}

/** The attributes of this source that record consents the request withdraws (the profile's consentAttributes). */
export function consentFlags(profile: Pick<OperatorProfile, 'purposes'>, source: DataSource, types: readonly RequestType[]): string[] {
  const purposes = withdrawnPurposes(profile, types);
  return [...new Set(purposes.flatMap((purposeId) => (source.consentAttributes[purposeId] ? [source.consentAttributes[purposeId]] : [])))];
}

/**
 * What one source does for a request, in order: read first (so an access answer shows what was held), then change,
 * block, mark consents withdrawn, and destroy last. Withdrawal and opt-out reach the source as the profile says;
 * where the person also asked for blocking or erasure, that step does it once.
 */
export function sourceSteps(profile: OperatorProfile, source: DataSource, types: readonly RequestType[]): SourceStep[] {
  const asked = new Set<SourceStep>(types.flatMap((type) => policyOf(type).sourceStep ?? []));
  const has = (step: SourceStep) => asked.has(step);
  const steps: SourceStep[] = (['access', 'rectification', 'unblocking', 'blocking'] as const).filter(has);
  const withdrawal = profile.consentWithdrawal.sources;
  const later: SourceStep[] = [];
  if (has('consent_withdrawal') && ((withdrawal === 'block' && !has('blocking')) || (withdrawal === 'erase' && !has('erasure')))) later.push('consent_withdrawal');
  if (has('marketing_opt_out') && source.marketingList && !has('erasure')) later.push('marketing_opt_out');
  if (has('erasure')) later.push('erasure');
  // Marking a consent withdrawn on records about to be destroyed says nothing; on records kept (a legal hold) it does.
  const destroyed = later.some((step) => destroys(profile, step) && !(step !== 'marketing_opt_out' && source.legalHold));
  if (consentFlags(profile, source, types).length && !destroyed) steps.push('consent_flags');
  return [...steps, ...later];
}

/** The sources a request needs: those with a step to take. */
export function plannedSources(profile: OperatorProfile, types: readonly RequestType[]): DataSource[] {
  return profile.sources.filter((source) => sourceSteps(profile, source, types).length);
}

/** Steps that destroy records: a retry cannot see what an earlier attempt destroyed, so the count is kept first. */
export function destroys(profile: OperatorProfile, step: SourceStep): boolean {
  return step === 'erasure' || step === 'marketing_opt_out' || (step === 'consent_withdrawal' && profile.consentWithdrawal.sources === 'erase');
}

/** What the request did in our own sources, as far as the notices to processors and the answer depend on it. */
export interface OwnRecords {
  /** Some source changed a record as the person asked: only then is there a correction to tell of. */
  corrected: boolean;
  /**
   * Our sources hold nothing of the person: a step that counts what it finds (a read, a destruction) looked, every
   * step finished, and none found, changed or kept anything of theirs. The notice and the answer say so, rather than
   * let a processor think our records held data it should match, or tell the person we process their data. Steps
   * that count only what they change (a correction, a blocking, consent flags already cleared) cannot tell, nor can a
   * request that asked nothing of our sources: then nothing is said of our records.
   */
  untouched: boolean;
}

/** What the request did in our own sources, from their results (the notices, and the answer, say it). */
export function ownRecords(profile: OperatorProfile, request: DataSubjectRequest, results: readonly SourceResult[]): OwnRecords {
  const planned = plannedSources(profile, request.types).flatMap((source) =>
    sourceSteps(profile, source, request.types).map((step) => ({ step, outcome: results.find((r) => r.sourceId === source.id)?.outcomes[step] })),
  );
  const looked = planned.some(({ step }) => step === 'access' || destroys(profile, step));
  return {
    corrected: results.some(({ outcomes: { rectification } }) => rectification?.status === 'done' && rectification.affected > 0),
    untouched: looked && planned.every(({ outcome }) => outcome?.status === 'done' && outcome.affected === 0),
  };
}
