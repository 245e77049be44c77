import { localize } from '../config/profile-schema.ts';
import type { RecordedAuditEvent } from '../domain/audit.ts';
import { messagesFor } from '../domain/messages.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import type { RequestType } from '../domain/request-types.ts';
import type { Dependencies } from './dependencies.ts';
import { publishAccessPackage } from './access-package.ts';
import { consentSections } from './consent.ts';
import { alertOperator, notifyPerson } from './notify.ts';
import type { SourceOutcome, SourceResult } from './ports.ts';

type ChangeType = Extract<RequestType, 'rectification' | 'blocking' | 'unblocking' | 'erasure' | 'consent_withdrawal' | 'marketing_opt_out'>;
const CHANGE_TYPES: readonly ChangeType[] = ['rectification', 'blocking', 'unblocking', 'erasure', 'consent_withdrawal', 'marketing_opt_out'];

function formatRecord(record: Record<string, unknown>): string {
  return Object.entries(record)
    .map(([key, value]) => `    ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n');
}

/** Everything the law entitles a person to know: data, purposes, bases, sources, retention, recipients, transfers. */
function accessSection(deps: Dependencies, request: DataSubjectRequest, results: SourceResult[]): string {
  const m = messagesFor(request.language);
  const lang = request.language;
  const records = results
    .filter((r) => r.status === 'ok' && r.records.length)
    .map((r) => {
      const source = deps.profile.sources.find((s) => s.id === r.sourceId)!;
      return `* ${localize(source.description, lang)}\n${r.records.map(formatRecord).join('\n\n')}`;
    })
    .join('\n\n');
  const purposes = deps.profile.purposes.map((p) => `* ${localize(p.description, lang)} — ${localize(p.legalBasis, lang)}`).join('\n');
  const sources = deps.profile.sources.map((s) => `* ${localize(s.description, lang)}: ${localize(s.categories, lang)}`).join('\n');
  const recipients = deps.profile.processors.length
    ? deps.profile.processors.map((p) => `* ${p.name} (${p.role}, ${p.country}): ${localize(p.purpose, lang)}`).join('\n')
    : m.answer('noRecipients');
  const parts = [m.answer('access', { records: records || m.answer('noRecords'), purposes, sources, retention: localize(deps.profile.retention, lang), recipients })];
  const crossBorder = deps.profile.crossBorder;
  if (crossBorder) parts.push(m.answer('crossBorder', { countries: crossBorder.countries.join(', '), description: localize(crossBorder.description, lang) }));
  return parts.join('\n\n');
}

/** Which answer text says what a type did in the sources (withdrawal and opt-out say it in their own section otherwise). */
const SOURCE_EFFECT_TEXT: Record<ChangeType, (deps: Dependencies) => 'rectification' | 'blocking' | 'unblocking' | 'erasure' | undefined> = {
  rectification: () => 'rectification',
  blocking: () => 'blocking',
  unblocking: () => 'unblocking',
  erasure: () => 'erasure',
  consent_withdrawal: (deps) => (deps.profile.consentWithdrawal.sources === 'block' ? 'blocking' : deps.profile.consentWithdrawal.sources === 'erase' ? 'erasure' : undefined),
  marketing_opt_out: () => 'erasure',
};

/** What was changed, blocked or destroyed where, and what was kept and why. */
function changeSections(deps: Dependencies, request: DataSubjectRequest, results: SourceResult[]): string[] {
  const m = messagesFor(request.language);
  const name = (sourceId: string) => localize(deps.profile.sources.find((s) => s.id === sourceId)!.description, request.language);
  const sections: string[] = [];
  for (const type of CHANGE_TYPES.filter((t) => request.types.includes(t))) {
    const done = results.filter((r) => r.outcomes[type]?.status === 'done' && (r.outcomes[type] as Extract<SourceOutcome, { status: 'done' }>).affected > 0);
    const kept = results.filter((r) => r.outcomes[type]?.status === 'kept');
    const sources = done.map((r) => name(r.sourceId)).join(', ');
    const sourceEffect = SOURCE_EFFECT_TEXT[type](deps);
    if (done.length && sourceEffect) {
      sections.push(sourceEffect === 'rectification' ? m.answer('rectification', { fields: Object.keys(request.changes ?? {}).join(', '), sources }) : m.answer(sourceEffect, { sources }));
    } else if (!kept.length && (type !== 'consent_withdrawal' && type !== 'marketing_opt_out')) sections.push(`${m.typeName(type)}: ${m.answer('nothingDone')}`);
    for (const r of kept) sections.push(m.answer('kept', { source: name(r.sourceId), basis: (r.outcomes[type] as Extract<SourceOutcome, { status: 'kept' }>).basis }));
  }
  return sections;
}

function processorSection(deps: Dependencies, request: DataSubjectRequest, trail: RecordedAuditEvent[]): string | undefined {
  const told = trail
    .filter((e) => e.type === 'processor.notified' && (e.detail as { delivered: boolean }).delivered)
    .map((e) => deps.profile.processors.find((p) => p.id === (e.detail as { processorId: string }).processorId)?.name)
    .filter((n): n is string => Boolean(n));
  return told.length ? messagesFor(request.language).answer('processorsTold', { processors: [...new Set(told)].join(', ') }) : undefined;
}

/**
 * The answer to the person: one section per thing asked, what was kept and why, which sources could not be
 * reached (the operator is alerted about those), and who else was told. Closes the request.
 */
export async function answerRequest(deps: Dependencies, requestId: string): Promise<void> {
  const request = await deps.requests.get(requestId);
  if (request.status !== 'IN_PROGRESS') return; // already answered before a restart
  const m = messagesFor(request.language);
  const results = await deps.requests.listSourceResults(requestId);
  const answered = new Set(results.map((r) => r.sourceId));
  const failed = deps.profile.sources.filter((s) => !answered.has(s.id));
  const sections: string[] = [];
  if (request.types.includes('access')) {
    const access = accessSection(deps, request, results);
    sections.push(access, await publishAccessPackage(deps, request, results, access));
  }
  // One read of the trail serves the consent and the processor sections.
  const trail = await deps.audit.list(requestId);
  sections.push(...changeSections(deps, request, results), ...(await consentSections(deps, request, trail)));
  if (request.types.includes('claim') && request.decision?.answer) sections.push(m.answer('claim', { decision: request.decision.answer }));
  const told = processorSection(deps, request, trail);
  if (told) sections.push(told);
  for (const source of failed) {
    await deps.audit.append(requestId, { type: 'source.failed', detail: { sourceId: source.id, error: 'no result after retries' } });
    sections.push(m.answer('sourceFailed', { source: localize(source.description, request.language) }));
  }
  await notifyPerson(deps, request, 'answer', { sections: sections.join('\n\n') });
  // Only now that the person has the confirmation: SES' own list would stop it too (see sesAccountSuppression).
  if (request.types.includes('marketing_opt_out') && deps.profile.sesAccountSuppression) await deps.suppressInSes(request.email);
  if (failed.length) {
    await alertOperator(deps, request, 'partial answer: sources failed', `Sources without a result after retries: ${failed.map((s) => s.id).join(', ')}. Complete them and write to the person again.`);
  }
  await deps.requests.transition(requestId, 'IN_PROGRESS', 'COMPLETED', { closedAt: deps.clock.now().toISOString() });
}
