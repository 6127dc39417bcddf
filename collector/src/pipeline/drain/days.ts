/** Inserts by day: what keeps an insert under ClickHouse's partition limit, and what a refusal left stored. */
import type { Row } from '../../store/store.ts';

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
export function dayOf(row: Row): number | undefined {
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

/**
 * The days an insert stored before ClickHouse refused a later day group of
 * it: those rows are in, under the insert's tokens, and whoever isolates the
 * refused rows must not write them again under others.
 */
const storedBeforeRefusal = new WeakMap<object, Set<number | undefined>>();

export function daysStoredBefore(error: unknown): ReadonlySet<number | undefined> | undefined {
  return typeof error === 'object' && error !== null ? storedBeforeRefusal.get(error) : undefined;
}

/** Marks `error` as raised by the insert of `groups[refused]`, after the groups before it went in. */
export function markStoredBefore(error: unknown, groups: readonly Row[][], refused: number): void {
  if (refused > 0 && typeof error === 'object' && error !== null) {
    storedBeforeRefusal.set(error, new Set(groups.slice(0, refused).flatMap((g) => g.map(dayOf))));
  }
}
