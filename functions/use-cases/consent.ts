import { z } from 'zod';
import { localize } from '../config/profile-schema.ts';
import { ConsentChannelSchema, type ConsentState } from '../domain/consent/index.ts';
import { ValidationError, toFieldProblems } from '../domain/errors.ts';
import { messagesFor } from '../domain/messages.ts';
import { keyedHash } from '../domain/person-key.ts';
import type { RecordedAuditEvent } from '../domain/audit.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import { readSetting, Settings } from '../config/settings.ts';
import type { Dependencies } from './dependencies.ts';

/** What the company's own applications send to record a consent or its withdrawal. */
export const ConsentInputSchema = z.strictObject({
  email: z.email(),
  purposeId: z.string().min(1),
  action: z.enum(['grant', 'withdraw']),
  channel: ConsentChannelSchema.default('api'),
  policyVersion: z.string().min(1).optional(),
  at: z.iso.datetime({ offset: true }).optional(),
  evidence: z
    .strictObject({
      messageId: z.string().max(998).optional(),
      requestId: z.string().max(100).optional(),
      /** Hashed with the person-key secret before it is stored; never kept raw. */
      ip: z.string().max(64).optional(),
      userAgent: z.string().max(1000).optional(),
      gpc: z.boolean().optional(),
    })
    .default({}),
});
export type ConsentInput = z.input<typeof ConsentInputSchema>;

export function parseConsentInput(input: unknown): z.infer<typeof ConsentInputSchema> {
  const result = ConsentInputSchema.safeParse(input);
  if (!result.success) throw new ValidationError(toFieldProblems(result.error.issues), 'consent');
  return result.data;
}

/** Records a grant or withdrawal with its evidence; client details are kept only as keyed hashes. */
export async function recordConsent(deps: Dependencies, raw: unknown) {
  const input = parseConsentInput(raw);
  if (!deps.profile.purposes.some((p) => p.id === input.purposeId)) {
    throw new ValidationError([{ field: 'purposeId', message: `not a purpose of this operator (${deps.profile.purposes.map((p) => p.id).join(', ')})` }], 'consent');
  }
  const secret = await deps.secret(readSetting(Settings.personKeySecret));
  const { ip, userAgent, ...evidence } = input.evidence;
  const action = {
    personKey: await deps.personKey(input.email),
    purposeId: input.purposeId,
    at: input.at ? new Date(input.at) : deps.clock.now(),
    channel: input.channel,
    policyVersion: input.policyVersion,
    evidence: { ...evidence, ...(ip ? { ipHash: keyedHash('ip', ip, secret) } : {}), ...(userAgent ? { userAgentHash: keyedHash('user-agent', userAgent, secret) } : {}) },
  };
  return input.action === 'grant' ? deps.consent.grant(action) : deps.consent.withdraw(action);
}

export async function consentState(deps: Dependencies, email: string): Promise<ConsentState[]> {
  return deps.consent.current(await deps.personKey(email), deps.clock.now());
}

/** Purposes a Global Privacy Control signal, or a marketing opt-out, ends. */
export function optOutPurposes(deps: Pick<Dependencies, 'profile'>, kind: 'marketing' | 'gpc'): string[] {
  return deps.profile.purposes.filter((p) => p.marketing || (kind === 'gpc' && p.transfer)).map((p) => p.id);
}

/**
 * Withdrawal and marketing opt-out requests change the ledger: consent_withdrawal ends every purpose the person
 * had granted, marketing_opt_out the marketing purposes. Each change is an audit event of the request.
 */
export async function withdrawForRequest(deps: Dependencies, requestId: string): Promise<{ withdrawn: string[] }> {
  const request = await deps.requests.get(requestId);
  const wanted = new Set<string>();
  if (request.types.includes('consent_withdrawal')) deps.profile.purposes.forEach((p) => wanted.add(p.id));
  if (request.types.includes('marketing_opt_out')) optOutPurposes(deps, 'marketing').forEach((id) => wanted.add(id));
  if (!wanted.size) return { withdrawn: [] };
  const key = await deps.personKey(request.email);
  const channel = request.channel === 'email' ? 'email' : 'web';
  const withdrawn: string[] = [];
  for (const purposeId of wanted) {
    const change = await deps.consent.withdraw({ personKey: key, purposeId, at: deps.clock.now(), channel, evidence: { requestId } });
    if (change.recorded.some((e) => e.type === 'withdrawn')) withdrawn.push(purposeId);
  }
  if (request.types.includes('marketing_opt_out')) await deps.suppressions.add(request.email, { requestId });
  await deps.audit.append(requestId, { type: 'consent.withdrawn', detail: { purposes: [...wanted] } });
  return { withdrawn };
}

/** The answer's consent sections: what was withdrawn for this request, and (for access) every consent's state. */
export async function consentSections(deps: Dependencies, request: DataSubjectRequest, trail: RecordedAuditEvent[]): Promise<string[]> {
  const m = messagesFor(request.language);
  const name = (purposeId: string) => {
    const purpose = deps.profile.purposes.find((p) => p.id === purposeId);
    return purpose ? localize(purpose.description, request.language) : purposeId;
  };
  const sections: string[] = [];
  if (request.types.includes('consent_withdrawal') || request.types.includes('marketing_opt_out')) {
    const purposes = trail.filter((e) => e.type === 'consent.withdrawn').flatMap((e) => (e.detail as { purposes: string[] }).purposes);
    if (request.types.includes('consent_withdrawal')) sections.push(m.answer('consentWithdrawal', { purposes: [...new Set(purposes)].map(name).join('; ') }));
    if (request.types.includes('marketing_opt_out')) sections.push(m.answer('marketingOptOut'));
  }
  if (request.types.includes('access')) {
    // The whole history, with its evidence of when and how, is part of what a person may learn.
    const history = await deps.consent.history(await deps.personKey(request.email));
    if (history.length) {
      const date = (iso: string) => m.date(iso, request.deadline.timeZone);
      const lines = history.map((e) => `* ${name(e.purposeId)}: ${e.type} ${date(e.at)}${e.termEndsAt ? ` (→ ${date(e.termEndsAt)})` : ''}, ${e.channel}, ${e.policyVersion}`);
      sections.push(m.answer('consentHistory', { consents: lines.join('\n') }));
    }
  }
  return sections;
}

/**
 * A browser's Global Privacy Control signal (Sec-GPC: 1) with a form submission: an opt-out of marketing and of
 * transfer to third parties, recorded with that evidence. Opting out can harm no one, so it needs no verification.
 */
export async function applyGlobalPrivacyControl(deps: Dependencies, email: string, evidence: { requestId: string; ip?: string; userAgent?: string }): Promise<string[]> {
  const purposes = optOutPurposes(deps, 'gpc');
  for (const purposeId of purposes) {
    await recordConsent(deps, { email, purposeId, action: 'withdraw', channel: 'web', evidence: { ...evidence, gpc: true } });
  }
  return purposes;
}
