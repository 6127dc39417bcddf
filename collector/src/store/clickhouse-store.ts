/**
 * The server backend: a ClickHouse server (or cluster) over HTTP with
 * @clickhouse/client. Rows go as JSONEachRow; values in queries are bound
 * server-side from `query_params`, never spliced into SQL text.
 */
import {
  type ClickHouseClient,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
  type DataFormat,
} from '@clickhouse/client';
import { toStoreError } from './errors.ts';
import { wellFormedRows } from './json-each-row.ts';
import { applyMigrations, type MigrateOptions } from './migrations.ts';
import { dedupSettings, type InsertOptions, type QueryOptions, type Row, type Store } from './store.ts';
import { assertIdentifier, DEFAULT_DATABASE, qualifiedTable } from './tables.ts';

export interface ServerStoreOptions extends Omit<MigrateOptions, 'database'> {
  /** `http(s)://host:8123`. */
  url: string;
  username?: string;
  password?: string;
  /** Default `oversight`. */
  database?: string;
  /** Default 30 s. */
  requestTimeoutMs?: number;
}

export interface ServerStore extends Store {
  readonly kind: 'server';
  readonly url: string;
}

/** Same output shape as the embedded backend: 64-bit integers as numbers, times in UTC. */
const OUTPUT_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 0,
  session_timezone: 'UTC',
};

function bigintSafeStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function settingsFor(options: QueryOptions | undefined): ClickHouseSettings {
  // readonly last: some servers apply URL settings in order and refuse changes after it.
  return options?.readonly ? { ...OUTPUT_SETTINGS, readonly: '1' } : OUTPUT_SETTINGS;
}

function paramsFor(options: QueryOptions | undefined): Record<string, unknown> | undefined {
  return options?.params && Object.keys(options.params).length > 0 ? options.params : undefined;
}

export function openServerStore(options: ServerStoreOptions): ServerStore {
  const database = assertIdentifier(options.database ?? DEFAULT_DATABASE, 'database');
  const connection = {
    url: options.url,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    request_timeout: options.requestTimeoutMs ?? 30_000,
    compression: { request: false, response: false },
    json: { parse: JSON.parse, stringify: bigintSafeStringify },
    // Failures reach the caller as StoreQueryError; the client's own log would say it twice.
    log: { level: ClickHouseLogLevel.OFF },
  };
  // The database may not exist before migrate(), and a request naming a
  // missing database fails, so migrations run on a client without one.
  const client: ClickHouseClient = createClient({ ...connection, database });
  let closed = false;

  const guard = () => {
    if (closed) throw new Error('store is closed');
  };
  // The client appends `FORMAT <format>` and streams the bytes back as they come.
  const select = <F extends DataFormat>(sql: string, format: F, queryOptions?: QueryOptions) =>
    client.query({
      query: sql,
      format,
      query_params: paramsFor(queryOptions),
      clickhouse_settings: settingsFor(queryOptions),
    });

  const store: ServerStore = {
    kind: 'server',
    database,
    url: options.url,

    async migrate() {
      guard();
      const admin = createClient(connection);
      try {
        await applyMigrations(
          {
            async command(sql) {
              await admin.command({ query: sql });
            },
            async query<T>(sql: string) {
              const result = await admin.query({
                query: sql,
                format: 'JSONEachRow',
                clickhouse_settings: OUTPUT_SETTINGS,
              });
              return result.json<T>();
            },
            async insert(table, rows) {
              await admin.insert({
                table: qualifiedTable(database, table),
                values: rows,
                format: 'JSONEachRow',
              });
            },
          },
          { ...options, database },
        );
      } catch (error) {
        throw toStoreError(error);
      } finally {
        await admin.close();
      }
    },

    async insert(table: string, rows: Row[], insertOptions?: InsertOptions) {
      guard();
      if (rows.length === 0) return;
      const settings: ClickHouseSettings = insertOptions?.deduplicationToken
        ? dedupSettings(insertOptions.deduplicationToken)
        : {};
      try {
        await client.insert({
          table: qualifiedTable(database, table),
          values: wellFormedRows(rows),
          format: 'JSONEachRow',
          clickhouse_settings: settings,
        });
      } catch (error) {
        throw toStoreError(error);
      }
    },

    async query<T = Row>(sql: string, queryOptions?: QueryOptions): Promise<T[]> {
      guard();
      try {
        const result = await select(sql, 'JSONEachRow', queryOptions);
        return await result.json<T>();
      } catch (error) {
        throw toStoreError(error, { readonly: queryOptions?.readonly === true });
      }
    },

    async queryText(sql: string, format: string, queryOptions?: QueryOptions): Promise<string> {
      guard();
      try {
        const result = await select(sql, format as DataFormat, queryOptions);
        return await result.text();
      } catch (error) {
        throw toStoreError(error, { readonly: queryOptions?.readonly === true });
      }
    },

    async *stream<T = Row>(sql: string, queryOptions?: QueryOptions): AsyncGenerator<T[]> {
      guard();
      const readonly = queryOptions?.readonly === true;
      try {
        const result = await select(sql, 'JSONEachRow', queryOptions);
        try {
          // The socket is read only as fast as this loop runs: TCP holds the server back.
          for await (const rows of result.stream<T>()) yield rows.map((row) => row.json<T>());
        } finally {
          // A caller that stops early ends the request instead of leaving the socket half read.
          result.close();
        }
      } catch (error) {
        throw toStoreError(error, { readonly });
      }
    },

    async command(sql: string, queryOptions?: QueryOptions): Promise<void> {
      guard();
      try {
        await client.command({
          query: sql,
          query_params: paramsFor(queryOptions),
          clickhouse_settings: settingsFor(queryOptions),
        });
      } catch (error) {
        throw toStoreError(error, { readonly: queryOptions?.readonly === true });
      }
    },

    async ping() {
      if (closed) return false;
      const result = await client.ping();
      return result.success;
    },

    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
  return store;
}
