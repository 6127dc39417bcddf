/**
 * Turns many small writes into few large inserts, which is what ClickHouse
 * (and chdb's 6–7 ms per insert) wants: per table, rows collect until
 * `maxRows` are waiting or `maxDelayMs` has passed since the first of them,
 * whichever comes first. Each `write()` resolves once all of its rows are
 * inserted, so a caller can commit a write-ahead-log offset after it, and
 * rejects if an insert holding any of them failed.
 *
 * A write that carries a deduplication token is inserted on its own (split
 * into numbered parts if it is larger than `maxRows`), so that replaying the
 * same write after a crash produces the same blocks and ClickHouse drops them.
 */
import type { Row, Store } from './store.ts';

export interface BatchWriterOptions {
  /** Flush a table once this many rows wait (default 5000; also the largest insert). */
  maxRows?: number;
  /** Flush a table this long after its first waiting row arrived (default 200 ms). */
  maxDelayMs?: number;
}

export interface WriteOptions {
  /** Inserted as its own batch(es) with this `insert_deduplication_token`. */
  deduplicationToken?: string;
}

export interface BatchWriterStats {
  /** Rows accepted but not yet inserted (waiting or in an insert). */
  queuedRows: number;
  inserts: number;
  rowsWritten: number;
  failures: number;
  lastInsertMs: number;
  avgInsertMs: number;
}

export interface BatchWriter {
  write(table: string, rows: Row[], options?: WriteOptions): Promise<void>;
  /** Insert everything waiting now; rejects with the first failure among those inserts. */
  flush(): Promise<void>;
  /** Flush, then refuse further writes. */
  close(): Promise<void>;
  stats(): BatchWriterStats;
}

export const DEFAULT_MAX_ROWS = 5000;
export const DEFAULT_MAX_DELAY_MS = 200;

/** One write() call: settles when none of its rows is waiting or in flight. */
interface Ticket {
  rowsNotInserted: number;
  settled: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

interface Segment {
  rows: Row[];
  ticket: Ticket;
}

interface TableQueue {
  segments: Segment[];
  rows: number;
  timer: NodeJS.Timeout | undefined;
  /** Inserts of one table run one after another, so rows land in write order. */
  chain: Promise<void>;
}

function chunk(rows: Row[], size: number): Row[][] {
  const parts: Row[][] = [];
  for (let i = 0; i < rows.length; i += size) parts.push(rows.slice(i, i + size));
  return parts;
}

export function createBatchWriter(
  store: Pick<Store, 'insert'>,
  options: BatchWriterOptions = {},
): BatchWriter {
  const maxRows = Math.max(1, Math.floor(options.maxRows ?? DEFAULT_MAX_ROWS));
  const maxDelayMs = Math.max(0, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
  const queues = new Map<string, TableQueue>();
  const inFlight = new Set<Promise<void>>();
  let closed = false;
  const counters = {
    queuedRows: 0,
    inserts: 0,
    rowsWritten: 0,
    failures: 0,
    lastInsertMs: 0,
    totalInsertMs: 0,
  };

  const queueOf = (table: string): TableQueue => {
    let queue = queues.get(table);
    if (!queue) {
      queue = { segments: [], rows: 0, timer: undefined, chain: Promise.resolve() };
      queues.set(table, queue);
    }
    return queue;
  };

  const newTicket = (rowCount: number): { ticket: Ticket; done: Promise<void> } => {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { ticket: { rowsNotInserted: rowCount, settled: false, resolve, reject }, done };
  };

  /** Runs one insert after the table's previous one; settles the tickets it carries. */
  const insert = (table: string, rows: Row[], parts: Segment[], token: string | undefined): Promise<void> => {
    const queue = queueOf(table);
    const run = queue.chain.then(async () => {
      const started = performance.now();
      try {
        await store.insert(table, rows, token === undefined ? undefined : { deduplicationToken: token });
        const elapsed = performance.now() - started;
        counters.inserts++;
        counters.rowsWritten += rows.length;
        counters.lastInsertMs = elapsed;
        counters.totalInsertMs += elapsed;
        for (const part of parts) {
          part.ticket.rowsNotInserted -= part.rows.length;
          if (part.ticket.rowsNotInserted === 0 && !part.ticket.settled) {
            part.ticket.settled = true;
            part.ticket.resolve();
          }
        }
      } catch (error) {
        counters.failures++;
        for (const part of parts) {
          if (!part.ticket.settled) {
            part.ticket.settled = true;
            part.ticket.reject(error);
          }
        }
        throw error;
      } finally {
        counters.queuedRows -= rows.length;
      }
    });
    queue.chain = run.catch(() => {});
    const tracked = run.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    // The tickets carry the failure to writers; the chain must not leave an unhandled rejection.
    tracked.catch(() => {});
    return tracked;
  };

  /** Takes up to maxRows waiting rows of a table, splitting a segment if needed. */
  const take = (queue: TableQueue): Segment[] => {
    const parts: Segment[] = [];
    let room = maxRows;
    while (room > 0 && queue.segments.length > 0) {
      const segment = queue.segments[0] as Segment;
      if (segment.rows.length <= room) {
        parts.push(segment);
        queue.segments.shift();
        room -= segment.rows.length;
      } else {
        parts.push({ rows: segment.rows.slice(0, room), ticket: segment.ticket });
        segment.rows = segment.rows.slice(room);
        room = 0;
      }
    }
    for (const part of parts) queue.rows -= part.rows.length;
    return parts;
  };

  const flushTable = (table: string, onlyFull: boolean): Promise<void>[] => {
    const queue = queueOf(table);
    const started: Promise<void>[] = [];
    while (queue.rows > 0 && (!onlyFull || queue.rows >= maxRows)) {
      const parts = take(queue);
      started.push(
        insert(
          table,
          parts.flatMap((part) => part.rows),
          parts,
          undefined,
        ),
      );
    }
    if (queue.rows === 0 && queue.timer) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
    }
    return started;
  };

  const write = (table: string, rows: Row[], writeOptions: WriteOptions = {}): Promise<void> => {
    if (closed) return Promise.reject(new Error('batch writer is closed'));
    if (rows.length === 0) return Promise.resolve();
    const { ticket, done } = newTicket(rows.length);
    counters.queuedRows += rows.length;
    const token = writeOptions.deduplicationToken;
    if (token !== undefined) {
      const parts = chunk(rows, maxRows);
      parts.forEach((part, index) => {
        const partToken = parts.length === 1 ? token : `${token}:${index}`;
        void insert(table, part, [{ rows: part, ticket }], partToken);
      });
      return done;
    }
    const queue = queueOf(table);
    queue.segments.push({ rows, ticket });
    queue.rows += rows.length;
    flushTable(table, true);
    if (queue.rows > 0 && !queue.timer) {
      queue.timer = setTimeout(() => {
        queue.timer = undefined;
        flushTable(table, false);
      }, maxDelayMs);
    }
    return done;
  };

  const flush = async (): Promise<void> => {
    for (const table of queues.keys()) flushTable(table, false);
    const results = await Promise.allSettled([...inFlight]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
  };

  return {
    write,
    flush,
    async close() {
      if (closed) return;
      await flush().finally(() => {
        closed = true;
      });
    },
    stats() {
      return {
        queuedRows: counters.queuedRows,
        inserts: counters.inserts,
        rowsWritten: counters.rowsWritten,
        failures: counters.failures,
        lastInsertMs: counters.lastInsertMs,
        avgInsertMs: counters.inserts > 0 ? counters.totalInsertMs / counters.inserts : 0,
      };
    },
  };
}
