import { createDeadlineEngine } from '../../functions/domain/deadlines/index.ts';
import { SHIPPED_RULES } from '../../functions/domain/deadlines/shipped.ts';
import { newReference, type DataSubjectRequest } from '../../functions/domain/request.ts';
import type { Language } from '../../functions/domain/request-types.ts';

/** A web access request received on 20 November 2026 under the shipped KZ rule, not yet written anywhere. */
export function newRequest(language: Language = 'ru'): DataSubjectRequest {
  return {
    id: newReference(),
    types: ['access'],
    status: 'RECEIVED',
    channel: 'web',
    email: 'person@example.kz',
    language,
    receivedAt: '2026-11-20T10:00:00.000Z',
    deadline: createDeadlineEngine({}, SHIPPED_RULES).compute({ jurisdiction: 'KZ', requestType: 'access', receivedAt: new Date('2026-11-20T10:00:00.000Z') }),
  };
}
