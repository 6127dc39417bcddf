/**
 * The drain: reads the write-ahead log in rounds and writes each round's rows
 * to ClickHouse, retrying with backoff while the store is down. The round
 * itself is round.ts, poison isolation isolation.ts, the waits backoff.ts.
 */
import { join } from 'node:path';
import { decodeBatch } from '../batch-codec.ts';
import { backoffDelay, createSleeper } from './backoff.ts';
import { DEAD_LETTER_FILE } from './dead-letter.ts';
import { createConverter } from './isolation.ts';
import { createRound } from './round.ts';
import type { Drain, DrainOptions, DrainState } from './types.ts';
import { createTableWriters } from './writer.ts';

export type { Drain, DrainHealth, DrainOptions, DrainStats, PositionedBatch, ToRows } from './types.ts';
export { deduplicationToken } from './types.ts';

export function startDrain(options: DrainOptions): Drain {
  const { wal, rowKey, reader } = options;
  if (rowKey && !reader) throw new Error('rowKey needs a reader to look up stored rows');
  const maxBytes = options.maxBytesPerInsert ?? 16 * 1024 * 1024;
  const lingerMs = options.lingerMs ?? 200;

  const state: DrainState = {
    stopping: false,
    storeHealthy: true,
    lastError: null,
    consecutiveFailures: 0,
    counters: { entriesCommitted: 0, rowsInserted: {}, inserts: 0, failedRounds: 0, deadLettered: 0 },
  };
  const sleeper = createSleeper();
  const progressWaiters = new Set<() => void>();
  const notifyProgress = () => {
    for (const waiter of progressWaiters) waiter();
  };

  const round = createRound({
    wal,
    state,
    convert: createConverter(wal.id, options.decode ?? decodeBatch, options.toRows),
    writers: createTableWriters(options.store, state, { rowKey, reader }),
    maxEntries: options.maxEntriesPerInsert ?? 500,
    maxBytes,
    deadLetterPath: options.deadLetterPath ?? join(wal.dir, DEAD_LETTER_FILE),
    fsync: options.fsync ?? true,
    onCommit: notifyProgress,
    onCommitted: options.onCommitted,
    onDeadLettered: options.onDeadLettered,
  });

  const hasBacklog = () => wal.endPosition > wal.committedPosition;

  async function loop(): Promise<void> {
    let idle = true;
    while (!state.stopping) {
      if (!hasBacklog()) {
        idle = true;
        await sleeper.sleep(null, true);
        continue;
      }
      if (idle && lingerMs > 0 && !wal.pending && wal.endPosition - wal.committedPosition < maxBytes) {
        await sleeper.sleep(lingerMs, false);
        if (state.stopping) break;
      }
      idle = false;
      try {
        await round();
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        state.consecutiveFailures++;
        state.counters.failedRounds++;
        state.lastError = error.message;
        options.onError?.(error);
        if (state.stopping) break;
        await sleeper.sleep(backoffDelay(state.consecutiveFailures, options.retry), false);
      }
    }
  }

  const running = loop();

  return {
    wake: () => sleeper.wake(),
    health() {
      const stats = wal.stats();
      return {
        storeHealthy: state.storeHealthy,
        lagEntries: stats.uncommittedEntries,
        lagBytes: stats.uncommittedBytes,
        lastError: state.lastError,
        consecutiveFailures: state.consecutiveFailures,
      };
    },
    stats() {
      return { ...state.counters, rowsInserted: { ...state.counters.rowsInserted } };
    },
    waitForDrain(timeoutMs?: number) {
      const target = wal.endPosition;
      return new Promise<boolean>((resolve) => {
        let timer: NodeJS.Timeout | null = null;
        const check = () => {
          const done = wal.committedPosition >= target;
          if (!done && !state.stopping) return;
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
      state.stopping = true;
      sleeper.stop();
      notifyProgress();
      await running;
    },
  };
}
