import { NotPermittedError } from '../domain/errors.ts';
import type { DataSubjectRequest } from '../domain/request.ts';
import type { Dependencies } from './dependencies.ts';
import { reviewReasons } from './fulfilment-plan.ts';

/**
 * Checked by every step that changes data (sources, the consent ledger) itself, whatever released the workflow:
 * the person confirmed the request, it is in progress, and where the rules want a decision an operator approved.
 * A leaked callback token can release a wait, but it cannot get past this.
 */
export function assertMayChangeData(deps: Pick<Dependencies, 'profile'>, request: DataSubjectRequest): void {
  if (!request.verifiedAt) throw new NotPermittedError(`request ${request.id} is not verified; nothing is changed`);
  if (request.status !== 'IN_PROGRESS') throw new NotPermittedError(`request ${request.id} is ${request.status}; nothing is changed`);
  if (reviewReasons(deps, request).length && request.decision?.approved !== true) {
    throw new NotPermittedError(`request ${request.id} needs an operator's approval; nothing is changed`);
  }
}
