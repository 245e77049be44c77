import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local for the run; each file's tables in a namespace of their own (test/support/shared-database.ts).
    globalSetup: ['test/support/shared-database.ts'],
    // Integration and end-to-end suites start DynamoDB Local and the local runtime; two cores do not
    // gain from more parallel files, and fewer JVMs keep the run predictable.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
