import * as z from '../domain/schema.ts';
import { localize } from '../config/profile-schema.ts';
import { CONSENT_CHANNELS, givenBefore, type ConsentEvent, type ConsentState } from '../domain/consent/index.ts';
import { ValidationError, toFieldProblems } from '../domain/errors.ts';
import { loadMessages } from '../domain/messages.ts';
import { eventsOfType, type RecordedAuditEvent } from '../domain/audit.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { anyType } from '../domain/request-policy.ts';
import type { Dependencies } from './dependencies.ts';
import { withdrawnPurposes, type OwnRecords } from './fulfilment-plan.ts';
import { assertMayChangeData } from './guards.ts';
import { onFirstUse } from '../domain/on-first-use.ts';

/** What the company's own applications send to record a consent or its withdrawal. */
export const consentInputSchema = onFirstUse(() =>
  z.strictObject({
    email: z.email(),
    purposeId: z.string().check(z.minLength(1)),
    action: z.enum(['grant', 'withdraw']),
    channel: z._default(z.enum(CONSENT_CHANNELS), 'api'),
    policyVersion: z.optional(z.string().check(z.minLength(1))),
    at: z.optional(z.iso.datetime({ offset: true })),
    evidence: z._default(
      z.strictObject({
        messageId: z.optional(z.string().check(z.maxLength(998))),
        requestId: z.optional(z.string().check(z.maxLength(100))),
        /** Hashed with the person-key secret before it is stored; never kept raw. */
        ip: z.optional(z.string().check(z.maxLength(64))),
        userAgent: z.optional(z.string().check(z.maxLength(1000))),
        gpc: z.optional(z.boolean()),
      }),
      {},
    ),
  }),
);

export function parseConsentInput(input: unknown): z.infer<ReturnType<typeof consentInputSchema>> {
  const result = consentInputSchema().safeParse(input);
  if (!result.success) throw new ValidationError(toFieldProblems(result.error.issues), 'consent');
  return result.data;
}

/** Records a grant or withdrawal with its evidence; client details are kept only as keyed hashes. */
export async function recordConsent(deps: Pick<Dependencies, 'profile' | 'consent' | 'personKey' | 'keyedHash' | 'clock'>, raw: unknown) {
  const input = parseConsentInput(raw);
  if (!deps.profile.purposes.some((p) => p.id === input.purposeId)) {
    throw new ValidationError([{ field: 'purposeId', message: `not a purpose of this operator (${deps.profile.purposes.map((p) => p.id).join(', ')})` }], 'consent');
  }
  const { ip, userAgent, ...evidence } = input.evidence;
  const action = {
    personKey: await deps.personKey(input.email),
    purposeId: input.purposeId,
    at: input.at ? new Date(input.at) : deps.clock.now(),
    channel: input.channel,
    policyVersion: input.policyVersion,
    evidence: { ...evidence, ...(ip ? { ipHash: await deps.keyedHash('ip', ip) } : {}), ...(userAgent ? { userAgentHash: await deps.keyedHash('user-agent', userAgent) } : {}) },
  };
  return input.action === 'grant' ? deps.consent.grant(action) : deps.consent.withdraw(action);
}

export async function consentState(deps: Pick<Dependencies, 'consent' | 'personKey' | 'clock'>, email: string): Promise<ConsentState[]> {
  return deps.consent.current(await deps.personKey(email), deps.clock.now());
}

/** Purposes a Global Privacy Control signal ends: marketing, and transfer to third parties. */
function gpcPurposes(deps: Pick<Dependencies, 'profile'>): string[] {
  return deps.profile.purposes.filter((p) => p.marketing || p.transfer).map((p) => p.id);
}

/**
 * Withdrawal and marketing opt-out requests change the ledger: consent_withdrawal ends every purpose, marketing_opt_out
 * the marketing purposes, each recorded with its evidence (the request, the channel it came by, the time) even where
 * the ledger never saw the consent given. Each change is also an audit event of the request.
 */
export async function withdrawForRequest(deps: WithdrawalDeps, requestId: string): Promise<{ withdrawn: string[] }> {
  return withdrawFor(deps, await deps.requests.get(requestId));
}

type WithdrawalDeps = Pick<Dependencies, 'profile' | 'requests' | 'consent' | 'personKey' | 'suppressions' | 'audit' | 'clock'>;

/** withdrawForRequest, of the request as read. */
async function withdrawFor(deps: WithdrawalDeps, request: DataSubjectRequest): Promise<{ withdrawn: string[] }> {
  const requestId = request.id;
  assertMayChangeData(deps, request);
  const wanted = withdrawnPurposes(deps.profile, request.types);
  if (!wanted.length) return { withdrawn: [] };
  const key = await deps.personKey(request.email);
  const channel = request.channel === 'email' ? 'email' : 'web';
  const withdrawn: string[] = [];
  for (const purposeId of wanted) {
    const change = await deps.consent.withdraw({ personKey: key, purposeId, at: deps.clock.now(), channel, evidence: { requestId } });
    if (change.recorded.some((e) => e.type === 'withdrawn')) withdrawn.push(purposeId);
  }
  if (anyType(request.types, (policy) => policy.endsConsents === 'marketing')) await deps.suppressions.add(request.email, { requestId });
  await deps.audit.append(requestId, { type: 'consent.withdrawn', detail: { purposes: wanted } });
  return { withdrawn };
}

