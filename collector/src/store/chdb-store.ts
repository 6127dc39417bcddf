/**
 * The embedded backend: ClickHouse in-process through chdb, persisted in a data
 * directory. Only async chdb calls are used, so inserts and queries run off the
 * event loop.
 *
 * Read-only queries run on a second connection to the same directory opened
 * with `readonly=1` as a connection argument: the engine itself refuses writes,
 * DDL and setting changes there, whatever SQL text it receives.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { drainPending, Session } from 'chdb';
import { DataDirLockedError, toStoreError } from './errors.ts';
import { PayloadMemory, parseJsonEachRow, parseJsonEachRowBatches, toJsonEachRow } from './json-each-row.ts';
import { applyMigrations, type MigrateOptions } from './migrations.ts';
import { dedupSettings, type InsertOptions, type QueryOptions, type Row, type Store } from './store.ts';
import { assertIdentifier, DEFAULT_DATABASE } from './tables.ts';

export const DEFAULT_DATA_DIR = './.oversight/data';

export interface EmbeddedStoreOptions extends Omit<MigrateOptions, 'database' | 'cluster'> {
  /** Default: `OVERSIGHT_DATA_DIR`, else `./.oversight/data`. */
  dataDir?: string;
  /** Default `oversight`. */
  database?: string;
}

export interface EmbeddedStore extends Store {
  readonly kind: 'embedded';
  readonly dataDir: string;
}

/** Same output shape as the server backend: 64-bit integers as numbers, times in UTC. */
const OUTPUT_ARGS = ['--output_format_json_quote_64bit_integers=0', '--session_timezone=UTC'];

function errorChainText(error: unknown): string {
  const parts: string[] = [];
  for (
    let current: unknown = error;
    current && parts.length < 5;
    current = (current as { cause?: unknown }).cause
  ) {
    parts.push(current instanceof Error ? current.message : String(current));
  }
  return parts.join(' | ');
}

/**
 * The engine writes its PID into `<dir>/status` and holds a lock on it while
 * open; chdb does not always pass the lock error on, so a live foreign PID
 * there is the tell.
 */
function lockHolder(dataDir: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(resolve(dataDir, 'status'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(status)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

function openSession(dataDir: string, extraArgs: string[]): Session {
  try {
    return new Session(dataDir, { connectionArgs: [...OUTPUT_ARGS, ...extraArgs] });
  } catch (error) {
    const holder = lockHolder(dataDir);
    if (holder !== undefined || errorChainText(error).includes('Cannot lock file')) {
      throw new DataDirLockedError(dataDir, holder, { cause: error });
    }
    throw error;
  }
}

/**
 * Rows parsed per batch a stream yields. The engine hands over blocks of up to
 * 65 409 rows (tens of MB of text); parsing a block at once would hold all of
 * its objects, so the text is parsed and handed on a slice at a time.
 */
const STREAM_BATCH_ROWS = 2_000;

function hasParams(
  options: QueryOptions | undefined,
): options is QueryOptions & { params: Record<string, unknown> } {
  return options?.params !== undefined && Object.keys(options.params).length > 0;
}

export async function openEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
  const dataDir = resolve(options.dataDir ?? process.env.OVERSIGHT_DATA_DIR ?? DEFAULT_DATA_DIR);
  const database = assertIdentifier(options.database ?? DEFAULT_DATABASE, 'database');
  mkdirSync(dataDir, { recursive: true });

  const session = openSession(dataDir, []);
  let readonlySession: Session | undefined;
  /** Connections of streams still being read, closed with the store. */
  const streamSessions = new Set<Session>();
  let closed = false;
  const payloadMemory = new PayloadMemory();

  // Unqualified table names in user SQL resolve to the oversight database.
  await session.queryAsync(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  await session.queryAsync(`USE \`${database}\``);

  const readonlyConnection = async (): Promise<Session> => {
    if (!readonlySession) {
      const opened = openSession(dataDir, ['--readonly=1']);
      await opened.queryAsync(`USE \`${database}\``);
      readonlySession = opened;
    }
    return readonlySession;
  };

  const run = async (sql: string, format: string, options?: QueryOptions): Promise<string> => {
    if (closed) throw new Error('store is closed');
    const connection = options?.readonly ? await readonlyConnection() : session;
    try {
      const result = hasParams(options)
        ? await connection.queryBindAsync(sql, options.params, { format })
        : await connection.queryAsync(sql, { format });
      return result.text();
    } catch (error) {
      throw toStoreError(error, { readonly: options?.readonly === true });
    }
  };

  const store: EmbeddedStore = {
    kind: 'embedded',
    database,
    dataDir,

    async migrate() {
      await applyMigrations(
        {
          command: (sql) => store.command(sql),
          query: (sql) => store.query(sql),
          insert: (table, rows) => store.insert(table, rows),
        },
        { ...options, database },
      );
    },

    async insert(table: string, rows: Row[], insertOptions?: InsertOptions) {
      if (rows.length === 0) return;
      if (closed) throw new Error('store is closed');
      const settings = insertOptions?.deduplicationToken
        ? dedupSettings(insertOptions.deduplicationToken)
        : {};
      const payload = await toJsonEachRow(rows, { memory: payloadMemory });
      // Encoding hands the event loop back: the store may have closed meanwhile.
      if (closed) {
        payloadMemory.give(payload);
        throw new Error('store is closed');
      }
      try {
        // No signal or timeout: chdb would settle early and read the payload after it is given back.
        await session.insert({
          table: `${database}.${assertIdentifier(table, 'table')}`,
          values: payload,
          format: 'JSONEachRow',
          settings,
        });
      } catch (error) {
        throw toStoreError(error);
      } finally {
        payloadMemory.give(payload);
      }
    },

    async query<T = Row>(sql: string, queryOptions?: QueryOptions): Promise<T[]> {
      return parseJsonEachRow<T>(await run(sql, 'JSONEachRow', queryOptions));
    },

    async queryText(sql: string, format: string, queryOptions?: QueryOptions): Promise<string> {
      return run(sql, format, queryOptions);
    },

    async *stream<T = Row>(sql: string, queryOptions?: QueryOptions): AsyncGenerator<T[]> {
      if (closed) throw new Error('store is closed');
      const readonly = queryOptions?.readonly === true;
      // Any query on a session cancels that session's open stream, so each stream
      // gets a connection of its own (cheap: the engine is shared per directory).
      const connection = openSession(dataDir, readonly ? ['--readonly=1'] : []);
      streamSessions.add(connection);
      try {
        await connection.queryAsync(`USE \`${database}\``);
        const chunks = hasParams(queryOptions)
          ? connection.queryStreamBind(sql, queryOptions.params, { format: 'JSONEachRow' })
          : connection.queryStream(sql, { format: 'JSONEachRow' });
        for await (const chunk of chunks) yield* parseJsonEachRowBatches<T>(chunk.text(), STREAM_BATCH_ROWS);
      } catch (error) {
        throw toStoreError(error, { readonly });
      } finally {
        streamSessions.delete(connection);
        connection.close();
      }
    },

    async command(sql: string, queryOptions?: QueryOptions): Promise<void> {
      await run(sql, 'TabSeparated', queryOptions);
    },

    async ping() {
      if (closed) return false;
      try {
        await session.queryAsync('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const connection of streamSessions) connection.close();
      readonlySession?.close();
      session.close();
      // A later session on another directory must wait until this one is really gone.
      await drainPending();
    },
  };
  return store;
}
