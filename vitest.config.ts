import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration and end-to-end suites start DynamoDB Local and the local runtime; two cores do not
    // gain from more parallel files, and fewer JVMs keep the run predictable.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
