import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChdbHttpServer, startChdbHttpServer } from '../helpers/chdb-http-server.ts';
import { oversightOutcome } from '../helpers/cli.ts';
import { closedPort } from '../helpers/ports.ts';

/**
 * `oversight migrate --clickhouse-url …` is the first thing an operator runs
 * against a ClickHouse server (here chdb behind ClickHouse's HTTP interface,
 * with a password): a mistake is one line that says it was ClickHouse, which
 * one, and what it answered, and exit 1.
 */

let dir: string;
let server: ChdbHttpServer;
beforeAll(async () => {
  dir = await mkdtemp(resolve(tmpdir(), 'oversight-migrate-'));
  server = await startChdbHttpServer({ dataDir: resolve(dir, 'data'), username: 'ops', password: 's3cret' });
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const migrate = (url: string, ...args: string[]) =>
  oversightOutcome(['migrate', '--clickhouse-url', url, '--clickhouse-user', 'ops', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeout: 120_000,
  });

describe('oversight migrate against a ClickHouse server', () => {
  it('a wrong password: one line naming the server and what it answered', async () => {
    const result = await migrate(server.url, '--clickhouse-password', 'wrong');
    expect(result.code).toBe(1);
    // Exactly one line: ClickHouse's exception text ends with a newline of its own.
    expect(result.stderr).toMatch(
      new RegExp(`^oversight: ClickHouse at ${server.url}/: .*Authentication failed[^\\n]*\\n$`),
    );
  });

  it('nothing listening at the URL: the refused connection is said to be ClickHouse', async () => {
    const port = await closedPort();
    const result = await migrate(`http://127.0.0.1:${port}`, '--clickhouse-password', 's3cret');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `oversight: ClickHouse at http://127.0.0.1:${port}/: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  });

  it('the right password: the schema is created', async () => {
    const result = await migrate(server.url, '--clickhouse-password', 's3cret');
    expect(result).toMatchObject({ code: 0, stdout: '[oversight] schema is up to date\n' });
  }, 120_000);
});
