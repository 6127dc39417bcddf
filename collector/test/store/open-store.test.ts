import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/store/chdb-store.ts';
import { DataDirLockedError } from '../../src/store/errors.ts';
import { openStore } from '../../src/store/open-store.ts';

describe('openStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oversight-open-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('chooses the server backend when a ClickHouse URL is configured, without connecting', async () => {
    const store = await openStore({
      env: { CLICKHOUSE_URL: 'http://127.0.0.1:9', CLICKHOUSE_DATABASE: 'obs' },
    });
    expect(store.kind).toBe('server');
    expect(store.database).toBe('obs');
    await store.close();
  });

  it('refuses cluster mode without a server', async () => {
    await expect(openStore({ env: {}, cluster: 'prod' })).rejects.toThrow(/CLICKHOUSE_URL/);
  });

  it('opens the embedded engine in OVERSIGHT_DATA_DIR and migrates on request', async () => {
    const dataDir = join(dir, 'embedded');
    const store = await openStore({ env: { OVERSIGHT_DATA_DIR: dataDir }, migrate: true });
    try {
      expect(store.kind).toBe('embedded');
      expect(store.database).toBe('oversight');
      expect((store as { dataDir?: string }).dataDir).toBe(dataDir);
      expect(await store.query('SELECT count() AS n FROM otel_traces')).toEqual([{ n: 0 }]);
    } finally {
      await store.close();
    }
  });
});

describe('embedded data directory held by another process', () => {
  let holder: ChildProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oversight-locked-'));
    const script = `import { Session } from 'chdb';
      const session = new Session(process.argv[1]);
      await session.queryAsync('SELECT 1');
      process.stdout.write('opened\\n');
      process.stdin.on('end', () => { session.close(); process.exit(0); });
      process.stdin.resume();`;
    holder = spawn(
      process.execPath,
      ['--conditions=oversight:source', '--input-type=module', '-e', script, dir],
      {
        cwd: process.cwd(),
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      holder?.stdout?.on('data', (data: Buffer) => {
        if (data.toString().includes('opened')) resolve();
      });
      holder?.on('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
    });
  });

  afterAll(async () => {
    if (holder && holder.exitCode === null) {
      const exited = new Promise((resolve) => holder?.on('exit', resolve));
      holder.stdin?.end();
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('fails with an error naming the directory and the likely cause', async () => {
    const failure = await openEmbeddedStore({ dataDir: dir }).catch((error: unknown) => error);
    expect(failure, String(failure)).toBeInstanceOf(DataDirLockedError);
    expect((failure as DataDirLockedError).dataDir).toBe(dir);
    expect((failure as DataDirLockedError).pid).toBe(holder?.pid);
    expect((failure as Error).message).toContain(`PID ${holder?.pid}`);
    expect((failure as Error).message).toContain(dir);
    expect((failure as Error).message).toMatch(/collector is already running/);
  });
});
