import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { clickhouseCodeOf } from '../../store/errors.ts';
import type { Row, Store } from '../../store/store.ts';
import type { IngestBatch } from '../batch-codec.ts';
import { decodeBatch } from '../batch-codec.ts';
import type { DeadLetter } from './dead-letter.ts';
import { writeDeadLetters } from './dead-letter.ts';
import type { KeyReader, RowKey } from './replay-check.ts';
import { rowsMissingFrom } from './replay-check.ts';
import type { Wal, WalEntry, WalPosition, WalRange } from '../wal/wal.ts';

/** A decoded log entry, with where it sits in the log (stable across restarts: usable for row ids). */
export interface PositionedBatch extends IngestBatch {
  position: WalPosition;
}

/** Turns batches into rows per table. A throw marks the input as poison (dead-lettered), not as an outage. */
export type ToRows = (batches: PositionedBatch[]) => Promise<Map<string, Row[]>> | Map<string, Row[]>;

export interface DrainOptions {
  wal: Wal;
  store: Pick<Store, 'insert'>;
  toRows: ToRows;
  /** Log entries (accepted requests) per insert round (default 500). */
  maxEntriesPerInsert?: number;
  /** Log bytes per insert round (default 16 MiB; chdb wants ≤ ~12 MB of rows per insert). */
  maxBytesPerInsert?: number;
  /**
   * After waking from idle with less than a full round waiting, wait this long
   * so that concurrent requests share one insert (default 200 ms).
   */
  lingerMs?: number;
  /** Backoff after a failed round: exponential from `initialMs`, capped at `maxMs`, with jitter. */
  retry?: { initialMs?: number; maxMs?: number };
  /** Default: `dead-letter.jsonl` in the log directory. */
  deadLetterPath?: string;
  /** fsync the dead-letter file (default true). */
  fsync?: boolean;
  decode?: (payload: Uint8Array) => IngestBatch;
  /** Told about every failed round (for logs); the drain retries on its own. */
  onError?: (error: Error) => void;
  /**
   * Columns that identify a table's rows. With `reader`, replaying a range a
   * previous process staged first looks up which of its rows are stored: a
   * token ClickHouse logged for a part it then lost would otherwise drop the
   * replay. Tables without a key trust their tokens.
   */
  rowKey?: RowKey;
  /** Where the rows go, read by that check; tables are the names the drain inserts into. */
  reader?: KeyReader;
}

export interface DrainHealth {
  /** False from a failed insert until the next successful one. */
  storeHealthy: boolean;
  lagEntries: number;
  lagBytes: number;
  lastError: string | null;
  consecutiveFailures: number;
}

export interface DrainStats {
  entriesCommitted: number;
  rowsInserted: Record<string, number>;
  inserts: number;
  failedRounds: number;
  deadLettered: number;
}

export interface Drain {
  /** New entries were appended: start a round if idle. */
  wake(): void;
  health(): DrainHealth;
  stats(): DrainStats;
  /**
   * Resolves true once everything appended before the call is committed,
   * false if `timeoutMs` passes first or the drain stops.
   */
  waitForDrain(timeoutMs?: number): Promise<boolean>;
  /**
   * Finishes the round in progress (or abandons a backoff wait) and ends the
   * loop. A transform already started for the next round is not waited for:
   * its result is dropped, and a restart reads that range again.
   */
  stop(): Promise<void>;
}

/** Deterministic per (log, range, table): a replayed round sends the same token and ClickHouse drops the copy. */
export function deduplicationToken(walId: string, range: WalRange, table: string): string {
  return `${walId}:${range.from}-${range.to}:${table}`;
}

interface Converted {
  tables: Map<string, Row[]>;
  poison: DeadLetter[];
}

interface Sleeper {
  wakeable: boolean;
  finish: () => void;
}

/**
 * ClickHouse error codes that mean "these rows cannot be stored" (a value that
 * does not parse or fit its column), as opposed to "the store is unavailable".
 */
const REFUSED_DATA_CODES = new Set([6, 25, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 321, 349]);

