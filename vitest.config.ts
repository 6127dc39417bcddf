import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'scorers/test/**/*.test.ts',
      'conventions/test/**/*.test.ts',
      'sdk/test/**/*.test.ts',
      'collector/test/**/*.test.ts',
      'examples/**/*.test.ts',
      'grafana/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // chdb sessions are heavy (~270 MB each) and the machine has 2 cores.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
