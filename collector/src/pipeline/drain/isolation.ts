/**
 * Poison isolation: one bad log entry must cost only itself, and one bad row
 * only itself. An entry that does not decode or transform is found entry by
 * entry and dead-lettered; rows ClickHouse refuses as data are found entry by
 * entry and then by halving the entry's rows, and only those rows are lost
 * (dead-lettered with their entry); the rest of the round is kept.
 */
import { LoopSlices } from '../../loop-slices.ts';
import { clickhouseCodeOf } from '../../store/errors.ts';
import type { Row } from '../../store/store.ts';
import type { IngestBatch } from '../batch-codec.ts';
import type { WalEntry } from '../wal/wal.ts';
import { dayOf, daysStoredBefore } from './days.ts';
import type { DeadLetter, RefusedRows } from './dead-letter.ts';
import { deduplicationToken, type PositionedBatch, type ToRows } from './types.ts';

export interface Converted {
  tables: Map<string, Row[]>;
  poison: DeadLetter[];
}

export type Convert = (entries: WalEntry[]) => Promise<Converted>;
export type WriteTable = (table: string, rows: Row[], token: string) => Promise<void>;

/**
 * ClickHouse error codes that mean "these rows cannot be stored" (a value that
 * does not parse or fit its column), as opposed to "the store is unavailable".
 */
const REFUSED_DATA_CODES = new Set([6, 25, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 321, 349]);

export function isRefusedData(error: unknown): boolean {
  return REFUSED_DATA_CODES.has(clickhouseCodeOf(error) ?? -1);
}

export function deadLetterOf(walId: string, entry: WalEntry, reason: string): DeadLetter {
  return {
    walId,
    position: entry.position,
    next: entry.next,
    reason,
    payload: Buffer.from(entry.payload).toString('base64'),
  };
}

