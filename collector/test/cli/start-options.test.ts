import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config.ts';
import { oversight } from '../helpers/cli.ts';

/**
 * `oversight start --help` is the list operators read: every collector
 * setting is a flag there, each with its environment variable, under the
 * name the config knows it by.
 */

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `start --help`, one entry per option: its first line starts with the flag, wrapped lines are indented deeper. */
async function helpEntries(): Promise<string[]> {
  const { stdout } = await oversight(['start', '--help'], {
    env: { PATH: process.env.PATH ?? '' },
    timeout: 30_000,
  });
  return stdout
    .split(/\n(?= {2}-)/)
    .map((entry) => entry.replace(/\s+/g, ' ').trim())
    .filter((entry) => entry.startsWith('-'));
}

describe('oversight start --help', () => {
  it('lists every setting of the config as a flag with its environment variable', async () => {
    const entries = await helpEntries();
    const missing = Object.keys(ConfigSchema.shape).filter(
      (key) =>
        !entries.some(
          (entry) =>
            entry.startsWith(`--${kebab(key)} `) && /[(,] ?env: (OVERSIGHT|CLICKHOUSE)_[A-Z_]+\)/.test(entry),
        ),
    );
    expect(missing).toEqual([]);
    // Each variable is OVERSIGHT_ and its flag, so the name an operator derives from the flag is read.
    const misnamed = entries.flatMap((entry) => {
      const flag = /^--([a-z-]+)/.exec(entry)?.[1] ?? '';
      const variable = /env: ([A-Z_]+)\)/.exec(entry)?.[1];
      const expected = `OVERSIGHT_${flag.toUpperCase().replaceAll('-', '_')}`;
      return variable && !variable.startsWith('CLICKHOUSE_') && variable !== expected ? [variable] : [];
    });
    expect(misnamed).toEqual([]);
  });

  it("states each setting's default as the config has it", async () => {
    const entries = await helpEntries();
    // How help may write a default: as is, quoted by commander, beside a choice, or in MiB / GiB.
    const spellings = (value: unknown): string[] => {
      const plain = [`default ${value})`, `default: "${value}"`, `default ${value};`, `${value} (default`];
      if (typeof value !== 'number') return plain;
      return [...plain, `default ${value / 1024 ** 2} MiB)`, `default ${value / 1024 ** 3} GiB)`];
    };
    const wrong = Object.entries(ConfigSchema.shape).flatMap(([key, schema]) => {
      const fallback = schema.safeParse(undefined);
      // Unset means off, or is worked out at start (--transform-workers): no single value to state.
      if (!fallback.success || ([undefined, '', false] as unknown[]).includes(fallback.data)) return [];
      const entry = entries.find((e) => e.startsWith(`--${kebab(key)} `)) ?? '';
      return spellings(fallback.data).some((s) => entry.includes(s))
        ? []
        : [`${key}=${fallback.data}: ${entry}`];
    });
    expect(wrong).toEqual([]);
  });
});

describe('start settings from the environment', () => {
  const start = (env: Record<string, string>) =>
    oversight(['start'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 30_000,
    }).catch((error: { code: number; stderr: string }) => error);

  it.each([
    ['OVERSIGHT_RATE_LIMIT_SPANS_PER_SECOND', '--rate-limit-spans-per-second'],
    ['OVERSIGHT_RATE_LIMIT', '--rate-limit-spans-per-second'],
    ['OVERSIGHT_WAL_RETRY_AFTER_SECONDS', '--wal-retry-after-seconds'],
    ['OVERSIGHT_WAL_RETRY_AFTER', '--wal-retry-after-seconds'],
  ])('%s is read (a bad value is refused at start, naming it and %s)', async (variable, flag) => {
    const failed = await start({ [variable]: 'lots' });
    expect(failed).toMatchObject({ code: 1 });
    expect(String((failed as { stderr: string }).stderr)).toContain(
      `oversight: invalid configuration: ${variable} (${flag}): `,
    );
  });

  it('reads a blank variable as unset: no choices error, and a former name still applies', async () => {
    // A compose file's `OVERSIGHT_TOPICS_EMBEDDER: ${EMBEDDER:-}` left out: the default, not a refusal.
    const blankChoice = await start({ OVERSIGHT_TOPICS_EMBEDDER: '' });
    expect(String((blankChoice as { stderr: string }).stderr)).toContain('oversight: no API keys configured');
    // The new name left blank does not hide the old one's value.
    const former = await start({ OVERSIGHT_RATE_LIMIT_SPANS_PER_SECOND: ' ', OVERSIGHT_RATE_LIMIT: 'lots' });
    expect(String((former as { stderr: string }).stderr)).toContain(
      'oversight: invalid configuration: OVERSIGHT_RATE_LIMIT (--rate-limit-spans-per-second): ',
    );
  });
});
