/**
 * Poison isolation: one bad log entry must cost only itself. An entry that
 * does not decode or transform, or whose rows ClickHouse refuses as data, is
 * found entry by entry and dead-lettered; the rest of its round is kept.
 */
import { clickhouseCodeOf } from '../../store/errors.ts';
import type { Row } from '../../store/store.ts';
import type { IngestBatch } from '../batch-codec.ts';
import type { WalEntry } from '../wal/wal.ts';
import type { DeadLetter } from './dead-letter.ts';
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
  };
}

/**
 * Inserts a refused range entry by entry, each under its own token, and
 * dead-letters the entries ClickHouse refuses. Tables the whole range already
 * reached are skipped, so nothing is written twice; a replay after a crash
 * takes the same path and the same tokens.
 */
export async function isolateRefused(
  walId: string,
  entries: WalEntry[],
  inserted: Set<string>,
  poison: DeadLetter[],
  convert: Convert,
  write: WriteTable,
): Promise<void> {
  // Entries the round's conversion already dead-lettered are letters already.
  const lettered = new Set(poison.map((p) => p.position));
  for (const entry of entries) {
    if (lettered.has(entry.position)) continue;
    const { tables, poison: entryPoison } = await convert([entry]);
    poison.push(...entryPoison);
    const range = { from: entry.position, to: entry.next };
    try {
      for (const table of [...tables.keys()].sort()) {
        const rows = tables.get(table) as Row[];
        if (rows.length === 0 || inserted.has(table)) continue;
        await write(table, rows, deduplicationToken(walId, range, table));
      }
    } catch (err) {
      if (!isRefusedData(err)) throw err;
      poison.push(deadLetterOf(walId, entry, `refused by ClickHouse: ${(err as Error).message}`));
    }
  }
}
