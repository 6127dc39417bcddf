import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDeadLetters } from '../../src/pipeline/drain/dead-letter.ts';
import { oversight, oversightOutcome } from '../helpers/cli.ts';

/**
 * `oversight dead-letters`: what an operator runs when the dead-letter alert
 * fires. It reads the file the drain writes (written here by the drain's own
 * writer), leaving out the raw requests.
 */
const env = { PATH: process.env.PATH ?? '' };
let dir: string;
let walDir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oversight-dead-letters-cli-'));
  walDir = path.join(dir, 'wal');
  await mkdir(walDir);
  await writeDeadLetters(
    path.join(walDir, 'dead-letter.jsonl'),
    [
      {
        walId: 'log-1',
        position: 0,
        next: 19,
        reason: 'decode: unknown batch format 110',
        payload: Buffer.from('not a batch').toString('base64'),
      },
      {
        walId: 'log-1',
        position: 19,
        next: 4096,
        reason: 'refused by ClickHouse: 1 of 3 rows of llm_spans: Code: 72. Cannot parse number',
        payload: Buffer.alloc(4077).toString('base64'),
        refused: [
          {
            table: 'llm_spans',
            from: 2,
            to: 3,
            error: 'Code: 72. Cannot parse number',
            rows: [{ trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8), input_tokens: -1 }],
          },
        ],
      },
    ],
    false,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('oversight dead-letters', () => {
  it('lists each letter: when, where in the log, how big, why, and the rows ClickHouse refused', async () => {
    const { stdout } = await oversight(['dead-letters', '--wal-dir', walDir], { env });
    const file = path.join(walDir, 'dead-letter.jsonl');
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`2 accepted requests set aside in ${file}`);
    expect(lines[2]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}log log-1 at 0 {2}11 bytes$/);
    expect(lines[3]).toBe('  decode: unknown batch format 110');
    expect(lines[4]).toMatch(/ {2}log log-1 at 19 {2}4077 bytes$/);
    expect(lines[5]).toBe('  refused by ClickHouse: 1 of 3 rows of llm_spans: Code: 72. Cannot parse number');
    expect(lines[6]).toBe(`  refused: llm_spans row 2 (trace ${'ab'.repeat(16)}, span ${'cd'.repeat(8)})`);
  });

  it('prints one JSON object per letter with --json, without the raw request', async () => {
    const { stdout } = await oversight(['dead-letters', '--wal-dir', walDir, '--json'], { env });
    const letters = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters.map((l) => [l.position, l.payloadBytes, 'payload' in l])).toEqual([
      [0, 11, false],
      [19, 4077, false],
    ]);
    expect(letters[1].refused[0].rows).toEqual([
      { trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8), input_tokens: -1 },
    ]);
  });

  it('says so when nothing was set aside, and names the line of a file it cannot read', async () => {
    const empty = path.join(dir, 'no-wal-here');
    const { stdout } = await oversight(['dead-letters', '--wal-dir', empty], { env });
    expect(stdout).toBe(`no dead letters in ${path.join(empty, 'dead-letter.jsonl')}\n`);

    const broken = path.join(dir, 'broken');
    await mkdir(broken);
    await writeFile(path.join(broken, 'dead-letter.jsonl'), '{"at":"x"}\n');
    const outcome = await oversightOutcome(['dead-letters', '--wal-dir', broken], { env });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^oversight: .*broken\/dead-letter\.jsonl:1: not a dead letter/);
  });
});
