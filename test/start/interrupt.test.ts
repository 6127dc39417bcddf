import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Ctrl-C after the demo's conversations, while `npm start` waits for the
 * collector to store and score them: it stops there, as it says it does.
 * Before, it went on waiting (until the scores had been still for 5 s, up to
 * 90 s) and printed the whole report after "stopping".
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oversight-start-interrupt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm start, Ctrl-C while the report waits for the collector', () => {
  it('stops without the report and exits 0', async () => {
    const child = spawn(
      NODE,
      [
        '--conditions=oversight:source',
        'scripts/start.ts',
        '--conversations',
        '1',
        '--port',
        '0',
        '--data-dir',
        path.join(dir, 'data'),
      ],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CI: '', OPENAI_API_KEY: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      // The demo is done and the wait for its scores begins: what a user interrupts.
      if (line.startsWith('[demo] done:')) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const text = output.join('\n');
    expect(text).toContain('[start] SIGINT: stopping the demo, then the collector');
    expect(text).not.toContain('== Oversight report');
    expect(code, text).toBe(0);
  }, 180_000);
});
