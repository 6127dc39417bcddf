import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oversight } from '../helpers/cli.ts';

/**
 * `oversight start` where it cannot listen: one line an operator acts on,
 * exit 1, and nothing opened. It used to open the store first and meet the
 * taken port after: the message was Node's ("listen EADDRINUSE"), and the
 * process exited with the embedded engine still running, where it could hang
 * or crash, keeping the data directory locked (and `npm start` waiting).
 */

let dir: string;
let taken: Server;
let port: number;
beforeAll(async () => {
  dir = await mkdtemp(resolve(tmpdir(), 'oversight-listen-'));
  taken = createServer();
  await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
  port = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((done) => taken.close(done));
  await rm(dir, { recursive: true, force: true });
});

const start = (...args: string[]) =>
  oversight(['start', '--insecure-dev', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeout: 60_000,
  }).catch((error: { code: number; stderr: string }) => error);

describe('oversight start where it cannot listen', () => {
  it('a taken port: one line naming the port and --port, before the store is opened', async () => {
    const dataDir = resolve(dir, 'taken');
    const failed = await start('--port', String(port), '--data-dir', dataDir);
    expect(failed).toMatchObject({ code: 1 });
    expect(String((failed as { stderr: string }).stderr).trim()).toBe(
      `oversight: port ${port} on 127.0.0.1 is already in use (another collector?): stop that process, or pass another --port`,
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a --host that is not this machine: names the flag', async () => {
    const dataDir = resolve(dir, 'host');
    // TEST-NET-1 (RFC 5737): never an address of a machine running the tests.
    const failed = await start('--host', '192.0.2.1', '--port', String(port), '--data-dir', dataDir);
    expect(failed).toMatchObject({ code: 1 });
    expect(String((failed as { stderr: string }).stderr).trim()).toBe(
      'oversight: cannot listen on --host 192.0.2.1: not an address of this machine',
    );
    expect(existsSync(dataDir)).toBe(false);
  });
});
