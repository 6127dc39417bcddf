import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));

describe("import '@oversight/sdk/auto'", () => {
  // zod is ~95 modules and hundreds of ms on a cold start; only init() options that need checking
  // and feedback() load it. A stray import of the conventions' index (which holds the feedback
  // schema) from a module on the startup path brings it back unnoticed, so count it.
  it('loads no zod on an app’s startup path', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=oversight:source',
        '--import',
        path.join(HERE, 'apps', 'record-resolved.mjs'),
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(path.join(HERE, '..', 'src', 'auto.ts'))}); process.exit(0);`,
      ],
      {
        cwd: path.join(HERE, '..'),
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          RECORD_PACKAGES: 'zod',
          OVERSIGHT_ENDPOINT: 'http://127.0.0.1:9',
        },
      },
    );
    expect(JSON.parse(stdout)).toEqual([]);
  });
});
