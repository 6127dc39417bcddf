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

/** Payloads smaller than this come from Node's own allocator as they are. */
const KEPT_FROM = 4 * 1024 * 1024;
const KEPT_STEP = 8 * 1024 * 1024;

/**
 * Memory for large insert payloads, kept from one insert to the next. A drain
 * round's rows under load come to 30–40 MB of JSON; a fresh buffer that size
 * is fresh pages (glibc maps anything over 32 MB anew), and the first write to
 * them cost ≈ 110 ms of the event loop here, against 24 ms to write the same
 * rows into memory already touched. At most `keep` buffers wait between
 * inserts (two: the drain's and the trace stage's may overlap). A payload is
 * lent until its insert settles: chdb reads it on its own thread until then.
 */
export class PayloadMemory {
  private readonly free: ArrayBuffer[] = [];
  private readonly keep: number;

  constructor(keep = 2) {
    this.keep = keep;
  }

  /** A buffer of `bytes`, to be given back once nothing reads it. */
  take(bytes: number): Buffer {
    if (bytes < KEPT_FROM) return Buffer.allocUnsafe(bytes);
    let best: ArrayBuffer | undefined;
    for (const memory of this.free)
      if (memory.byteLength >= bytes && (!best || memory.byteLength < best.byteLength)) best = memory;
    if (best) this.free.splice(this.free.indexOf(best), 1);
    return Buffer.from(best ?? new ArrayBuffer(Math.ceil(bytes / KEPT_STEP) * KEPT_STEP), 0, bytes);
  }

  give(payload: Buffer): void {
    // A small payload's memory is Node's shared pool, not ours to keep.
    if (payload.buffer.byteLength < KEPT_FROM || !(payload.buffer instanceof ArrayBuffer)) return;
    this.free.push(payload.buffer);
    if (this.free.length > this.keep) {
      this.free.sort((x, y) => y.byteLength - x.byteLength);
      this.free.length = this.keep;
    }
  }

  /** Bytes kept between inserts. */
  get keptBytes(): number {
    return this.free.reduce((n, memory) => n + memory.byteLength, 0);
  }
}

/**
 * Rows as a JSONEachRow payload, the event loop handed back between slices:
 * a drain round's span rows take 100–300 ms to encode (20,000 llm_spans rows,
 * 31 MB). Each row's line is encoded straight into the payload; one string of
 * every row encoded at the end took 2–4× as long, in one piece, and a buffer
 * a row joined by Buffer.concat 120 ms more for 38 MB (fresh pages again).
 */
export async function toJsonEachRow(
  rows: readonly Row[],
  options: { sliceMs?: number; memory?: PayloadMemory } = {},
): Promise<Buffer> {
  const slices = new LoopSlices(options.sliceMs);
  const lines: string[] = new Array(rows.length);
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const line = `${rowJson(rows[i] as Row)}\n`;
    lines[i] = line;
    bytes += Buffer.byteLength(line);
    if (slices.due) await slices.next();
  }
  const payload = options.memory ? options.memory.take(bytes) : Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const line of lines) {
    at += payload.write(line, at);
    if (slices.due) await slices.next();
  }
  return payload;
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