function isRefusedData(error: unknown): boolean {
  return REFUSED_DATA_CODES.has(clickhouseCodeOf(error) ?? -1);
}

export function startDrain(options: DrainOptions): Drain {
  const { wal, store, toRows, rowKey, reader } = options;
  if (rowKey && !reader) throw new Error('rowKey needs a reader to look up stored rows');
  // Staged by a previous process: its inserts may have half-happened.
  const recoveredRange = wal.pending;
  const maxEntries = options.maxEntriesPerInsert ?? 500;
  const maxBytes = options.maxBytesPerInsert ?? 16 * 1024 * 1024;
  const lingerMs = options.lingerMs ?? 200;
  const initialBackoff = options.retry?.initialMs ?? 200;
  // Capped low: OTel exporters retry a refused batch only within their own
  // timeout (10 s by default), so the log must start draining soon after
  // ClickHouse is back.
  const maxBackoff = options.retry?.maxMs ?? 5_000;
  const deadLetterPath = options.deadLetterPath ?? join(wal.dir, 'dead-letter.jsonl');
  const fsync = options.fsync ?? true;
  const decode = options.decode ?? decodeBatch;

  let stopping = false;
  let storeHealthy = true;
  let lastError: string | null = null;
  let consecutiveFailures = 0;
  const counters: DrainStats = {
    entriesCommitted: 0,
    rowsInserted: {},
    inserts: 0,
    failedRounds: 0,
    deadLettered: 0,
  };
  let sleeper: Sleeper | null = null;
  let wakePending = false;
  const progressWaiters = new Set<() => void>();

  /** Resolves after `ms` (never, when null), on stop, and on wake when `wakeable`. */
  const sleep = (ms: number | null, wakeable: boolean): Promise<void> =>
    new Promise((resolve) => {
      if (stopping) return resolve();
      if (wakeable && wakePending) {
        wakePending = false;
        return resolve();
      }
      let timer: NodeJS.Timeout | null = null;
      const finish = () => {
        if (timer) clearTimeout(timer);
        sleeper = null;
        resolve();
      };
      if (ms !== null) timer = setTimeout(finish, ms);
      sleeper = { wakeable, finish };
    });

  const notifyProgress = () => {
    for (const waiter of progressWaiters) waiter();
  };

  const hasBacklog = () => wal.endPosition > wal.committedPosition;

  async function readRange(range: WalRange): Promise<WalEntry[]> {
    const entries: WalEntry[] = [];
    let pos = range.from;
    while (pos < range.to) {
      const got = await wal.read(pos, Number.MAX_SAFE_INTEGER, range.to - pos);
      if (got.length === 0) throw new Error(`log ends before the pending range ${range.from}-${range.to}`);
      for (const entry of got) {
        if (entry.position >= range.to) break;
        entries.push(entry);
      }
      pos = (got.at(-1) as WalEntry).next;
    }
    return entries;
  }

  const deadLetter = (entry: WalEntry, reason: string): DeadLetter => ({
    walId: wal.id,
    position: entry.position,
    next: entry.next,
    reason,
    payload: Buffer.from(entry.payload).toString('base64'),
  });

  async function convert(entries: WalEntry[]): Promise<Converted> {
    const poison: DeadLetter[] = [];
    const letter = deadLetter;
    const good: { entry: WalEntry; batch: PositionedBatch }[] = [];
    for (const entry of entries) {
      if (entry.corrupt) {
        poison.push(letter(entry, `corrupt log record: ${entry.corrupt}`));
        continue;
      }
      try {
        good.push({ entry, batch: { ...decode(entry.payload), position: entry.position } });
      } catch (err) {
        poison.push(letter(entry, `decode: ${(err as Error).message}`));
      }
    }
    if (good.length === 0) return { tables: new Map(), poison };
    try {
      return { tables: await toRows(good.map((g) => g.batch)), poison };
    } catch (err) {
      if (good.length === 1) {
        poison.push(letter((good[0] as (typeof good)[number]).entry, `toRows: ${(err as Error).message}`));
        return { tables: new Map(), poison };
      }
    }
    // One entry spoils the round: convert one by one to find it and keep the rest.
    const tables = new Map<string, Row[]>();
    for (const { entry, batch } of good) {
      try {
        for (const [table, rows] of await toRows([batch])) {
          const into = tables.get(table);
          if (into) for (const row of rows) into.push(row);
          else tables.set(table, [...rows]);
        }
      } catch (err) {
        poison.push(letter(entry, `toRows: ${(err as Error).message}`));
      }
    }
    return { tables, poison };
  }

  async function insert(table: string, rows: Row[], token: string): Promise<void> {
    try {
      await store.insert(table, rows, { deduplicationToken: token });
    } catch (err) {
      // Refused data is the batch's fault, not the store's.
      if (!isRefusedData(err)) storeHealthy = false;
      throw err;
    }
    storeHealthy = true;
    counters.inserts++;
    counters.rowsInserted[table] = (counters.rowsInserted[table] ?? 0) + rows.length;
  }

  /**
   * Inserts rows of the range a previous process staged. Rows already stored
   * are left out and the rest go under a token never used before: the engine
   * may hold the original token for a part it lost, and would drop them. A
   * crash before the commit repeats the check, so the token need not repeat.
   */
  async function insertRecovered(table: string, rows: Row[], token: string): Promise<void> {
    const columns = rowKey?.(table);
    let missing: Row[] | null = null;
    if (columns && reader) {
      try {
        missing = await rowsMissingFrom(reader, table, columns, rows);
      } catch (err) {
        storeHealthy = false;
        throw err;
      }
    }
    if (missing === null) return insert(table, rows, token);
    if (missing.length === 0) return;
    await insert(table, missing, `${token}:r${randomBytes(6).toString('hex')}`);
  }

  /**
   * Inserts a refused range entry by entry, each under its own token, and
   * dead-letters the entries ClickHouse refuses. Tables the whole range already
   * reached are skipped, so nothing is written twice; a replay after a crash
   * takes the same path and the same tokens.
   */
  async function isolateRefused(
    entries: WalEntry[],
    inserted: Set<string>,
    poison: DeadLetter[],
    write: typeof insert,
  ) {
    for (const entry of entries) {
      const { tables, poison: entryPoison } = await convert([entry]);
      poison.push(...entryPoison);
      const range = { from: entry.position, to: entry.next };
      try {
        for (const table of [...tables.keys()].sort()) {
          const rows = tables.get(table) as Row[];
          if (rows.length === 0 || inserted.has(table)) continue;
          await write(table, rows, deduplicationToken(wal.id, range, table));
        }
      } catch (err) {
        if (!isRefusedData(err)) throw err;
        poison.push(deadLetter(entry, `refused by ClickHouse: ${(err as Error).message}`));
      }
    }
  }

  /**
   * The round after the current one, read and being transformed while the
   * current one inserts. Never staged until it becomes the round: at most one
   * range is ever staged, so a crash replays exactly what was staged. It stays
   * valid while the committed position is where it starts (a failed round
   * commits nothing), since log entries never change and the transform depends
   * only on them.
   */
  let prefetched: { range: WalRange; entries: WalEntry[]; converted: Promise<Converted | null> } | null =
    null;

  /**
   * Reads the range starting at `from` and starts transforming it in the
   * background. The read is awaited here, so the drain never has two log reads
   * (or a read and a commit) in flight at once.
   */
  async function prefetch(from: WalPosition): Promise<void> {
    if (prefetched?.range.from === from) return;
    prefetched = null;
    if (stopping) return;
    let entries: WalEntry[];
    try {
      entries = await wal.read(from, maxEntries, maxBytes);
    } catch {
      // The next round reads it again and reports what goes wrong.
      return;
    }
    const last = entries.at(-1);
    if (!last) return;
    // A failure here only costs the head start: the round converts again.
    const converted = convert(entries).catch(() => null);
    prefetched = { range: { from, to: last.next }, entries, converted };
  }

  /** The prefetched round, transformed, if it starts at the committed position. */
  async function takePrefetched(): Promise<{
    range: WalRange;
    entries: WalEntry[];
    converted: Converted;
  } | null> {
    const taken = prefetched;
    prefetched = null;
    if (!taken || taken.range.from !== wal.committedPosition) return null;
    const converted = await taken.converted;
    return converted && { range: taken.range, entries: taken.entries, converted };
  }

  /**
   * One round: stage a range, insert its rows table by table, dead-letter the
   * poison, commit. The next range is transformed while this one inserts.
   */
  async function round(): Promise<void> {
    let range = wal.pending;
    let entries: WalEntry[];
    let converted: Converted;
    if (range) {
      entries = await readRange(range);
      converted = await convert(entries);
    } else {
      const ready = await takePrefetched();
      if (ready) {
        ({ range, entries } = ready);
      } else {
        entries = await wal.read(wal.committedPosition, maxEntries, maxBytes);
        const last = entries.at(-1);
        if (!last) return;
        range = { from: wal.committedPosition, to: last.next };
      }
      // Persisted before inserting, so a restart replays exactly this range under the same tokens.
      await wal.stage(range);
      converted = ready ? ready.converted : await convert(entries);
    }
    await prefetch(range.to);
    const recovering = recoveredRange?.from === range.from && recoveredRange.to === range.to;
    const write = recovering ? insertRecovered : insert;
    const { tables, poison } = converted;
    const inserted = new Set<string>();
    for (const table of [...tables.keys()].sort()) {
      const rows = tables.get(table) as Row[];
      if (rows.length === 0) continue;
      try {
        await write(table, rows, deduplicationToken(wal.id, range, table));
        inserted.add(table);
      } catch (err) {
        if (!isRefusedData(err)) throw err;
        // ClickHouse refused the rows themselves, which no retry will change:
        // find the entries it refuses and keep the rest, entry by entry.
        await isolateRefused(entries, inserted, poison, write);
        break;
      }
    }
    await writeDeadLetters(deadLetterPath, poison, fsync);
    counters.deadLettered += poison.length;
    const before = wal.stats().committedEntries;
    await wal.commit(range.to);
    counters.entriesCommitted += wal.stats().committedEntries - before;
    consecutiveFailures = 0;
    notifyProgress();
  }

  async function loop(): Promise<void> {
    let idle = true;
    while (!stopping) {
      if (!hasBacklog()) {
        idle = true;
        await sleep(null, true);
        continue;
      }
      if (idle && lingerMs > 0 && !wal.pending && wal.endPosition - wal.committedPosition < maxBytes) {
        await sleep(lingerMs, false);
        if (stopping) break;
      }
      idle = false;
      try {
        await round();
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        consecutiveFailures++;
        counters.failedRounds++;
        lastError = error.message;
        options.onError?.(error);
        if (stopping) break;
        const ceiling = Math.min(maxBackoff, initialBackoff * 2 ** Math.min(consecutiveFailures - 1, 30));
        await sleep(ceiling / 2 + Math.random() * (ceiling / 2), false);
      }
    }
  }

  const running = loop();

  return {
    wake() {
      if (sleeper?.wakeable) sleeper.finish();
      else wakePending = true;
    },
    health() {
      const stats = wal.stats();
      return {
        storeHealthy,
        lagEntries: stats.uncommittedEntries,
        lagBytes: stats.uncommittedBytes,
        lastError,
        consecutiveFailures,
      };
    },
    stats() {
      return { ...counters, rowsInserted: { ...counters.rowsInserted } };
    },
    waitForDrain(timeoutMs?: number) {
      const target = wal.endPosition;
      return new Promise<boolean>((resolve) => {
        let timer: NodeJS.Timeout | null = null;
        const check = () => {
          const done = wal.committedPosition >= target;
          if (!done && !stopping) return;
          progressWaiters.delete(check);
          if (timer) clearTimeout(timer);
          resolve(done);
        };
        progressWaiters.add(check);
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            progressWaiters.delete(check);
            resolve(wal.committedPosition >= target);
          }, timeoutMs);
        }
        check();
      });
    },
    async stop() {
      stopping = true;
      sleeper?.finish();
      notifyProgress();
      await running;
    },
  };
}
