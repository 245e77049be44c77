import { configDefaults, defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/support/sequencer.ts';

export default defineConfig({
  test: {
    // Three files at a time on two cores: the end-to-end files spend much of their time waiting (for Chromium, mail,
    // the workflow's timers and retries), so a third file fills the cores they leave idle. Measured on the 2-core
    // machine, 2026-11-30 (README, `npm test` row): 2 workers 516 s, 3 workers 385 s of vitest at a like load.
    maxWorkers: 3,
    testTimeout: 60_000,
    // Long files start first, also on a clean clone without Vitest's durations cache (test/support/sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          // `npm run test:unit`: the domain and use-case tests, with every port in memory — no Java, no ports opened.
          // The files share workers (no per-file isolation): they keep no state outside their own systems, and a fresh
          // worker per file would cost more than the tests themselves.
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // Integration, infrastructure and end-to-end tests, each file in a worker of its own (they set the process's
          // AWS environment). One DynamoDB Local for the run; each file's tables in a namespace of their own
          // (test/support/shared-database.ts). The functions bundled once, and every profile's template synthesized in
          // Vitest's main process, the CDK loaded once (test/support/app-template.ts); the two set up side by side
          // (test/support/global-setup.ts).
          name: 'system',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**'],
          globalSetup: ['test/support/global-setup.ts'],
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
