/**
 * Starting with ClickHouse out of reach: the collector does not start (it
 * cannot create its tables), and says in its one line which ClickHouse it
 * could not reach, never the credentials in its URL.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.ts';
import { startCollector } from '../../src/service.ts';
import { TEST_KEY } from '../helpers/collector.ts';
import { closedPort } from '../helpers/ports.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('ClickHouse down at start', () => {
  it('refuses to start, naming the ClickHouse it could not reach but not its password', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'oversight-startup-'));
    dirs.push(dir);
    const port = await closedPort();
    const start = startCollector(
      resolveConfig({
        port: 0,
        dataDir: path.join(dir, 'data'),
        apiKeys: `${TEST_KEY}=project-a`,
        clickhouseUrl: `http://oversight:s3cret-pw@127.0.0.1:${port}`,
        evaluators: 'none',
      }),
    );
    const error = (await start.then(
      () => {
        throw new Error('started without ClickHouse');
      },
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(
      new RegExp(`^ClickHouse at http://127\\.0\\.0\\.1:${port}/: .*ECONNREFUSED`),
    );
    expect(error.message).not.toContain('s3cret-pw');
    expect(error.message.split('\n')).toHaveLength(1);
  });
});

/** Files under `dir` this process holds open (Linux: /proc/self/fd). */
function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const file = readlinkSync(`/proc/self/fd/${fd}`);
      return file.startsWith(`${dir}${path.sep}`) ? [path.relative(dir, file)] : [];
    } catch {
      // Closed since the listing (the listing's own descriptor, say).
      return [];
    }
  });
}

describe('port taken at start', () => {
  it.skipIf(!existsSync('/proc/self/fd'))(
    'says so in one line and leaves the store and the log closed: a start on them then runs',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'oversight-startup-'));
      dirs.push(dir);
      const taken = createServer().listen(0, '127.0.0.1');
      await once(taken, 'listening');
      const { port } = taken.address() as { port: number };
      const config = resolveConfig({
        port,
        host: '127.0.0.1',
        dataDir: path.join(dir, 'data'),
        walDir: path.join(dir, 'wal'),
        apiKeys: `${TEST_KEY}=project-a`,
        evaluators: 'none',
        transformWorkers: 1,
      });
      try {
        const error = (await startCollector(config).then(
          () => {
            throw new Error('started on a taken port');
          },
          (e: unknown) => e,
        )) as Error;
        expect(error.message).toBe(
          `port ${port} on 127.0.0.1 is already in use (another collector?): stop that process, or pass another --port`,
        );
        // The start got as far as the embedded store and the log, and left neither open.
        expect(existsSync(path.join(dir, 'wal'))).toBe(true);
        expect(openFilesUnder(dir)).toEqual([]);
        const running = await startCollector({ ...config, port: 0 });
        try {
          expect(openFilesUnder(dir)).toContain(path.join('data', 'status'));
          expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
        } finally {
          await running.close();
        }
        expect(openFilesUnder(dir)).toEqual([]);
      } finally {
        taken.close();
      }
    },
    60_000,
  );

  // In a process of its own, as the CLI runs it: what the failed start left open (the log, the
  // trace stage's timers, transform workers, the embedded store) kept the process from exiting.
  it('refuses to start and leaves nothing open: the process ends by itself', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'oversight-startup-'));
    dirs.push(dir);
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as { port: number };
    const script = `
      import { resolveConfig } from ${JSON.stringify(path.join(HERE, '../../src/config.ts'))};
      import { startCollector } from ${JSON.stringify(path.join(HERE, '../../src/service.ts'))};
      const config = resolveConfig({ port: ${port}, host: '127.0.0.1', dataDir: ${JSON.stringify(path.join(dir, 'data'))},
        apiKeys: '${TEST_KEY}=project-a', evaluators: 'none', transformWorkers: 1 });
      await startCollector(config).then(() => console.log('started'), (e) => console.log('refused:', e.code ?? e.message.slice(0, 300)));`;
    // A file, not --eval: worker threads inherit the process's flags.
    const file = path.join(dir, 'start.mjs');
    await writeFile(file, script);
    const child = spawn(process.execPath, ['--conditions=oversight:source', file], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '--conditions=oversight:source' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    // Generous: a process that exits does so at once; one held open never does.
    const ended = await Promise.race([
      once(child, 'exit').then(([code]) => ({ code })),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 60_000).unref()),
    ]);
    child.kill('SIGKILL');
    taken.close();
    expect(out.trim()).toBe(
      `refused: port ${port} on 127.0.0.1 is already in use (another collector?): stop that process, or pass another --port`,
    );
    expect(ended).toEqual({ code: 0 });
  }, 90_000);
});
