import { localize } from '../config/profile-schema.ts';
import { NotFoundError } from '../domain/errors.ts';
import { messagesFor } from '../domain/messages.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import type { Dependencies } from './dependencies.ts';
import { notifyPerson } from './notify.ts';
import type { SourceResult } from './ports.ts';

/**
 * The document each execution carries. It holds identifiers and timings only — never personal data —
 * because Step Functions keeps it in the execution history and logs.
 */
export interface WorkflowPayload {
  requestId: string;
  /** When the confirmation link stops working; the callback task times out no earlier. */
  verificationExpiresAt?: string;
  verificationTimeoutSeconds?: number;
  sourceIds?: string[];
}

/** The latest instant by which the person must have heard from us if verification never comes. */
export function answerDeadline(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest): Date {
  return new Date(Date.parse(request.deadline.dueAt) - deps.profile.verification.answerMarginMinutes * 60_000);
}

/** A confirmation link lives for the operator's TTL, but never past the point where we must answer anyway. */
export function verificationExpiry(deps: Pick<Dependencies, 'profile' | 'clock'>, request: DataSubjectRequest): Date {
  const ttlEnd = deps.clock.now().getTime() + deps.profile.verification.codeTtlHours * 3_600_000;
  return new Date(Math.min(ttlEnd, answerDeadline(deps, request).getTime()));
}

/** Receipt to the person, then wait for verification no longer than the due date allows. */
export async function acknowledge(deps: Dependencies, requestId: string): Promise<WorkflowPayload> {
  const request = await deps.requests.get(requestId);
  // A re-run after a restart must not send a second receipt.
  if (request.status === 'RECEIVED') {
    await notifyPerson(deps, request, 'receipt', {});
    await deps.requests.transition(requestId, 'RECEIVED', 'AWAITING_VERIFICATION');
  }
  // Waiting longer than the link lives is pointless; waiting past the answer deadline is unlawful.
  const expiresAt = verificationExpiry(deps, request);
  const secondsLeft = Math.ceil((expiresAt.getTime() - deps.clock.now().getTime()) / 1000);
  return {
    requestId,
    verificationExpiresAt: expiresAt.toISOString(),
    // Step Functions needs a positive timeout; a request already at its margin closes almost at once.
    verificationTimeoutSeconds: Math.max(1, secondsLeft),
    sourceIds: deps.profile.sources.map((source) => source.id),
  };
}

/** Issues a single-use code bound to the waiting task and mails the confirmation link. */
export async function requestVerification(
  deps: Dependencies,
  requestId: string,
  taskToken: string,
  expiresAt: Date,
  code: { code: string; codeHash: string },
): Promise<void> {
  const request = await deps.requests.get(requestId);
  await deps.verifications.put({ codeHash: code.codeHash, requestId, taskToken, expiresAt: expiresAt.toISOString() });
  await deps.audit.append(requestId, { type: 'verification.requested', detail: { expiresAt: expiresAt.toISOString() } });
  const link = `${deps.publicUrl}/verify?code=${encodeURIComponent(code.code)}`;
  await notifyPerson(deps, request, 'verification', {
    link,
    expiresAt: messagesFor(request.language).date(expiresAt.toISOString(), request.deadline.timeZone),
  });
}

/** Reads what one data source holds about the person and keeps it with the request (not in the payload). */
export async function collectFromSource(deps: Dependencies, requestId: string, sourceId: string): Promise<{ sourceId: string; recordCount: number }> {
  const request = await deps.requests.get(requestId);
  const source = deps.profile.sources.find((s) => s.id === sourceId);
  if (!source) throw new NotFoundError(`data source ${sourceId} is not in the operator profile`);
  const records = await deps.connectorFor(source).find({ email: request.email });
  await deps.requests.putSourceResult(requestId, { sourceId, status: 'ok', records });
  await deps.audit.append(requestId, { type: 'source.collected', detail: { sourceId, recordCount: records.length } });
  return { sourceId, recordCount: records.length };
}

function formatRecords(deps: Dependencies, request: DataSubjectRequest, results: SourceResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const source = deps.profile.sources.find((s) => s.id === result.sourceId);
    if (!source || result.records.length === 0) continue;
    lines.push(`* ${localize(source.description, request.language)} — ${localize(source.categories, request.language)}`);
    for (const record of result.records) {
      for (const [key, value] of Object.entries(record)) lines.push(`    ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
      lines.push('');
    }
  }
  return lines.length ? lines.join('\n').trimEnd() : messagesFor(request.language).answer('noRecords');
}

/** Answers an access request from what the sources returned, names the sources that failed, closes it. */
export async function answerAccess(deps: Dependencies, requestId: string): Promise<void> {
  const request = await deps.requests.get(requestId);
  if (request.status !== 'IN_PROGRESS') return; // already answered before a restart
  const messages = messagesFor(request.language);
  const results = await deps.requests.listSourceResults(requestId);
  const answered = new Set(results.filter((r) => r.status === 'ok').map((r) => r.sourceId));
  const failed = deps.profile.sources.filter((s) => !answered.has(s.id));
  for (const source of failed) {
    await deps.audit.append(requestId, { type: 'source.failed', detail: { sourceId: source.id, error: 'no result after retries' } });
  }
  const purposes = deps.profile.purposes
    .map((p) => `* ${localize(p.description, request.language)} — ${localize(p.legalBasis, request.language)}`)
    .join('\n');
  await notifyPerson(deps, request, 'accessAnswer', {
    records: formatRecords(deps, request, results),
    purposes,
    retention: localize(deps.profile.retention, request.language),
    sourceProblems: failed.map((s) => messages.answer('sourceFailed', { source: localize(s.description, request.language) })).join(''),
  });
  await deps.requests.transition(requestId, 'IN_PROGRESS', 'COMPLETED', { closedAt: deps.clock.now().toISOString() });
}

/** Verification did not come in time: a reasoned answer before the due date, never silence. */
export async function closeUnverified(deps: Dependencies, requestId: string): Promise<void> {
  const request = await deps.requests.get(requestId);
  if (request.status !== 'AWAITING_VERIFICATION') return;
  await notifyPerson(deps, request, 'closedUnverified', {});
  await deps.requests.transition(requestId, 'AWAITING_VERIFICATION', 'CLOSED_UNVERIFIED', { closedAt: deps.clock.now().toISOString() });
}
