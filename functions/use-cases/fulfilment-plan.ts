import { checkCorrections, correctableFields, type DataSource, type LocalizedText, type OperatorProfile } from '../config/profile-schema.ts';
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
  if (request.particularData) reasons.push({ kind: 'particularData' });
  else if (request.types.length === 0) reasons.push({ kind: 'unclear' });
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

/** What a request asks of the sources: its types and, for an erasure the operator limited, the fields it erases. */
export type Asked = Pick<DataSubjectRequest, 'types' | 'erasureFields'>;

/** The fields a limited erasure erases in one source: those named that the source declares personal. */
export function erasureFieldsIn(source: DataSource, asked: Asked): string[] {
  return (asked.erasureFields ?? []).filter((field) => source.personalFields.includes(field));
}

/** A field an erasure may be limited to, with its label where a source declares one. */
export interface ErasableField {
  field: string;
  label?: LocalizedText;
}

/**
 * The fields an erasure may be limited to, each with its label where a source declares one: the personal fields of
 * every source (personalFields), the only ones a source overwrites when it anonymises.
 */
export function erasableFields(profile: Pick<OperatorProfile, 'sources'>): Map<string, ErasableField> {
  const fields = new Map<string, ErasableField>();
  for (const source of profile.sources) {
    for (const field of source.personalFields) {
      const label = fields.get(field)?.label ?? source.fields[field]?.label;
      fields.set(field, { field, ...(label && { label }) });
    }
  }
  return fields;
}

/**
 * What is wrong with the fields an operator limits an erasure to: each must be a personal field of some source. The
 * problem names the unknown ones and lists those that may be named.
 */
export function erasureFieldProblems(profile: Pick<OperatorProfile, 'sources'>, fields: readonly string[]): FieldProblem[] {
  const erasable = [...erasableFields(profile).keys()];
  const unknown = fields.filter((field) => !erasable.includes(field));
  if (!unknown.length) return [];
  const allowed = erasable.length ? `fields that can be erased: ${erasable.join(', ')}` : 'no source declares personal fields (personalFields), so no erasure can be limited to particular data';
  return [{ field: 'fields', message: `not a personal field of any source: ${unknown.join(', ')}; ${allowed}`, kind: 'choice' }];
}

/**
 * What one source does for a request, in order: read first (so an access answer shows what was held), then change,
 * block, mark consents withdrawn, and destroy last. Withdrawal and opt-out reach the source as the profile says;
 * where the person also asked for blocking or erasure, that step does it once. An erasure limited to particular
 * fields overwrites them where the source declares them personal, and takes no step in a source that declares none.
 */
export function sourceSteps(profile: OperatorProfile, source: DataSource, asked: Asked): SourceStep[] {
  const { types } = asked;
  const limited = asked.erasureFields !== undefined;
  const requested = new Set<SourceStep>(types.flatMap((type) => policyOf(type).sourceStep ?? []));
  // A limited erasure destroys nothing: it does not stand in for a withdrawal's or an opt-out's step.
  if (limited && requested.delete('erasure') && erasureFieldsIn(source, asked).length) requested.add('field_erasure');
  const has = (step: SourceStep) => requested.has(step);
  const steps: SourceStep[] = (['access', 'rectification', 'unblocking', 'blocking'] as const).filter(has);
  const withdrawal = profile.consentWithdrawal.sources;
  const later: SourceStep[] = [];
  if (has('consent_withdrawal') && ((withdrawal === 'block' && !has('blocking')) || (withdrawal === 'erase' && !has('erasure')))) later.push('consent_withdrawal');
  if (has('marketing_opt_out') && source.marketingList && !has('erasure')) later.push('marketing_opt_out');
  if (has('field_erasure')) later.push('field_erasure');
  if (has('erasure')) later.push('erasure');
  // Marking a consent withdrawn on records about to be destroyed says nothing; on records kept (a legal hold) it does.
  const destroyed = later.some((step) => destroys(profile, step) && !(step !== 'marketing_opt_out' && source.legalHold));
  if (consentFlags(profile, source, types).length && !destroyed) steps.push('consent_flags');
  return [...steps, ...later];
}

/** The sources a request needs: those with a step to take. */
export function plannedSources(profile: OperatorProfile, asked: Asked): DataSource[] {
  return profile.sources.filter((source) => sourceSteps(profile, source, asked).length);
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
  const planned = plannedSources(profile, request).flatMap((source) =>
    sourceSteps(profile, source, request).map((step) => ({ step, outcome: results.find((r) => r.sourceId === source.id)?.outcomes[step] })),
  );
  const looked = planned.some(({ step }) => step === 'access' || destroys(profile, step));
  return {
    corrected: results.some(({ outcomes: { rectification } }) => rectification?.status === 'done' && rectification.affected > 0),
    untouched: looked && planned.every(({ outcome }) => outcome?.status === 'done' && outcome.affected === 0),
  };
}