/** Log entries → rows per table, with the entries that cannot be converted set apart as poison. */
export function createConverter(walId: string, decode: (payload: Uint8Array) => IngestBatch, toRows: ToRows) {
  const letter = (entry: WalEntry, reason: string) => deadLetterOf(walId, entry, reason);
  return async function convert(entries: WalEntry[]): Promise<Converted> {
    const poison: DeadLetter[] = [];
    const good: { entry: WalEntry; batch: PositionedBatch }[] = [];
    // A round's entries decode and validate in 100–200 ms under load (v8 deserialize, then
    // zod over every span record): an exporter's request should not wait for all of them.
    const slices = new LoopSlices();
    for (const entry of entries) {
      if (slices.due) await slices.next();
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
  };
}

/**
 * Inserts per refused table of one entry before what is left of it is refused
 * whole: a table whose every row ClickHouse refuses would otherwise cost about
 * two inserts a row. One bad row among n costs about 2·log2(n).
 */
const MAX_INSERTS_PER_TABLE = 32;

type Days = ReadonlySet<number | undefined>;
const NO_DAYS: Days = new Set();

/**
 * Inserts `rows`, halving whatever ClickHouse refuses until the refused rows
 * are single (or the budget is spent), and returns the rows stored. Each part
 * goes under a token derived from its row range, so a replay of the round
 * halves alike and ClickHouse drops what it already has. Rows of `stored`
 * days went in with an insert that ClickHouse then refused a later day group
 * of (writer.ts): they are not sent again.
 */
async function insertHalving(
  table: string,
  rows: Row[],
  token: string,
  write: WriteTable,
  refused: RefusedRows[],
  budget: { left: number },
  offset = 0,
  stored: Days = NO_DAYS,
): Promise<Row[]> {
  const [, sending] = byDays(rows, stored);
  if (sending.length === 0) return [];
  let storedNow: Days;
  try {
    await write(table, sending, token);
    return sending;
  } catch (err) {
    if (!isRefusedData(err)) throw err;
    storedNow = daysStoredBefore(err) ?? NO_DAYS;
    if (sending.length === 1 || budget.left < 2) {
      const [kept, lost] = byDays(sending, storedNow);
      refused.push({
        table,
        from: offset,
        to: offset + rows.length,
        error: (err as Error).message,
        rows: lost,
      });
      return kept;
    }
  }
  // Both halves' inserts are taken from the budget before either is tried.
  budget.left -= 2;
  const skip = storedNow.size === 0 ? stored : new Set([...stored, ...storedNow]);
  const mid = Math.ceil(rows.length / 2);
  const part = (from: number, to: number) =>
    insertHalving(
      table,
      rows.slice(from, to),
      `${token}:rows${offset + from}-${offset + to}`,
      write,
      refused,
      budget,
      offset + from,
      skip,
    );
  const head = await part(0, mid);
  const tail = await part(mid, rows.length);
  return [...byDays(sending, storedNow)[0], ...head, ...tail];
}

/** `rows` split into those of `days` and the others, in order. */
function byDays(rows: Row[], days: Days): [Row[], Row[]] {
  if (days.size === 0) return [[], rows];
  const of: Row[] = [];
  const rest: Row[] = [];
  for (const row of rows) (days.has(dayOf(row)) ? of : rest).push(row);
  return [of, rest];
}

/** One line for the log and the letter: how many of which table's rows were refused, and ClickHouse's word on the first. */
function refusalReason(refused: readonly RefusedRows[], sent: ReadonlyMap<string, number>): string {
  const counts = new Map<string, number>();
  for (const r of refused) counts.set(r.table, (counts.get(r.table) ?? 0) + r.rows.length);
  const parts = [...counts].map(([table, n]) => `${n} of ${sent.get(table)} rows of ${table}`);
  return `refused by ClickHouse: ${parts.join(', ')}: ${(refused[0] as RefusedRows).error}`;
}

/**
 * Inserts a refused range entry by entry, each under its own token, and within
 * an entry whose rows ClickHouse refuses, halves to the refused rows: those
 * are dead-lettered with their entry, the entry's other rows stored. Tables
 * the whole range already reached are skipped, so nothing is written twice; a
 * replay after a crash takes the same path and the same tokens. Returns the
 * rows of the range that are stored, per table, but for the tables in
 * `inserted`.
 */
export async function isolateRefused(
  walId: string,
  entries: WalEntry[],
  inserted: Set<string>,
  /** Per table the round reached in part: the days its insert stored before the refusal. */
  partly: ReadonlyMap<string, Days>,
  poison: DeadLetter[],
  convert: Convert,
  write: WriteTable,
): Promise<Map<string, Row[]>> {
  const storedByTable = new Map<string, Row[]>();
  // Entries the round's conversion already dead-lettered are letters already.
  const lettered = new Set(poison.map((p) => p.position));
  for (const entry of entries) {
    if (lettered.has(entry.position)) continue;
    const { tables, poison: entryPoison } = await convert([entry]);
    poison.push(...entryPoison);
    const range = { from: entry.position, to: entry.next };
    const refused: RefusedRows[] = [];
    const sent = new Map<string, number>();
    for (const table of [...tables.keys()].sort()) {
      const rows = tables.get(table) as Row[];
      if (rows.length === 0 || inserted.has(table)) continue;
      const budget = { left: MAX_INSERTS_PER_TABLE - 1 };
      const days = partly.get(table) ?? NO_DAYS;
      const stored = await insertHalving(
        table,
        rows,
        deduplicationToken(walId, range, table),
        write,
        refused,
        budget,
        0,
        days,
      );
      sent.set(table, rows.length);
      // Rows of the days the round's own insert stored are in too.
      const into = storedByTable.get(table) ?? [];
      for (const row of [...byDays(rows, days)[0], ...stored]) into.push(row);
      if (into.length > 0) storedByTable.set(table, into);
    }
    if (refused.length > 0) {
      poison.push({ ...deadLetterOf(walId, entry, refusalReason(refused, sent)), refused });
    }
  }
  return storedByTable;
}