/**
 * The RecordConsent step, for a request that began as the person confirmed it and has consent to record (see
 * startWorkflow): its privacy signal and the withdrawals it asks for go to the ledger before its sources hear of it.
 * Checked like any step that changes data. Safe to run again: the ledger records a withdrawal once.
 */
export async function recordConsentOnBeginning(deps: Dependencies, requestId: string): Promise<void> {
  const request = await deps.requests.get(requestId);
  assertMayChangeData(deps, request);
  if (request.gpc) await applyGlobalPrivacyControl(deps, request);
  await withdrawFor(deps, request);
}

/**
 * The answer's consent sections: what this request withdrew (the access answer shows the whole history). Where our
 * sources hold nothing of the person, a consent the ledger never saw given is not said withdrawn (neverGiven), and
 * we do not say we no longer process their data: only that we will not without their new consent.
 */
export async function consentSections(
  deps: Pick<Dependencies, 'profile' | 'consent' | 'personKey'>,
  request: DataSubjectRequest,
  trail: RecordedAuditEvent[],
  own: Pick<OwnRecords, 'untouched'>,
): Promise<string[]> {
  const m = await loadMessages(request.language);
  const name = (purposeId: string) => {
    const purpose = deps.profile.purposes.find((p) => p.id === purposeId);
    return purpose ? localize(purpose.description, request.language) : purposeId;
  };
  const sections: string[] = [];
  if (anyType(request.types, (policy) => policy.answerSection === 'consentWithdrawal')) {
    const purposes = [...new Set(eventsOfType(trail, 'consent.withdrawn').flatMap((e) => e.detail.purposes))];
    const history = await deps.consent.history(await deps.personKey(request.email));
    // Where this request withdrew it (or, withdrawn already, the end of the history).
    const neverGiven = (purposeId: string) => {
      const withdrawal = history.findIndex((e) => e.type === 'withdrawn' && e.purposeId === purposeId && e.evidence.requestId === request.id);
      return withdrawnNeverGiven(history, purposeId, withdrawal < 0 ? history.length : withdrawal, own);
    };
    const withdrawn = purposes.filter((purposeId) => !neverGiven(purposeId));
    const refused = purposes.filter(neverGiven);
    sections.push(
      [
        ...(withdrawn.length ? [m.answer('consentWithdrawal', { purposes: withdrawn.map(name).join('; ') })] : []),
        ...(refused.length ? [m.answer('consentRefusalRecorded', { purposes: refused.map(name).join('; ') })] : []),
        m.answer(withdrawn.length && !refused.length && !own.untouched ? 'consentNoLongerProcessed' : 'consentNotToBeProcessed'),
      ].join(' '),
    );
  }
  if (anyType(request.types, (policy) => policy.answerSection === 'marketingOptOut')) sections.push(m.answer('marketingOptOut'));
  return sections;
}

/** One entry of the person's consent history, in their language (the answer's lines and the package's table). */
export interface ConsentHistoryLine {
  purpose: string;
  event: string;
  at: string;
  until?: string;
  channel?: string;
  reference?: string;
}

/**
 * A withdrawal that withdrew nothing: the ledger never saw the consent given, and none of our sources holds anything
 * of the person. (One who has records with us may have given it before the company kept its ledger in derbes: theirs
 * is a withdrawal.)
 */
function withdrawnNeverGiven(history: readonly ConsentEvent[], purposeId: string, at: number, own: Pick<OwnRecords, 'untouched'>): boolean {
  return own.untouched && !givenBefore(history, purposeId, at);
}

export async function consentHistory(deps: Pick<Dependencies, 'profile' | 'consent' | 'personKey'>, request: DataSubjectRequest, own: Pick<OwnRecords, 'untouched'>): Promise<ConsentHistoryLine[]> {
  const m = await loadMessages(request.language);
  const history = await deps.consent.history(await deps.personKey(request.email));
  const date = (iso: string) => m.date(iso, request.deadline.timeZone);
  return history.map((e, index) => {
    const purpose = deps.profile.purposes.find((p) => p.id === e.purposeId);
    return {
      purpose: purpose ? localize(purpose.description, request.language) : e.purposeId,
      event: m.consentEventName(e.type === 'withdrawn' && withdrawnNeverGiven(history, e.purposeId, index, own) ? 'withdrawnNeverGiven' : e.type),
      at: date(e.at),
      ...(e.termEndsAt && { until: date(e.termEndsAt) }),
      // A term's end is the ledger's doing, not the person's: no channel to name.
      ...(e.type === 'granted' || e.type === 'withdrawn' ? { channel: m.channelName(e.channel) } : {}),
      ...(e.evidence.requestId && { reference: e.evidence.requestId }),
    };
  });
}

/**
 * A browser's Global Privacy Control signal (Sec-GPC: 1) sent with a request: an opt-out of marketing and of transfer
 * to third parties, recorded with that evidence once the request's address is verified — before that, anyone could
 * opt anyone out.
 */
export async function applyGlobalPrivacyControl(deps: Dependencies, request: DataSubjectRequest): Promise<string[]> {
  const purposes = gpcPurposes(deps);
  const key = await deps.personKey(request.email);
  for (const purposeId of purposes) {
    await deps.consent.withdraw({ personKey: key, purposeId, at: deps.clock.now(), channel: 'web', evidence: { requestId: request.id, gpc: true, ...request.gpc } });
  }
  return purposes;
}
