/** Rows as a JSONEachRow payload. bigint becomes a decimal string, which ClickHouse reads into any integer or DateTime64 column. */
import type { Row } from './store.ts';

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
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
