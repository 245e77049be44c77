import { dependencies } from '../composition.ts';
import { writeDailyDigest } from '../use-cases/evidence.ts';
import { watchDeadlines, type WatchReport } from '../use-cases/watch-deadlines.ts';
import { logger } from './logger.ts';
import { reportingErrors } from './report-errors.ts';

/** Runs on a schedule; counts only in the log. */
export const handler = reportingErrors('deadline-watch', async (): Promise<WatchReport & { digest?: { key: string; heads: number } }> => {
  const deps = await dependencies();
  const report = await watchDeadlines(deps);
  // The first run of each day anchors the audit chains (a digest of the heads that moved) in the locked bucket.
  const digest = await writeDailyDigest(deps);
  logger.info('deadlines watched', { ...report, ...(digest && { digest }) });
  return { ...report, ...(digest && { digest }) };
});
