import { oneInvocation } from '../adapters/invocation-scope.ts';
import { dependencies } from '../composition.ts';
import { purgeExpired, type PurgeReport } from '../use-cases/retention.ts';
import { logger } from './logger.ts';

/** Runs on a schedule; counts only in the log. */
export async function handler(): Promise<PurgeReport> {
  const report = await oneInvocation(async () => purgeExpired(await dependencies()));
  logger.info('retention purge ran', { ...report });
  return report;
}
