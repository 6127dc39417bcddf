/**
 * Starting with ClickHouse out of reach: the collector does not start (it
 * cannot create its tables), and says in its one line which ClickHouse it
 * could not reach, never the credentials in its URL.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.ts';
import { startCollector } from '../../src/service.ts';
import { TEST_KEY } from '../helpers/collector.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A local port nothing listens on: one the system just handed out and got back. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

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
