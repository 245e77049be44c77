import type { OperatorRole } from '../../domain/operator-identity.ts';
import type { OperatorRouteKey } from './routes.ts';

/**
 * The least role each operator route needs, in one place: a viewer reads; a decider also acts on requests (decides,
 * extends, writes to the person, classifies or closes as not a request, enters requests, retries, admits or dismisses held mail); an admin also manages operators, retention
 * approvals and breaches. A route missing here does not compile. The machine key acts as admin.
 */
export const OPERATOR_ROUTE_ROLES: Record<OperatorRouteKey, OperatorRole> = {
  'GET /operator/inbox': 'viewer',
  'GET /operator/requests': 'viewer',
  'GET /operator/requests/{reference}': 'viewer',
  'GET /operator/requests/{reference}/attachment': 'viewer',
  'GET /operator/requests/{reference}/raw-mail': 'viewer',
  'GET /operator/held-mail': 'viewer',
  'GET /operator/held-mail/{id}/raw-mail': 'viewer',
  'GET /operator/decisions': 'viewer',
  'GET /operator/consents': 'viewer',
  'GET /operator/suppressions': 'viewer',
  'GET /operator/evidence/chains': 'viewer',
  'GET /operator/evidence/chains/{reference}': 'viewer',
  'GET /operator/evidence/digests': 'viewer',
  'GET /operator/requests/{reference}/evidence': 'viewer',
  'GET /operator/reports': 'viewer',
  'GET /operator/retention': 'viewer',
  'GET /operator/breaches': 'viewer',
  'GET /operator/breaches/{reference}': 'viewer',
  'GET /operator/breaches/{reference}/subjects': 'viewer',
  'GET /operator/breaches/{reference}/notice': 'viewer',

  'POST /operator/decisions/{reference}': 'decider',
  'POST /operator/requests': 'decider',
  'POST /operator/requests/{reference}/notes': 'decider',
  'POST /operator/requests/{reference}/classification': 'decider',
  'POST /operator/requests/{reference}/not-a-request': 'decider',
  'POST /operator/requests/{reference}/extension': 'decider',
  'POST /operator/requests/{reference}/messages': 'decider',
  'POST /operator/requests/{reference}/resume': 'decider',
  'POST /operator/requests/{reference}/open-work': 'decider',
  'POST /operator/held-mail/{id}/admission': 'decider',
  'POST /operator/held-mail/{id}/dismissal': 'decider',
  'POST /operator/consents': 'decider',

  'POST /operator/retention/{source}/plan': 'admin',
  'POST /operator/retention/{source}/approval': 'admin',
  'POST /operator/requests/{reference}/legal-hold': 'admin',
  'POST /operator/breaches': 'admin',
  'POST /operator/breaches/{reference}/subjects': 'admin',
  'POST /operator/breaches/{reference}/filing': 'admin',
  'POST /operator/breaches/{reference}/person-notice/preview': 'admin',
  'POST /operator/breaches/{reference}/person-notice': 'admin',
  'GET /operator/operators': 'admin',
  'POST /operator/operators': 'admin',
  'DELETE /operator/operators/{email}': 'admin',
};
