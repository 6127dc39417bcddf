import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start` with two flags that undo each other: refused in one line with
 * the usage, exit 2, nothing started. Before, one of them was silently
 * dropped: `--once --no-demo` (or `--once --forever`) started a collector
 * that never exited, in CI too.
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oversight-start-flags-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm start with conflicting flags', () => {
  it.each([
    [['--once', '--forever'], '--once exits after the report, --forever never gets to one'],
    [['--once', '--no-demo'], "--once exits after the demo's report, and --no-demo runs no demo"],
    [['--no-demo', '--forever'], '--forever keeps the demo talking, and --no-demo runs no demo'],
  ])(
    '%j: one line and the usage, exit 2, nothing started',
    async (flags, why) => {
      const dataDir = path.join(dir, flags.join(''));
      const result = await run(
        NODE,
        ['--conditions=oversight:source', 'scripts/start.ts', ...flags, '--port', '0', '--data-dir', dataDir],
        // The bound only ends a run that would otherwise never exit (the old behaviour).
        { cwd: ROOT, env: { PATH: process.env.PATH ?? '', CI: '' }, timeout: 60_000 },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number | null; stderr: string }) => error,
      );
      expect(result.code).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe(`start: ${why}: pass one of them`);
      expect(result.stderr).toContain('--data-dir <dir>');
      expect(existsSync(dataDir)).toBe(false);
    },
    90_000,
  );
});
