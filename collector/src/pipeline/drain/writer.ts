/** The drain's inserts: one table's rows under a deduplication token, with health and counters kept. */
import { randomBytes } from 'node:crypto';
import type { Row, Store } from '../../store/store.ts';
import { markStoredBefore, splitByDays } from './days.ts';
import { isRefusedData, type WriteTable } from './isolation.ts';
import type { KeyReader, RowKey } from './replay-check.ts';
import { rowsMissingFrom } from './replay-check.ts';
import type { DrainState } from './types.ts';

export interface TableWriters {
  insert: WriteTable;
  /** For the range a previous process staged: inserts only the rows not stored yet. */
  insertRecovered: WriteTable;
}

export function createTableWriters(
  store: Pick<Store, 'insert'>,
  state: DrainState,
  replay: { rowKey?: RowKey | undefined; reader?: KeyReader | undefined },
): TableWriters {
  async function insert(table: string, rows: Row[], token: string): Promise<void> {
    const groups = splitByDays(rows);
    for (const [i, group] of groups.entries()) {
      try {
        // The first group keeps the round's token: a round within the limit inserts as it always did.
        await store.insert(table, group, { deduplicationToken: i === 0 ? token : `${token}:days${i}` });
      } catch (err) {
        // Refused data is the batch's fault, not the store's.
        if (!isRefusedData(err)) state.storeHealthy = false;
        else markStoredBefore(err, groups, i);
        throw err;
      }
      state.storeHealthy = true;
      state.counters.inserts++;
      state.counters.rowsInserted[table] = (state.counters.rowsInserted[table] ?? 0) + group.length;
    }
  }

  /**
   * Rows already stored are left out and the rest go under a token never used
   * before: the engine may hold the original token for a part it lost, and
   * would drop them. A crash before the commit repeats the check, so the token
   * need not repeat.
   */
  async function insertRecovered(table: string, rows: Row[], token: string): Promise<void> {
    const columns = replay.rowKey?.(table);
    let missing: Row[] | null = null;
    if (columns && replay.reader) {
      try {
        missing = await rowsMissingFrom(replay.reader, table, columns, rows);
      } catch (err) {
        state.storeHealthy = false;
        throw err;
      }
    }
    if (missing === null) return insert(table, rows, token);
    if (missing.length === 0) return;
    await insert(table, missing, `${token}:r${randomBytes(6).toString('hex')}`);
  }

  return { insert, insertRecovered };
}
