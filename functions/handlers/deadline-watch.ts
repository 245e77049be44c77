import { dependencies } from '../composition.ts';
import { watchDeadlines, type WatchReport } from '../use-cases/watch-deadlines.ts';
import { logger } from './logger.ts';
import { reportingErrors } from './report-errors.ts';

/** Runs on a schedule; counts only in the log. */
export const handler = reportingErrors('deadline-watch', async (): Promise<WatchReport> => {
  const report = await watchDeadlines(await dependencies());
  logger.info('deadlines watched', { ...report });
  return report;
});
