/**
 * What the rest of the collector needs from ClickHouse. Two backends implement
 * it: embedded chdb (default, no server) and a ClickHouse server over HTTP.
 */
export type Row = Record<string, unknown>;

export interface InsertOptions {
  /**
   * ClickHouse `insert_deduplication_token`: the same token twice writes
   * once, so replaying a write-ahead-log batch after a crash is harmless.
   * The insert also carries `deduplicate_blocks_in_dependent_materialized_views`:
   * without it ClickHouse drops the repeat in the table but still pushes it
   * through the table's materialized views, and the hourly roll-ups count it twice.
   */
  deduplicationToken?: string;
}

export interface QueryOptions {
  /** Values bound server-side to `{name:Type}` placeholders; never spliced into SQL. */
  params?: Record<string, unknown>;
  /** Run with `readonly=1`: what `oversight sql` and every user-facing query path use. */
  readonly?: boolean;
}

export interface Store {
  readonly kind: 'embedded' | 'server';
  /** Database holding the tables (default `oversight`). */
  readonly database: string;
  /** Apply pending migrations; safe to call on every start. */
  migrate(): Promise<void>;
  /** Insert rows as JSONEachRow into `table` of `database`. */
  insert(table: string, rows: Row[], options?: InsertOptions): Promise<void>;
  /**
   * Rows as objects (JSONEachRow semantics). 64-bit integers come back as JSON
   * numbers (select `toString(x)` where exactness past 2^53 matters);
   * DateTime64 as `YYYY-MM-DD hh:mm:ss.fffffffff` in UTC.
   */
  query<T = Row>(sql: string, options?: QueryOptions): Promise<T[]>;
  /**
   * Rows of a result as the engine produces them, in its batches, with the
   * same row shape as `query`: memory holds a batch, not the result, and the
   * query runs only as fast as the caller consumes (breaking out of the loop
   * cancels it). An error part-way arrives after the rows before it.
   */
  stream<T = Row>(sql: string, options?: QueryOptions): AsyncIterable<T[]>;
  /** Result in a ClickHouse output format (`PrettyCompact`, `CSVWithNames`, `JSONEachRow`, …). */
  queryText(sql: string, format: string, options?: QueryOptions): Promise<string>;
  /** A statement whose result is not needed (DDL, `ALTER … UPDATE`, `OPTIMIZE`, `INSERT … SELECT`). */
  command(sql: string, options?: QueryOptions): Promise<void>;
  /** True when the engine answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The insert settings both backends send for a deduplication token (see `InsertOptions`). */
export function dedupSettings(token: string): {
  insert_deduplication_token: string;
  deduplicate_blocks_in_dependent_materialized_views: 1;
} {
  return { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 };
}
