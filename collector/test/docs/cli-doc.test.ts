/**
 * What docs/architecture.md, security.md, schema.md and sql.md say about the
 * `oversight` command line, against the CLI itself: the command list, every
 * `--flag` and environment variable they name, and the defaults they quote.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, resolveConfig } from '../../src/config.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLI = join(ROOT, 'collector/src/cli.ts');
const DOCS = ['architecture.md', 'security.md', 'schema.md', 'sql.md'];
const doc = (name: string) => readFileSync(join(ROOT, 'docs', name), 'utf8');

/** Flags of other programs the docs name: Node's, npm's, the bench runner's. */
const NOT_OURS = new Set(['--conditions', '--ignore-scripts', '--import', '--only']);

async function help(...command: string[]): Promise<string> {
  const { stdout } = await run(NODE, ['--conditions=oversight:source', CLI, ...command, '--help'], {
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
  return stdout;
}

let commands: string[];
/** Every command's `--help`, joined. */
let helpText: string;

beforeAll(async () => {
  const top = await help();
  commands = [...top.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)]
    .map((m) => m[1] as string)
    .filter((name) => name !== 'help');
  const each = [];
  for (const command of commands) each.push(await help(command));
  // Commander wraps long descriptions: `(env:` and the variable can fall on two lines.
  helpText = each.join('\n').replace(/\s+/g, ' ');
}, 300_000);

describe('the docs and the oversight CLI', () => {
  it("architecture.md's command list is the CLI's", () => {
    expect(commands.length).toBeGreaterThan(5);
    const line = /src\/cli\.ts\s+oversight ([a-z| -]+?) \(commander\)/.exec(doc('architecture.md'));
    expect(line?.[1]?.split(' | ')).toEqual(commands);
  });

  it.each(DOCS)('every --flag and environment variable %s names is one of the CLI', (name) => {
    const text = doc(name);
    const flags = [
      ...new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9](?!\w)/g)].map((m) => m[0])),
    ];
    const unknown = flags.filter((flag) => !NOT_OURS.has(flag) && !new RegExp(`${flag}[ ,]`).test(helpText));
    expect(unknown).toEqual([]);
    const variables = [
      ...new Set([...text.matchAll(/\b(?:OVERSIGHT|CLICKHOUSE)_[A-Z_]+\b/g)].map((m) => m[0])),
    ];
    expect(variables.filter((v) => !helpText.includes(`env: ${v}`))).toEqual([]);
  });

  it('quotes the defaults the config has', () => {
    const defaults = ConfigSchema.parse({});
    const MiB = 1024 ** 2;
    const quoted: [string, RegExp, number][] = [
      ['architecture.md', /`--trace-grace-ms`\s+\((\d+) s\)/, defaults.traceGraceMs / 1000],
      ['architecture.md', /`--trace-idle-ms`\s+\((\d+) s\)/, defaults.traceIdleMs / 1000],
      ['architecture.md', /`--trace-max-open`\s+(\d[\d ]*\d)/, defaults.traceMaxOpen],
      ['architecture.md', /`--trace-max-open-bytes`\s+(\d+) MiB/, defaults.traceMaxOpenBytes / MiB],
      ['architecture.md', /`--trace-recover-minutes`\s+\((\d+)\)/, defaults.traceRecoverMinutes],
      ['architecture.md', /`--keep-alive-timeout-ms`\s+\((\d+) s/, defaults.keepAliveTimeoutMs / 1000],
      ['architecture.md', /`Retry-After`\s+\((\d+) s by default\)/, defaults.walRetryAfterSeconds],
      ['security.md', /`--max-body-bytes` \(default (\d+) MiB/, defaults.maxBodyBytes / MiB],
      ['security.md', /`--max-decompressed-bytes` \(default (\d+) MiB/, defaults.maxDecompressedBytes / MiB],
      ['security.md', /`--request-timeout-ms` \(default (\d+) s/, defaults.requestTimeoutMs / 1000],
      ['security.md', /`--max-in-flight-bytes` \(default (\d+) MiB/, defaults.maxInFlightBytes / MiB],
    ];
    for (const [name, phrase, value] of quoted) {
      const said = phrase.exec(doc(name))?.[1];
      expect(said, `${name}: ${phrase}`).toBeDefined();
      expect(Number(said?.replaceAll(' ', '')), `${name}: ${phrase}`).toBe(value);
    }
  });

  it('lists every word OVERSIGHT_INSECURE_DEV takes, as security.md says, and no more', () => {
    const said = /`OVERSIGHT_INSECURE_DEV` is read as a boolean \(on: ([^;]+); off: ([^;]+);/.exec(
      doc('security.md').replace(/\s+/g, ' '),
    );
    expect(said).not.toBeNull();
    const words = (list: string) => [...list.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    const on = words(said?.[1] ?? '');
    const off = words(said?.[2] ?? '');
    const read = (value: string) => {
      try {
        return resolveConfig({ insecureDev: value }).insecureDev;
      } catch {
        return 'refused';
      }
    };
    for (const word of on) expect([word, read(word), read(word.toUpperCase())]).toEqual([word, true, true]);
    for (const word of off)
      expect([word, read(word), read(word.toUpperCase())]).toEqual([word, false, false]);
    // Words an operator might try: each is either listed above or refused.
    const tried = [
      'true',
      '1',
      'yes',
      'y',
      'on',
      'enabled',
      'enable',
      'false',
      '0',
      'no',
      'n',
      'off',
      'disabled',
    ];
    for (const word of tried.filter((w) => !on.includes(w) && !off.includes(w))) {
      expect([word, read(word)]).toEqual([word, 'refused']);
    }
  });
});
