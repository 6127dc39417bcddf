/** Rows as a JSONEachRow payload. bigint becomes a decimal string, which ClickHouse reads into any integer or DateTime64 column. */
import type { Row } from './store.ts';

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function toJsonEachRow(rows: readonly Row[]): string {
  let out = '';
  for (const row of rows) out += `${JSON.stringify(row, replacer)}\n`;
  return out;
}

export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) {
    if (line.length > 0) rows.push(JSON.parse(line) as T);
  }
  return rows;
}
