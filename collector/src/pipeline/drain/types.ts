/** The drain's public contract: what it is given, what it reports, and the row producer it drives. */
import type { Row, Store } from '../../store/store.ts';
import type { IngestBatch } from '../batch-codec.ts';
import type { Wal, WalPosition, WalRange } from '../wal/wal.ts';
import type { DeadLetter } from './dead-letter.ts';
import type { KeyReader, RowKey } from './replay-check.ts';

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
  /** Told of each round's dead letters once they are in the file (for logs): the requests' data is not stored. */
  onDeadLettered?: (letters: readonly DeadLetter[], path: string) => void;
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
  /**
   * Given each round's rows once they are stored and the round committed
   * (a replayed round too). Must not throw or block: the trace stage queues them.
   */
  onCommitted?: (tables: ReadonlyMap<string, Row[]>) => void;
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

/** What the round, its writer and the loop share: the drain's health and counters. */
export interface DrainState {
  stopping: boolean;
  storeHealthy: boolean;
  lastError: string | null;
  consecutiveFailures: number;
  readonly counters: DrainStats;
}
