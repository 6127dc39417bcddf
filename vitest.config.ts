import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * The packages export dist; the repo tests their sources through this
 * condition, first in every export of package.json (see README, Development).
 */
const SOURCE = 'oversight:source';

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions] } },
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
    // Modules Node loads itself in a test worker (worker threads, externalized
    // imports) resolve the same way, also when vitest runs outside npm/npx.
    execArgv: [`--conditions=${SOURCE}`],
    // chdb sessions are heavy (~270 MB each) and the machine has 2 cores.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
