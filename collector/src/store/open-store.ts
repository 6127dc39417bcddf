/**
 * Picks the backend: a ClickHouse URL means the server backend, otherwise the
 * embedded engine in a local data directory.
 */
import { openEmbeddedStore } from './chdb-store.ts';
import { openServerStore } from './clickhouse-store.ts';
import type { Store } from './store.ts';

export interface StoreConfig {
  /** ClickHouse HTTP URL. Default `CLICKHOUSE_URL`; absent → embedded. */
  url?: string;
  /** Default `CLICKHOUSE_USER`. */
  username?: string;
  /** Default `CLICKHOUSE_PASSWORD`. */
  password?: string;
  /** Default `CLICKHOUSE_DATABASE`, else `oversight`. */
  database?: string;
  /** Embedded only. Default `OVERSIGHT_DATA_DIR`, else `./.oversight/data`. */
  dataDir?: string;
  /** Server only: emit ON CLUSTER DDL with Replicated + Distributed tables. */
  cluster?: string;
  ttlDays?: number;
  rollupTtlDays?: number;
  dedupWindow?: number;
  /** Told one line per change `migrate()` makes to an existing table, such as a new TTL (default: the console). */
  log?: (line: string) => void;
  /** Apply migrations before returning (default false). */
  migrate?: boolean;
  /** Environment to read defaults from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

export async function openStore(config: StoreConfig = {}): Promise<Store> {
  const env = config.env ?? process.env;
  const url = config.url ?? (env.CLICKHOUSE_URL || undefined);
  const database = config.database ?? (env.CLICKHOUSE_DATABASE || undefined);
  const ddl = {
    ...(config.ttlDays !== undefined ? { ttlDays: config.ttlDays } : {}),
    ...(config.rollupTtlDays !== undefined ? { rollupTtlDays: config.rollupTtlDays } : {}),
    ...(config.dedupWindow !== undefined ? { dedupWindow: config.dedupWindow } : {}),
    ...(config.log !== undefined ? { log: config.log } : {}),
    ...(database !== undefined ? { database } : {}),
  };
  let store: Store;
  if (url) {
    const username = config.username ?? env.CLICKHOUSE_USER;
    const password = config.password ?? env.CLICKHOUSE_PASSWORD;
    store = openServerStore({
      url,
      ...ddl,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(config.cluster !== undefined ? { cluster: config.cluster } : {}),
    });
  } else {
    if (config.cluster !== undefined) {
      throw new Error(
        'cluster mode needs a ClickHouse server: set CLICKHOUSE_URL (the embedded engine is one node)',
      );
    }
    const dataDir = config.dataDir ?? (env.OVERSIGHT_DATA_DIR || undefined);
    store = await openEmbeddedStore({ ...ddl, ...(dataDir !== undefined ? { dataDir } : {}) });
  }
  if (config.migrate) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}
