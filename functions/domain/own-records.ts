import * as z from './schema.ts';
import shipped from '../../rules/retention/own-records.json' with { type: 'json' };
import { addToLocalDate, localDateOf, startOfLocalDay } from './deadlines/local-time.ts';
import { addOverlapIssues, deadlineSchemas } from './deadlines/schemas.ts';
import { ConfigurationError, toFieldProblems } from './errors.ts';
import { localizedSchema, type Localized } from './localized.ts';
import { onFirstUse } from './on-first-use.ts';
import type { DataSubjectRequest } from './request.ts';

/**
 * derbes' own records of a closed request — the request, what the sources returned for it, its raw mail and
 * attachments — are kept for a term (rules/retention/own-records.json, or the profile's own), then their personal
 * fields are anonymised. The audit trail stays, and a keyed hash of what was anonymised stays on the request, so the
 * operator can still show that a copy they hold is what derbes held.
 */

/** What replaces an anonymised value. */
export const ERASED = '[erased]';

/** The rules file's schema, built on first use (see onFirstUse): only the purge and the synthesis read the file. */
const ownRecordsFileSchema = onFirstUse(() => {
  const { ConfidenceSchema, LocalDateSchema } = deadlineSchemas();
  const rule = z.strictObject({
    id: z.string().check(z.trim(), z.minLength(1)),
    jurisdiction: z.string().check(z.regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/)),
    effectiveFrom: LocalDateSchema,
    effectiveTo: z.optional(LocalDateSchema),
    keepFor: z.strictObject({ amount: z.int().check(z.positive()), unit: z.enum(['days', 'months', 'years']) }),
    basis: localizedSchema(),
    citation: z.string().check(z.trim(), z.minLength(1)),
    source: z.string().check(z.trim(), z.minLength(1)),
    confidence: ConfidenceSchema,
    note: z.optional(z.string().check(z.trim(), z.minLength(1))),
  });
  return z
    .strictObject({ $comment: z.optional(z.string()), ownRecords: z.array(rule) })
    .check(z.superRefine((file, context) => {
      const ids = file.ownRecords.map((rule) => rule.id);
      ids.forEach((id, index) => {
        if (ids.indexOf(id) !== index) context.addIssue({ code: 'custom', path: ['ownRecords', index, 'id'], message: `a second rule '${id}'` });
      });
      for (const jurisdiction of new Set(file.ownRecords.map((rule) => rule.jurisdiction))) {
        addOverlapIssues(file.ownRecords.filter((rule) => rule.jurisdiction === jurisdiction), 'ownRecords', context);
      }
    }));
});
export type OwnRecordsRule = z.infer<ReturnType<typeof ownRecordsFileSchema>>['ownRecords'][number];
export type KeepFor = OwnRecordsRule['keepFor'];

export function parseOwnRecordsRules(data: unknown, source: string): OwnRecordsRule[] {
  const parsed = ownRecordsFileSchema().safeParse(data);
  if (!parsed.success) throw new ConfigurationError(source, toFieldProblems(parsed.error.issues));
  return parsed.data.ownRecords;
}

/**
 * The release's own rules, validated on first use (the purge's first call), not when the module loads: every function
 * imports this module and none but the purge needs the rules, so their init does not build the schemas and dates for
 * nothing. A broken rule file still fails the purge's first run before it anonymises anything, and the unit tests
 * parse the shipped file, so a release cannot ship one.
 */
export const shippedOwnRecordsRules = onFirstUse((): OwnRecordsRule[] => parseOwnRecordsRules(shipped, 'rules/retention/own-records.json'));

/** The term as the purge applies it: the profile's own, else the rule in force today in the profile's jurisdiction. */
export interface OwnRecordsTerm {
  keepFor: KeepFor;
  basis: Partial<Localized>;
  /** The rule's id, or 'profile' when the profile sets the term. */
  ruleId: string;
  confidence?: OwnRecordsRule['confidence'];
}

export function ownRecordsTerm(
  jurisdiction: string,
  now: Date,
  timeZone: string,
  fromProfile: { keepFor: KeepFor; basis: Partial<Localized> } | undefined,
  rules: OwnRecordsRule[] = shippedOwnRecordsRules(),
): OwnRecordsTerm | undefined {
  if (fromProfile) return { ...fromProfile, ruleId: 'profile' };
  const localToday = localDateOf(now, timeZone);
  const rule = rules.find((r) => r.jurisdiction === jurisdiction && r.effectiveFrom <= localToday && (!r.effectiveTo || localToday <= r.effectiveTo));
  return rule && { keepFor: rule.keepFor, basis: rule.basis, ruleId: rule.id, confidence: rule.confidence };
}

/** A closed request whose close is before this instant has passed its term. */
export function ownRecordsCutoff(keepFor: KeepFor, now: Date, timeZone: string): string {
  return startOfLocalDay(addToLocalDate(localDateOf(now, timeZone), -keepFor.amount, keepFor.unit), timeZone).toISOString();
}

/**
 * The request with its personal fields anonymised: the address (and its keyed hash), the name, the person's words (of the request and of their replies) and the mail they wrote (its subject and Message-ID, their latest mail's Message-ID),
 * the values a rectification asked for, the operator's reasons, answer, notes, attestation and messages written to the person (those closing it as not a request too). What is left says what happened and when — the evidence.
 */
export function anonymisedRequest(request: DataSubjectRequest, at: string, digest: string): DataSubjectRequest {
  const { name: _name, personKey: _personKey, gpc: _gpc, firstMail: _firstMail, latestMail: _latestMail, idempotencyMarker: _marker, changes, decision, message, operatorMessages, replies, extensionReason, notes, entry, notARequest, ...kept } = request;
  return {
    ...kept,
    email: ERASED,
    ...(message !== undefined && { message: ERASED }),
    ...(extensionReason !== undefined && { extensionReason: ERASED }),
    ...(operatorMessages && { operatorMessages: operatorMessages.map((m) => ({ ...m, text: ERASED })) }),
    ...(replies && { replies: replies.map((r) => ({ ...r, text: ERASED })) }),
    ...(notes && { notes: notes.map((n) => ({ ...n, text: ERASED })) }),
    ...(entry && { entry: { ...entry, ...(entry.attestation !== undefined && { attestation: ERASED }) } }),
    ...(notARequest && { notARequest: { ...notARequest, ...(notARequest.text !== undefined && { text: ERASED }) } }),
    ...(changes && { changes: Object.fromEntries(Object.keys(changes).map((field) => [field, ERASED])) }),
    ...(decision && {
      decision: {
        ...decision,
        ...(decision.reason !== undefined && { reason: ERASED }),
        ...(decision.answer !== undefined && { answer: ERASED }),
        ...(decision.basis !== undefined && typeof decision.basis !== 'object' && { basis: ERASED }),
        ...(decision.basis !== undefined && typeof decision.basis === 'object' && 'text' in decision.basis && { basis: { text: ERASED } }),
      },
    }),
    anonymised: { at, digest },
  };
}
