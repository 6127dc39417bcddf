/** The store's public surface (ClickHouse only: row builders live in pipeline/transform/). */
export {
  DEFAULT_DATA_DIR,
  type EmbeddedStore,
  type EmbeddedStoreOptions,
  openEmbeddedStore,
} from './chdb-store.ts';
export { openServerStore, type ServerStore, type ServerStoreOptions } from './clickhouse-store.ts';
export {
  type DdlOptions,
  DEFAULT_DEDUP_WINDOW,
  DEFAULT_ROLLUP_TTL_DAYS,
  DEFAULT_TTL_DAYS,
  loadMigrations,
  renderBootstrap,
  renderDdl,
} from './ddl-render.ts';
export { DataDirLockedError, ReadOnlyViolationError, StoreQueryError } from './errors.ts';
export { applyMigrations, type MigrationResult, renderSchema } from './migrations.ts';
export { openStore, type StoreConfig } from './open-store.ts';
export type { InsertOptions, QueryOptions, Row, Store } from './store.ts';
export * from './tables.ts';
