import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oversight } from '../helpers/cli.ts';

/**
 * `OVERSIGHT_INSECURE_DEV` is read for what it says: commander sets a plain
 * flag whenever its variable exists, so `=false` used to turn on the mode
 * that files keyless requests under project `default`.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(resolve(tmpdir(), 'oversight-insecure-dev-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const start = (value: string) =>
  oversight(['start', '--port', '0', '--data-dir', resolve(dir, value)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OVERSIGHT_INSECURE_DEV: value },
    timeout: 30_000,
  }).catch((error: { code: number; stderr: string }) => error);

describe('OVERSIGHT_INSECURE_DEV', () => {
  it.each(['false', '0'])(
    '=%s leaves dev mode off: with no keys the collector refuses to start',
    async (value) => {
      const failed = await start(value);
      expect(failed).toMatchObject({ code: 1 });
      expect(String((failed as { stderr: string }).stderr)).toContain(
        'oversight: no API keys configured: pass --api-keys key=project (or --insecure-dev for a local demo)',
      );
    },
  );

  it('=maybe is a configuration error, not a yes', async () => {
    const failed = await start('maybe');
    expect(failed).toMatchObject({ code: 1 });
    expect(String((failed as { stderr: string }).stderr)).toContain(
      'oversight: invalid configuration: OVERSIGHT_INSECURE_DEV (--insecure-dev)',
    );
  });
});
