import type { TestProject } from 'vitest/node';
import buildOnce from './app-template.ts';
import startSharedDatabase from './shared-database.ts';

/**
 * Vitest's global setup for the system files: the run's DynamoDB Local (test/support/shared-database.ts) and the
 * builds the files share (test/support/app-template.ts), side by side — the database's JVM starts in a process of its
 * own while this one synthesizes and bundles (given as two setups, Vitest ran them one after the other).
 */
export default async function setUp(project: TestProject): Promise<() => Promise<void>> {
  const setups = await Promise.allSettled([startSharedDatabase(project), buildOnce(project)]);
  const teardowns = setups.flatMap((setup) => (setup.status === 'fulfilled' ? [setup.value] : []));
  const tearDown = async () => {
    for (const teardown of teardowns.reverse()) await teardown();
  };
  const failed = setups.find((setup) => setup.status === 'rejected');
  if (failed) {
    await tearDown();
    throw failed.reason;
  }
  return tearDown;
}
