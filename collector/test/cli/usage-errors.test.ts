import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oversightOutcome } from '../helpers/cli.ts';

/**
 * What an operator sees after a mistake on the command line: one line naming
 * what they typed or set (the flag, or the variable), where to look next, and
 * a non-zero exit. None of these reach a store or a port.
 */

const oversight = (args: string[], env: Record<string, string> = {}) =>
  oversightOutcome(args, { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe('a bad value names the flag or the variable it came from', () => {
  it.each([
    [['ddl', '--ttl-days', '-1'], {}, 'oversight: invalid configuration: --ttl-days: Too small'],
    [
      ['ddl'],
      { OVERSIGHT_TTL_DAYS: 'abc' },
      'oversight: invalid configuration: OVERSIGHT_TTL_DAYS (--ttl-days): ',
    ],
    [['ddl', '--database', 'a-b'], {}, 'oversight: invalid configuration: --database: a plain identifier'],
    [['migrate'], { CLICKHOUSE_URL: 'localhost 8123' }, 'CLICKHOUSE_URL (--clickhouse-url): Invalid URL'],
    [
      ['start', '--max-in-flight-bytes', '5'],
      {},
      'oversight: invalid configuration: --max-in-flight-bytes (5) must be at least --max-decompressed-bytes (67108864)',
    ],
  ])('oversight %j with %j', async (args, env, message) => {
    const result = await oversight(args, env);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringContaining(message)]);
  });

  it('a flag wins over its variable, and then the error names the flag', async () => {
    const result = await oversight(['ddl', '--ttl-days', 'x'], { OVERSIGHT_TTL_DAYS: '7' });
    expect(lines(result.stderr)).toEqual([
      'oversight: invalid configuration: --ttl-days: Invalid input: expected number, received NaN',
    ]);
    const good = await oversight(['ddl', '--ttl-days', '3'], { OVERSIGHT_TTL_DAYS: 'x' });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/toIntervalDay\(3\)/);
  });
});

describe('a usage mistake is the error and a pointer, not the whole help', () => {
  it.each([
    [['start', '--port'], "error: option '--port <port>' argument missing", 'oversight start --help'],
    [['ddl', '--bogus'], "error: unknown option '--bogus'", 'oversight ddl --help'],
    [
      ['export-preferences', '--format', 'xml'],
      "argument 'xml' is invalid",
      'oversight export-preferences --help',
    ],
    [['sql'], "error: missing required argument 'query'", 'oversight sql --help'],
    [['bogus'], "error: unknown command 'bogus'", 'oversight --help'],
  ])('oversight %j', async (args, error, pointer) => {
    const result = await oversight(args);
    expect(result.code).toBe(1);
    const said = lines(result.stderr);
    // The error stays on screen: before, `start` printed its 120 lines of help after it.
    expect(said).toHaveLength(2);
    expect(said[0]).toContain(error);
    expect(said[1]).toContain(pointer);
    expect(result.stdout).toBe('');
  });
});

describe('--help with a bad variable in the environment', () => {
  it('still prints the help that lists the good values; the start then names the variable', async () => {
    const env = { OVERSIGHT_TOPICS_EMBEDDER: 'bogus' };
    const help = await oversight(['start', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--topics-embedder <kind>');
    const start = await oversight(
      ['start', '--insecure-dev', '--port', '0', '--data-dir', '/nonexistent/x'],
      env,
    );
    expect(start.code).toBe(1);
    expect(lines(start.stderr)).toEqual([
      expect.stringMatching(
        /^oversight: invalid configuration: OVERSIGHT_TOPICS_EMBEDDER \(--topics-embedder\): .*"student"/,
      ),
    ]);
  });
});

describe('reading commands with nothing to read', () => {
  it('a --data-dir that does not exist: names it, and leaves nothing behind', async () => {
    const dir = resolve(tmpdir(), `oversight-no-data-${process.pid}-${Date.now()}`);
    const result = await oversight(['sql', '--data-dir', dir, 'SELECT count() FROM llm_spans']);
    expect(result.code).toBe(1);
    // Before: an empty engine created in `dir`, and "Unknown table expression identifier 'llm_spans'".
    expect(lines(result.stderr)).toEqual([
      `oversight: no Oversight data in ${dir}: pass the --data-dir the collector uses, or run from where it runs`,
    ]);
    expect(existsSync(dir)).toBe(false);
  });

  it.each([[['export-preferences', '--format', 'kto']], [['eval', '--task', 'feedback-agreement']]])(
    '%j with a --data-dir that does not exist: the same',
    async (args) => {
      const dir = resolve(tmpdir(), `oversight-no-data-${process.pid}-${Date.now()}`);
      const result = await oversight([...args, '--data-dir', dir]);
      expect(result.code).toBe(1);
      // Before: "Unknown table expression identifier 'oversight.feedback'", and the engine left in `dir`.
      expect(lines(result.stderr)).toEqual([
        `oversight: no Oversight data in ${dir}: pass the --data-dir the collector uses, or run from where it runs`,
      ]);
      expect(existsSync(dir)).toBe(false);
    },
  );

  it('an empty query is refused, not an empty answer with exit 0', async () => {
    const dir = resolve(tmpdir(), `oversight-no-query-${process.pid}-${Date.now()}`);
    const result = await oversight(['sql', '--data-dir', dir, ' ']);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      'oversight: sql needs a query, e.g. "SELECT count() FROM llm_spans"',
    ]);
  });
});
