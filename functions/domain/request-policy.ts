import { REQUEST_TYPES, type RequestType } from './request-types.ts';

/**
 * What one source does for a request, in this order: read it (access), change it, block or unblock it, mark the
 * person's consents withdrawn (consent_flags: the profile's consentAttributes), block or destroy it after a
 * withdrawal (consent_withdrawal), take the person off a mailing list (marketing_opt_out), destroy it (erasure) — or,
 * where the operator limited an erasure to particular personal fields, overwrite those alone (field_erasure).
 */
export const SOURCE_STEPS = ['access', 'rectification', 'unblocking', 'blocking', 'consent_flags', 'consent_withdrawal', 'marketing_opt_out', 'field_erasure', 'erasure'] as const;
export type SourceStep = (typeof SOURCE_STEPS)[number];

/** How the workflow treats one request type: everything that differs between types, in one place. */
export interface RequestPolicy {
  /** What it asks of each data source; none for a claim, which the operator answers. */
  readonly sourceStep?: Exclude<SourceStep, 'consent_flags' | 'field_erasure'>;
  /** Whether processors and recipients of the data are told of it (each as the profile's notifyOn says). */
  readonly tellsProcessors: boolean;
  /**
   * Which consents in the ledger it ends: every purpose, or the marketing ones — an opt-out, which also puts the
   * address on the suppression list.
   */
  readonly endsConsents: 'every purpose' | 'marketing' | 'none';
  /** The answer's own section beyond what the sources did (rules/messages, `answer.*`). */
  readonly answerSection?: 'consentWithdrawal' | 'marketingOptOut' | 'claim';
  /** Whether a person at the company always decides it, or only where the profile's review says so. */
  readonly decision: 'always' | 'by profile';
}

/**
 * Every request type's policy. A new type fails to compile here until it has one; its texts (rules/messages), its
 * intake vocabulary (rules/vocabulary) and its deadlines (rules/jurisdictions) fail at load until they name it.
 */
export const REQUEST_POLICIES = {
  access: { sourceStep: 'access', tellsProcessors: false, endsConsents: 'none', decision: 'by profile' },
  rectification: { sourceStep: 'rectification', tellsProcessors: true, endsConsents: 'none', decision: 'by profile' },
  blocking: { sourceStep: 'blocking', tellsProcessors: true, endsConsents: 'none', decision: 'by profile' },
  unblocking: { sourceStep: 'unblocking', tellsProcessors: true, endsConsents: 'none', decision: 'by profile' },
  erasure: { sourceStep: 'erasure', tellsProcessors: true, endsConsents: 'none', decision: 'by profile' },
  consent_withdrawal: { sourceStep: 'consent_withdrawal', tellsProcessors: true, endsConsents: 'every purpose', answerSection: 'consentWithdrawal', decision: 'by profile' },
  marketing_opt_out: { sourceStep: 'marketing_opt_out', tellsProcessors: true, endsConsents: 'marketing', answerSection: 'marketingOptOut', decision: 'by profile' },
  claim: { tellsProcessors: false, endsConsents: 'none', answerSection: 'claim', decision: 'always' },
} as const satisfies Record<RequestType, RequestPolicy>;

export function policyOf(type: RequestType): RequestPolicy {
  return REQUEST_POLICIES[type];
}

/** The types processors and recipients hear of (GDPR Art. 19 style, and an opt-out for those who advertise). */
export type NoticeType = { [T in RequestType]: (typeof REQUEST_POLICIES)[T]['tellsProcessors'] extends true ? T : never }[RequestType];
export const NOTICE_TYPES = REQUEST_TYPES.filter((type): type is NoticeType => policyOf(type).tellsProcessors);

/** Destroying particular data is the operator's to read: nothing is destroyed by itself (a withdrawal may erase too). */
export const destroysData = (types: readonly RequestType[]): boolean => types.includes('erasure') || types.includes('consent_withdrawal');

/** True when any of the types has the property: "does this request ask for access", "does it end consents". */
export function anyType(types: readonly RequestType[], test: (policy: RequestPolicy) => boolean): boolean {
  return types.some((type) => test(policyOf(type)));
}
