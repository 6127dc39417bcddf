import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * The packages export dist; the repo tests their sources through this
 * condition, first in every export of package.json (see README, Development
 * vs published resolution). vitest also hands the ssr conditions to its
 * workers as `--conditions`, so what Node loads there itself (worker threads,
 * externalized imports) resolves the same way, also outside npm/npx.
 */
const SOURCE = 'oversight:source';
// vitest's own defaults: Vite's server conditions without `module`, whose
// builds (e.g. @opentelemetry/api's build/esm) Node cannot always load.
const conditions = [SOURCE, ...defaultServerConditions.filter((c) => c !== 'module')];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
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
