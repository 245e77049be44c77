import { breachRoutes } from './breach-routes.ts';
import { evidenceRoutes } from './evidence-routes.ts';
import { retentionRoutes } from './retention-routes.ts';

/**
 * The operator routes of the breach register, retention and evidence: what an operator calls now and then, not on
 * each request. The operator API loads this module on the first call of one of them (operator-routes.ts), so its
 * init does not parse them (35 KB with their use cases).
 */
export const recordsRoutes = { ...breachRoutes, ...retentionRoutes, ...evidenceRoutes };
