import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config.ts';

/**
 * `oversight start --help` is the list operators read: every collector
 * setting is a flag there, each with its environment variable, under the
 * name the config knows it by.
 */
const run = promisify(execFile);
const NODE = resolve(import.meta.dirname, '../../../node_modules/.bin/node');
const SOURCE = '--conditions=oversight:source';
const CLI = resolve(import.meta.dirname, '../../src/cli.ts');

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

describe('oversight start --help', () => {
  it('lists every setting of the config as a flag with its environment variable', async () => {
    const { stdout } = await run(NODE, [SOURCE, CLI, 'start', '--help'], {
      env: { PATH: process.env.PATH ?? '' },
      timeout: 30_000,
    });
    // One entry per option: its first line starts with the flag, wrapped lines are indented deeper.
    const entries = stdout
      .split(/\n(?= {2}-)/)
      .map((entry) => entry.replace(/\s+/g, ' ').trim())
      .filter((entry) => entry.startsWith('-'));
    const missing = Object.keys(ConfigSchema.shape).filter(
      (key) =>
        !entries.some(
          (entry) =>
            entry.startsWith(`--${kebab(key)} `) && /[(,] ?env: (OVERSIGHT|CLICKHOUSE)_[A-Z_]+\)/.test(entry),
        ),
    );
    expect(missing).toEqual([]);
  });
});
