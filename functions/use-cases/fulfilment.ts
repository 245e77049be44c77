import { localize } from '../config/profile-schema.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import type { RequestType } from '../domain/request-types.ts';
import { NOTICE_TYPES, processorNotice, type NoticeType } from '../adapters/processors/processor-notifier.ts';
import type { Dependencies } from './dependencies.ts';
import type { DataSourceConnector, SourceOutcome, SourceResult, Subject } from './ports.ts';
import type { DataSource } from '../config/profile-schema.ts';
import type { Language } from '../domain/request-types.ts';

/**
 * The order in which one source serves a request with several wishes: read first (so an access answer
 * shows what was held), then change, block, and destroy last.
 */
const SOURCE_ORDER: readonly RequestType[] = ['access', 'rectification', 'unblocking', 'blocking', 'erasure'];

/** Why a request needs a person at the company before anything is changed; empty when it runs by itself. */
export function reviewReasons(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest): string[] {
  const reasons: string[] = [];
  if (request.types.length === 0) reasons.push('unclear request: classify it');
  for (const type of request.types) {
    if (type === 'claim') reasons.push('claim: always decided by the operator');
    else if (deps.profile.review[type] === 'operator') reasons.push(`${type}: the profile asks for an operator decision`);
  }
  if (request.types.includes('rectification') && !Object.keys(request.changes ?? {}).length) {
    reasons.push('rectification without stated changes: the operator states them');
  }
  return [...new Set(reasons)];
}

/** Carries out every data-source part of the request in one source, and keeps the result with the request. */
export async function applyToSource(deps: Dependencies, requestId: string, sourceId: string): Promise<{ sourceId: string; outcomes: Record<string, string> }> {
  const request = await deps.requests.get(requestId);
  const source = deps.profile.sources.find((s) => s.id === sourceId);
  if (!source) throw new NotFoundError(`data source ${sourceId} is not in the operator profile`);
  const connector = deps.connectorFor(source);
  const subject = { email: request.email };
  const result: SourceResult = { sourceId, status: 'ok', records: [], outcomes: {} };
  for (const type of SOURCE_ORDER.filter((t) => request.types.includes(t))) {
    switch (type) {
      case 'access':
        result.records = await connector.find(subject);
        break;
      case 'rectification':
        result.outcomes.rectification = await connector.rectify(subject, request.changes ?? {});
        break;
      case 'blocking':
        result.outcomes.blocking = await connector.block(subject);
        break;
      case 'unblocking':
        result.outcomes.unblocking = await connector.unblock(subject);
        break;
      case 'erasure':
        result.outcomes.erasure = await eraseUnlessHeld(connector, source, subject, request.language);
        break;
    }
  }
  // Withdrawal and opt-out reach the sources as the profile says: blocked or destroyed, mailing lists emptied.
  const withdrawal = deps.profile.consentWithdrawal.sources;
  if (request.types.includes('consent_withdrawal') && withdrawal !== 'none') {
    result.outcomes.consent_withdrawal = withdrawal === 'block' ? await connector.block(subject) : await eraseUnlessHeld(connector, source, subject, request.language);
  }
  if (request.types.includes('marketing_opt_out') && source.marketingList) {
    result.outcomes.marketing_opt_out = await connector.erase(subject);
  }
  await deps.requests.putSourceResult(requestId, result);
  const outcomes = Object.fromEntries(Object.entries(result.outcomes).map(([type, o]) => [type, describeOutcome(o)]));
  if (request.types.includes('access')) outcomes.access = `${result.records.length} records`;
  await deps.audit.append(requestId, { type: 'source.applied', detail: { sourceId, outcomes } });
  return { sourceId, outcomes };
}

/** A legal duty to keep the data wins over erasure; the answer names the basis. */
async function eraseUnlessHeld(connector: DataSourceConnector, source: DataSource, subject: Subject, language: Language): Promise<SourceOutcome> {
  return source.legalHold ? { status: 'kept', basis: localize(source.legalHold.basis, language) } : connector.erase(subject);
}

const describeOutcome = (outcome: SourceOutcome) => (outcome.status === 'done' ? `done: ${outcome.affected}` : 'kept');

/** Tells each processor and recipient of the changes that concern them; every delivery is an audit event. */
export async function notifyProcessors(deps: Dependencies, requestId: string): Promise<{ notified: number; failed: number }> {
  const request = await deps.requests.get(requestId);
  let notified = 0;
  let failed = 0;
  for (const processor of deps.profile.processors) {
    const types = request.types.filter((t): t is NoticeType => (NOTICE_TYPES as readonly string[]).includes(t) && processor.notifyOn.includes(t));
    for (const type of types) {
      const delivery = await deps.processorNotifier.notify(
        processor,
        processorNotice({ requestId, type, submittedAt: request.receivedAt, email: request.email, controllerName: deps.profile.operator.legalName }),
      );
      await deps.audit.append(requestId, {
        type: 'processor.notified',
        detail: { processorId: processor.id, channel: delivery.channel, delivered: delivery.delivered, attempts: delivery.attempts },
      });
      if (delivery.delivered) notified++;
      else failed++;
    }
  }
  return { notified, failed };
}
