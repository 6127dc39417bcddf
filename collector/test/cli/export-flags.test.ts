import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oversightOutcome } from '../helpers/cli.ts';

/**
 * `oversight export-preferences` with a bad flag value: one line naming the
 * flag as typed, exit 1, before the store is opened. It used to print zod's
 * two-line report under the schema's key ("✖ Too big … → at minGroundedness"),
 * and a window with nothing in it was an export of 0 records.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(resolve(tmpdir(), 'oversight-export-flags-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('export-preferences flag values', () => {
  it.each([
    [['--min-groundedness', '2'], 'oversight: --min-groundedness: Too big: expected number to be <=1'],
    [['--topic', 'billing'], 'oversight: --topic: a numeric topic id'],
    [
      ['--topic', 'x', '--min-groundedness', 'high'],
      'oversight: --topic: a numeric topic id; --min-groundedness: Invalid input: expected number, received NaN',
    ],
    // Which of the two dates was not one.
    [
      ['--until', 'tomorrow'],
      'oversight: --until: not a date: tomorrow (use YYYY-MM-DD or an ISO date-time)',
    ],
    // A swapped or empty window exported nothing and said only "exported 0 …", exit 0.
    [
      ['--since', '2026-11-01', '--until', '2026-10-01'],
      'oversight: --until 2026-10-01 is not after --since 2026-11-01: no feedback could match',
    ],
    [
      ['--since', '2026-11-01T12:00:00Z', '--until', '2026-11-01 12:00'],
      'oversight: --until 2026-11-01 12:00 is not after --since 2026-11-01T12:00:00Z: no feedback could match',
    ],
  ])('%j: one line naming the flag, nothing opened', async (flags, line) => {
    const dataDir = resolve(dir, flags.join(''));
    const result = await oversightOutcome(
      ['export-preferences', '--format', 'kto', '--data-dir', dataDir, ...flags],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, timeout: 60_000 },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${line}\n`);
    expect(existsSync(dataDir)).toBe(false);
  });
});
