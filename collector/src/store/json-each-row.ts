/** Rows as a JSONEachRow payload. bigint becomes a decimal string, which ClickHouse reads into any integer or DateTime64 column. */
import { wellFormedDeep, wellFormedText } from '@oversight/scorers';
import type { Row } from './store.ts';

/**
 * A lone surrogate (half an emoji, cut by whatever built the string) is JSON's
 * `\ud83d`, which ClickHouse refuses (code 25) with the whole insert: every
 * row of a log entry would go to the dead-letter file for one scorer's
 * explanation. Each string is written well-formed, its half character U+FFFD.
 */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return wellFormedText(value);
  return typeof value === 'bigint' ? value.toString() : value;
}

function hasIllFormed(value: unknown): boolean {
  if (typeof value === 'string') return !value.isWellFormed();
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasIllFormed);
  for (const [key, item] of Object.entries(value)) if (!key.isWellFormed() || hasIllFormed(item)) return true;
  return false;
}

/**
 * `rows` with every string well-formed, as `toJsonEachRow` writes them, for a
 * client that serialises rows itself (@clickhouse/client): the same array when
 * every string already is, which is nearly always.
 */
export function wellFormedRows(rows: Row[]): Row[] {
  return rows.some(hasIllFormed) ? rows.map((row) => wellFormedDeep(row) as Row) : rows;
}

/** A UTC `DateTime64(3)` literal (`2026-12-05 18:42:01.000`), as every timestamp column of ours takes it. */
export function clickHouseTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export function toJsonEachRow(rows: readonly Row[]): string {
  let out = '';
  for (const row of rows) out += `${JSON.stringify(row, replacer)}\n`;
  return out;
}

export function parseJsonEachRow<T>(text: string): T[] {
  const [rows] = parseJsonEachRowBatches<T>(text, Number.POSITIVE_INFINITY);
  return rows ?? [];
}

/** The rows of `text` in batches of `size`, parsed one batch at a time (a stream's block can hold 65k rows). */
export function* parseJsonEachRowBatches<T>(text: string, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) batch.push(JSON.parse(text.slice(start, end)) as T);
    start = end + 1;
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
