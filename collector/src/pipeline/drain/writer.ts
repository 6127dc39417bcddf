/** The drain's inserts: one table's rows under a deduplication token, with health and counters kept. */
import { randomBytes } from 'node:crypto';
import type { Row, Store } from '../../store/store.ts';
import { isRefusedData, type WriteTable } from './isolation.ts';
import type { KeyReader, RowKey } from './replay-check.ts';
import { rowsMissingFrom } from './replay-check.ts';
import type { DrainState } from './types.ts';

export interface TableWriters {
  insert: WriteTable;
  /** For the range a previous process staged: inserts only the rows not stored yet. */
  insertRecovered: WriteTable;
}

/**
 * ClickHouse refuses an insert whose rows fall in more than 100 partitions
 * (`max_partitions_per_insert_block`, code 252), which no retry changes: the
 * round, and every round after it, would wait forever. The span tables
 * partition by the day of their timestamp in the server's time zone, and a
 * UTC day touches at most two of its days: 50 UTC days per insert stay under
 * the limit. Raising the limit instead would let one request of spans dated
 * across decades create thousands of parts.
 */
const MAX_DAYS_PER_INSERT = 50;
const SECONDS_PER_DAY = 86_400;

/** The UTC day of a row's `seconds.fraction` timestamp, or undefined when it has none. */
function dayOf(row: Row): number | undefined {
  const stamp = row.Timestamp ?? row.timestamp;
  if (typeof stamp !== 'string') return undefined;
  const seconds = Number.parseInt(stamp, 10);
  return Number.isFinite(seconds) ? Math.floor(seconds / SECONDS_PER_DAY) : undefined;
}

/**
 * The rows in inserts of at most `MAX_DAYS_PER_INSERT` days each, oldest days
 * first and rows without a timestamp last; one insert of all of them when they fit. The split depends only on
 * the rows, so a replay of the round splits alike and reuses the same tokens.
 */
export function splitByDays(rows: Row[]): Row[][] {
  const days = new Set<number | undefined>();
  for (const row of rows) days.add(dayOf(row));
  if (days.size <= MAX_DAYS_PER_INSERT) return [rows];
  // `sort` puts undefined last without asking the comparator.
  const order = [...days].sort((a, b) => (a as number) - (b as number));
  const groupOf = new Map(order.map((day, i) => [day, Math.floor(i / MAX_DAYS_PER_INSERT)]));
  const groups: Row[][] = Array.from({ length: Math.ceil(order.length / MAX_DAYS_PER_INSERT) }, () => []);
  for (const row of rows) (groups[groupOf.get(dayOf(row)) as number] as Row[]).push(row);
  return groups;
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
