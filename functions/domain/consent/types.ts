import * as z from '../schema.ts';
import type { OperatorActor } from '../operator-identity.ts';
import { onFirstUse } from '../on-first-use.ts';
import { PERSON_KEY_PATTERN } from '../person-key.ts';

export type ConsentStatus = 'granted' | 'withdrawn' | 'expired';
export type ConsentEventType = 'granted' | 'withdrawn' | 'prolonged' | 'expired';

/** How the person (or, for term ends, the operator's own system) acted. */
export const CONSENT_CHANNELS = ['web', 'email', 'api', 'operator'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** The schemas, built on first use (see onFirstUse): every function bundles this module, few record consents. */
function buildConsentSchemas() {
  /** Keyed hashes only: the ledger keeps proof that something happened, not the person's data. */
  const HashSchema = z.string().check(z.regex(/^[0-9a-f]{32,128}$/, 'a hex hash, never the raw value'));

  /** The operator (a person signed in to the console, or a machine key by its id) through whose call a change was recorded. */
  const OperatorActorSchema: z.ZodMiniType<OperatorActor> = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('person'), sub: z.string().check(z.minLength(1)), email: z.string().check(z.minLength(3)) }),
    z.strictObject({ kind: z.literal('key'), keyId: z.string().check(z.minLength(1)) }),
  ]);

  /**
   * What proves an event: the message or request it came with, hashed client details, a Global Privacy Control signal,
   * and the operator whose call recorded it (the company's systems record consents through the operator API).
   */
  const ConsentEvidenceSchema = z.strictObject({
    messageId: z.optional(z.string().check(z.minLength(1), z.maxLength(998))),
    requestId: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
    ipHash: z.optional(HashSchema),
    userAgentHash: z.optional(HashSchema),
    gpc: z.optional(z.boolean()),
    operator: z.optional(OperatorActorSchema),
  });

  /** A grant or withdrawal as the person made it; `at` is when they made it. */
  const ConsentActionSchema = z.strictObject({
    personKey: z.string().check(z.regex(PERSON_KEY_PATTERN, 'a person key (see personKey()), never a raw identifier')),
    purposeId: z.string().check(z.regex(/^[a-z][a-z0-9_]*$/, 'a purpose id of the profile')),
    at: z.date(),
    channel: z.enum(CONSENT_CHANNELS),
    /** Version of the text the person saw; a grant defaults to the purpose's version, a withdrawal to the consent's. */
    policyVersion: z.optional(z.string().check(z.minLength(1))),
    evidence: z._default(ConsentEvidenceSchema, {}),
  });

  return { ConsentEvidenceSchema, ConsentActionSchema };
}
export const consentSchemas = onFirstUse(buildConsentSchemas);

type ConsentSchemas = ReturnType<typeof buildConsentSchemas>;
export type ConsentEvidence = z.infer<ConsentSchemas['ConsentEvidenceSchema']>;
/** A grant or withdrawal as a caller hands it in; `parseConsentAction` makes it a `ConsentAction`. */
export type ConsentActionInput = z.input<ConsentSchemas['ConsentActionSchema']>;
export type ConsentAction = z.output<ConsentSchemas['ConsentActionSchema']>;

/** The term of a consent, fixed when it is granted: `years` calendar years counted in `timeZone`. */
export interface ConsentTerm {
  years: number;
  autoProlong: boolean;
  timeZone: string;
}

/** One entry of a purpose's history. `at` is when it took effect: a prolongation or expiry at the end of the term. */
export interface ConsentEvent {
  type: ConsentEventType;
  purposeId: string;
  at: string;
  channel: ConsentChannel;
  policyVersion: string;
  evidence: ConsentEvidence;
  /** On `granted`, for a purpose with a consent term. */
  term?: ConsentTerm;
  /** On `granted` with a term and on `prolonged`: when the term now running ends. */
  termEndsAt?: string;
}

/** A history event as stored: its number in the purpose's history and when the ledger wrote it. */
export interface RecordedConsentEvent extends ConsentEvent {
  seq: number;
  recordedAt: string;
}

/** Where one purpose stands for one person: always the fold of its history. */
export interface ConsentState {
  purposeId: string;
  status: ConsentStatus;
  /** How many events the purpose's history holds; the next event is number `version + 1`. */
  version: number;
  /** Start of the latest grant; absent when the ledger only ever saw the consent withdrawn. */
  grantedAt?: string;
  /** Time of the latest event. */
  updatedAt: string;
  channel: ConsentChannel;
  policyVersion: string;
  /** The term of the latest grant, if its purpose has one. */
  term?: ConsentTerm;
  /** Only while granted with a term. */
  termEndsAt?: string;
}

/** What a purpose of the operator profile says about consent (profile purposes fit this shape). */
export interface ConsentPurpose {
  id: string;
  version: string;
  consentTerm?: { years: number; autoProlong: boolean };
}

/** The purposes a person can consent to, and the time zone their terms are counted in. */
export interface ConsentPolicy {
  timeZone: string;
  purposes: readonly ConsentPurpose[];
}
