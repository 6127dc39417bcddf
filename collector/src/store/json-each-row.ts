/** Rows as a JSONEachRow payload, and back. */
import { wellFormedDeep } from '@oversight/scorers';
import { LoopSlices } from '../loop-slices.ts';
import type { Row } from './store.ts';

/** JSON has no bigint: a decimal string, which ClickHouse reads into any integer or DateTime64 column. */
function bigintAsText(_key: string, value: unknown): unknown {
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

/** In JSON.stringify's output, a lone surrogate's escape: `\ud83d` after an even run of backslashes (`\\` is one). */
const LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f]/i;

const hasBigint = (row: Row): boolean => {
  for (const key in row) if (typeof row[key] === 'bigint') return true;
  return false;
};

/**
 * One row's JSON. A lone surrogate (half an emoji, cut by whatever built the
 * string) is JSON's `\ud83d`, which ClickHouse refuses (code 25) with the
 * whole insert: every row of a log entry would go to the dead-letter file for
 * one scorer's explanation. Such a row is written again with each string and
 * key well-formed (the half character as U+FFFD). Looking for the escape in
 * the output instead of fixing strings in a replacer: a replacer is called
 * back for every value, every number of a topic's centroid too, and with one
 * on every row the topic rows cost 2.3× what they do now, the embedder state
 * 4×, and no table was faster.
 */
function rowJson(row: Row): string {
  let json: string;
  try {
    json = hasBigint(row) ? JSON.stringify(row, bigintAsText) : JSON.stringify(row);
  } catch (error) {
    // A bigint deeper in the row ("Do not know how to serialize a BigInt"); anything else throws again.
    if (!(error instanceof TypeError)) throw error;
    json = JSON.stringify(row, bigintAsText);
  }
  return json.includes('\\u') && LONE_SURROGATE.test(json)
    ? JSON.stringify(wellFormedDeep(row), bigintAsText)
    : json;
}

/**
 * Rows as a JSONEachRow payload, encoded row by row and joined once, the
 * event loop handed back between slices: a drain round's span rows take
 * 100–300 ms to encode (20,000 llm_spans rows, 31 MB). One string of every
 * row, encoded at the end, took 2–4× as long (350–490 ms for those; 540
 * against 270 for 38 MB of otel_traces), in one piece.
 */
export async function toJsonEachRow(rows: readonly Row[], sliceMs?: number): Promise<Buffer> {
  const parts: Buffer[] = new Array(rows.length);
  let length = 0;
  const slices = new LoopSlices(sliceMs);
  for (let i = 0; i < rows.length; i++) {
    const part = Buffer.from(`${rowJson(rows[i] as Row)}\n`);
    parts[i] = part;
    length += part.length;
    if (slices.due) await slices.next();
  }
  return Buffer.concat(parts, length);
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
