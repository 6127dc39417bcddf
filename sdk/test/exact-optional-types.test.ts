import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Apps with `exactOptionalPropertyTypes` (in @tsconfig/strictest and many
 * strict setups) pass `process.env.X` and other maybe-undefined values to the
 * options; the SDK strips undefined options, so its types must accept them.
 */
describe('the public option types', () => {
  it('accept undefined for every optional option under exactOptionalPropertyTypes', async () => {
    const tsc = `${ROOT}node_modules/.bin/tsc`;
    const out = await run(tsc, ['-p', 'sdk/test/types/tsconfig.json', '--pretty', 'false'], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 120_000,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    // The SDK's own sources are compiled under the repo's settings; only the app's lines count here.
    const appErrors = out.stdout.split('\n').filter((line) => line.startsWith('sdk/test/types/'));
    expect(appErrors).toEqual([]);
  });
});
