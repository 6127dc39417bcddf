/** Errors both backends raise, so callers never depend on chdb or @clickhouse/client types. */

const READONLY_CODE = 164;

export class StoreQueryError extends Error {
  /** ClickHouse error code (`Code: N.`), when the engine gave one. */
  readonly code: number | undefined;
  constructor(message: string, code: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreQueryError';
    this.code = code;
  }
}

/** A read-only query tried to write, change settings or DDL. */
export class ReadOnlyViolationError extends StoreQueryError {
  constructor(engineMessage: string, options?: ErrorOptions) {
    super(
      `read-only query refused: only reading statements (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS) may run here, ` +
        `and they may not change settings. ClickHouse said: ${engineMessage}`,
      READONLY_CODE,
      options,
    );
    this.name = 'ReadOnlyViolationError';
  }
}

/** The embedded data directory is held by another process. */
export class DataDirLockedError extends Error {
  readonly dataDir: string;
  /** PID recorded in the directory's status file, when it names a live process. */
  readonly pid: number | undefined;
  constructor(dataDir: string, pid?: number, options?: ErrorOptions) {
    super(
      `cannot open the embedded ClickHouse data directory ${dataDir}: another process ` +
        `${pid === undefined ? '' : `(PID ${pid}) `}holds its lock (${dataDir}/status). Most likely an oversight collector is already running on it; stop it, ` +
        `or run \`oversight sql\` against that collector, or set OVERSIGHT_DATA_DIR to another directory.`,
      options,
    );
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

const CODE = /Code:\s*(\d+)\./;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** ClickHouse code carried by an error from either client library, if any. */
export function clickhouseCodeOf(error: unknown): number | undefined {
  if (error && typeof error === 'object') {
    const candidate = error as { clickhouseCode?: unknown; code?: unknown };
    if (typeof candidate.clickhouseCode === 'number') return candidate.clickhouseCode;
    if (typeof candidate.code === 'string' && /^\d+$/.test(candidate.code)) return Number(candidate.code);
  }
  const match = CODE.exec(messageOf(error));
  return match ? Number(match[1]) : undefined;
}

export function toStoreError(error: unknown, context: { readonly?: boolean } = {}): StoreQueryError {
  if (error instanceof StoreQueryError) return error;
  const code = clickhouseCodeOf(error);
  const message = messageOf(error);
  if (context.readonly && code === READONLY_CODE)
    return new ReadOnlyViolationError(message, { cause: error });
  return new StoreQueryError(message, code, { cause: error });
}
