import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: the domain and use-case tests, with every port in memory — no Java, no ports opened. The files
 * share workers (no per-file isolation): they keep no state outside their own systems, and a fresh worker per file
 * would cost more than the tests themselves.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    isolate: false,
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
