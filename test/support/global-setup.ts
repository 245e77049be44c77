import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import buildOnce from './app-template.ts';
import startSharedDatabase from './shared-database.ts';

/**
 * Vitest's global setup for the system files: the run's DynamoDB Local (test/support/shared-database.ts) and the
 * builds the files share (test/support/app-template.ts), side by side — the database's JVM starts in a process of its
 * own while this one synthesizes and bundles (given as two setups, Vitest ran them one after the other).
 */
export default async function setUp(project: TestProject): Promise<() => Promise<void>> {
  // Every temporary folder of the run (data folders, profiles, bundles, the CDK's output, Chromium's) is made under
  // one of the run's own, removed at its end: the workers start after this and inherit TMPDIR, which os.tmpdir() reads.
  const runFolder = mkdtempSync(join(tmpdir(), 'derbes-test-run-'));
  process.env.TMPDIR = runFolder;
  const setups = await Promise.allSettled([startSharedDatabase(project), buildOnce(project)]);
  const teardowns = setups.flatMap((setup) => (setup.status === 'fulfilled' ? [setup.value] : []));
  const tearDown = async () => {
    for (const teardown of teardowns.reverse()) await teardown();
    rmSync(runFolder, { recursive: true, force: true });
  };
  const failed = setups.find((setup) => setup.status === 'rejected');
  if (failed) {
    await tearDown();
    throw failed.reason;
  }
  return tearDown;
}
