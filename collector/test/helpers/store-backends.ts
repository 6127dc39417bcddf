/**
 * The backends a store test suite runs against: the embedded engine, the
 * server backend over HTTP to chdb (see chdb-http-server.ts), and a real
 * ClickHouse server when CLICKHOUSE_URL is set.
 *
 * chdb holds one data directory per process, so every chdb-backed fixture of a
 * test file shares one temporary directory, each in its own database; the
 * directory is removed when the last fixture is cleaned up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending } from 'chdb';
import { openEmbeddedStore } from '../../src/store/chdb-store.ts';
import { openServerStore } from '../../src/store/clickhouse-store.ts';
import { loadMigrations } from '../../src/store/ddl-render.ts';
import { applyMigrations, type MigrationTarget } from '../../src/store/migrations.ts';
import type { Store } from '../../src/store/store.ts';
import { type ChdbHttpServer, startChdbHttpServer } from './chdb-http-server.ts';

/**
 * Schema options for the fixture's store. TTL is off by default: fixtures use
 * fixed past timestamps, which a TTL would drop at insert.
 */
export interface BackendOptions {
  ttlDays?: number;
  rollupTtlDays?: number;
  dedupWindow?: number;
}

const FIXTURE_DEFAULTS: BackendOptions = { ttlDays: 0, rollupTtlDays: 0 };

export interface StoreBackend {
  readonly name: 'embedded' | 'server-over-chdb-http' | 'server';
  /** A fresh store in its own database. Call once per fixture. */
  open(options?: BackendOptions): Promise<Store>;
  /** Closes what open() made and drops its data. */
  cleanup(): Promise<void>;
}

let sharedDir: Promise<string> | undefined;
let sharedUsers = 0;

/** This process's chdb data directory for tests (created on first use). */
export async function acquireChdbDataDir(): Promise<string> {
  sharedUsers++;
  sharedDir ??= mkdtemp(join(tmpdir(), 'oversight-store-'));
  return sharedDir;
}

export async function releaseChdbDataDir(): Promise<void> {
  sharedUsers--;
  if (sharedUsers > 0 || !sharedDir) return;
  const dir = await sharedDir;
  sharedDir = undefined;
  await drainPending();
  await rm(dir, { recursive: true, force: true });
}

let databaseCounter = 0;
function uniqueDatabase(prefix: string): string {
  databaseCounter++;
  return `${prefix}_${process.pid}_${databaseCounter}`;
}

function embeddedBackend(): StoreBackend {
  let store: Store | undefined;
  return {
    name: 'embedded',
    async open(options = {}) {
      const dataDir = await acquireChdbDataDir();
      store = await openEmbeddedStore({
        ...FIXTURE_DEFAULTS,
        ...options,
        dataDir,
        database: uniqueDatabase('oversight_embedded'),
      });
      return store;
    },
    async cleanup() {
      if (!store) return;
      await store.command(`DROP DATABASE IF EXISTS \`${store.database}\``);
      await store.close();
      store = undefined;
      await releaseChdbDataDir();
    },
  };
}

function chdbHttpBackend(): StoreBackend {
  let store: Store | undefined;
  let server: ChdbHttpServer | undefined;
  return {
    name: 'server-over-chdb-http',
    async open(options = {}) {
      const dataDir = await acquireChdbDataDir();
      server = await startChdbHttpServer({ dataDir, username: 'oversight', password: 'secret' });
      store = openServerStore({
        ...FIXTURE_DEFAULTS,
        ...options,
        url: server.url,
        username: 'oversight',
        password: 'secret',
        database: uniqueDatabase('oversight_http'),
      });
      return store;
    },
    async cleanup() {
      if (!store || !server) return;
      await store.command(`DROP DATABASE IF EXISTS \`${store.database}\``);
      await store.close();
      await server.close();
      store = undefined;
      server = undefined;
      await releaseChdbDataDir();
    },
  };
}

function realServerBackend(url: string): StoreBackend {
  let store: Store | undefined;
  return {
    name: 'server',
    async open(options = {}) {
      const username = process.env.CLICKHOUSE_USER;
      const password = process.env.CLICKHOUSE_PASSWORD;
      store = openServerStore({
        ...FIXTURE_DEFAULTS,
        ...options,
        url,
        ...(username !== undefined ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
        database: uniqueDatabase('oversight_test'),
      });
      return store;
    },
    async cleanup() {
      if (!store) return;
      await store.command(`DROP DATABASE IF EXISTS \`${store.database}\``);
      await store.close();
      store = undefined;
    },
  };
}

/** One fresh fixture per backend; pass to `describe.each`. */
export function storeBackends(): StoreBackend[] {
  const backends = [embeddedBackend(), chdbHttpBackend()];
  const url = process.env.CLICKHOUSE_URL;
  if (url) backends.push(realServerBackend(url));
  return backends;
}

/**
 * A fresh store of `backend` with only the migrations before `version` applied, as a collector
 * of that older version left it: the start of an upgrade test, which then calls `migrate()`.
 * Returns the last migration applied. The embedded engine only: the server backend migrates on
 * a client of its own, which a partial apply cannot reach.
 */
export async function openBefore(
  backend: StoreBackend,
  version: number,
): Promise<{ store: Store; last?: number }> {
  const store = await backend.open();
  const target: MigrationTarget = {
    command: (sql) => store.command(sql),
    query: (sql) => store.query(sql),
    insert: (table, rows) => store.insert(table, rows),
  };
  const { applied } = await applyMigrations(
    target,
    { database: store.database, ...FIXTURE_DEFAULTS },
    loadMigrations().filter((m) => m.version < version),
  );
  return { store, last: applied.at(-1) };
}
