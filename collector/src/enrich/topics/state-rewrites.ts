/**
 * When learnt state goes back to its table: each piece that learnt something
 * since it was last written, in rounds at most `everyMs` apart. A crash loses
 * at most one round of it, minutes of a state that barely moves in that
 * time; writing every flush would rewrite each active project's state (up to
 * a few hundred KiB) every second. And how a table of such state, one row per
 * project and embedder, is read back (`keyedRows`).
 */
import { z } from 'zod';
import type { Store } from '../../store/store.ts';
import { qualifiedTable } from '../../store/tables.ts';

export const STATE_EVERY_MS = 5 * 60_000;

export class StateRewrites<T extends object> {
  private readonly written = new WeakMap<T, number>();
  private last = Number.NEGATIVE_INFINITY;
  private readonly everyMs: number;

  constructor(everyMs = STATE_EVERY_MS) {
    this.everyMs = everyMs;
  }

  /** Whether a round is due at `at` (`atStop`: a clean stop's, whenever the last was); a due round starts now. */
  due(at: Date, atStop = false): boolean {
    if (!atStop && at.getTime() - this.last < this.everyMs) return false;
    this.last = at.getTime();
    return true;
  }

  /** Whether `item` learnt since it was written (`learnt` counts what it took in); it counts as written now. */
  take(item: T, learnt: number): boolean {
    if (this.written.get(item) === learnt) return false;
    this.written.set(item, learnt);
    return true;
  }

  /** What a restore loaded is in the table already. */
  loaded(item: T, learnt: number): void {
    this.written.set(item, learnt);
  }
}

/**
 * Every row of a state table, the newest of each key (`FINAL`), `page` rows
 * a query in the order of `keys` (the table's sorting key: project_id, then
 * embedder, or kind and key): a row can hold a busy project's whole table
 * (hundreds of KiB of JSON), so a page must not hold every project's. Each
 * row comes with its position in the read, for the error that names it.
 */
export async function* keyedRows(
  store: Pick<Store, 'query' | 'database'>,
  table: string,
  keys: readonly [string, ...string[]],
  columns: readonly string[],
  page: number,
): AsyncGenerator<{ row: Record<string, unknown>; at: number }> {
  const after = keys.map((k) => `{${k}:String}`).join(', ');
  const sql = `SELECT ${[...keys, ...columns].join(', ')}
FROM ${qualifiedTable(store.database, table)} FINAL
WHERE (${keys.join(', ')}) > (${after})
ORDER BY ${keys.join(', ')}
LIMIT {limit:UInt32}`;
  let last: Record<string, string> = Object.fromEntries(keys.map((k) => [k, '']));
  for (let at = 0; ; ) {
    const rows = await store.query<Record<string, unknown>>(sql, { params: { ...last, limit: page } });
    for (const row of rows) yield { row, at: at++ };
    const end = rows.at(-1);
    if (!end || rows.length < page) return;
    last = Object.fromEntries(keys.map((k) => [k, String(end[k])]));
  }
}

/** A stored state row read through `schema`, or the line that says what is wrong with it. */
export function parseStateRow<T>(
  schema: z.ZodType<T>,
  row: unknown,
  table: string,
  at: number,
): { data: T } | { error: string } {
  const parsed = schema.safeParse(row);
  if (parsed.success) return { data: parsed.data };
  const issue = parsed.error.issues[0];
  return { error: `${table} row ${at}: ${issue?.path.join('.')} ${issue?.message}` };
}

/** A stored count as a store gives it back: a JSON number, or text (UInt64 from the server client). */
export const storedCount = z
  .union([z.number(), z.string()])
  .transform(Number)
  .pipe(z.number().int().nonnegative());
