import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../collector/test/helpers/ports.ts';

/**
 * `npm start -- --llm-url <url>` with nothing answering there: the demo stops
 * with the client's words and the server it could not reach, and without
 * --once says the collector runs on. Before, the line was "[demo] stopped:
 * Connection error." and no more.
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oversight-start-llm-'));
});
let running: ChildProcess | undefined;
afterAll(async () => {
  // A run that never printed what the test waits for is still up: stop it (its collector with it).
  if (running && running.exitCode === null) running.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

describe('npm start with an LLM that does not answer', () => {
  it('says which LLM it could not reach, and exits 1 with --once', async () => {
    const llm = `http://127.0.0.1:${await closedPort()}`;
    const args = ['--once', '--conversations', '1', '--port', '0', '--llm-url', llm];
    const result = await run(
      NODE,
      ['--conditions=oversight:source', 'scripts/start.ts', ...args, '--data-dir', path.join(dir, 'data')],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, timeout: 120_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number | null; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^\\[demo\\] stopped: .+ \\(LLM at ${llm}/v1\\)$`, 'm'));
  }, 180_000);

  it('without --once: says the collector keeps running, and Ctrl-C then stops it', async () => {
    const llm = `http://127.0.0.1:${await closedPort()}`;
    const child = spawn(
      NODE,
      [
        '--conditions=oversight:source',
        'scripts/start.ts',
        ...['--conversations', '1', '--port', '0', '--llm-url', llm, '--data-dir', path.join(dir, 'kept')],
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CI: '' } },
    );
    running = child;
    const output: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      if (line.startsWith('[start] the collector keeps running without the demo')) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(output.join('\n')).toContain(`(LLM at ${llm}/v1)`);
    expect(code, output.join('\n')).toBe(0);
  }, 90_000);
});
