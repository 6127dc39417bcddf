/**
 * One drain round: stage a range, insert its rows table by table, dead-letter
 * the poison, commit. The next range is read and transformed while this one
 * inserts.
 */
import type { Row } from '../../store/store.ts';
import type { Wal, WalEntry, WalPosition, WalRange } from '../wal/wal.ts';
import { daysStoredBefore } from './days.ts';
import { type DeadLetter, writeDeadLetters } from './dead-letter.ts';
import { type Convert, type Converted, isolateRefused, isRefusedData } from './isolation.ts';
import { type DrainState, deduplicationToken } from './types.ts';
import type { TableWriters } from './writer.ts';

export interface RoundOptions {
  wal: Wal;
  state: DrainState;
  convert: Convert;
  writers: TableWriters;
  maxEntries: number;
  maxBytes: number;
  deadLetterPath: string;
  fsync: boolean;
  /** Called after every commit. */
  onCommit: () => void;
  onDeadLettered?: ((letters: readonly DeadLetter[], path: string) => void) | undefined;
  /** Given each committed round's rows (the trace stage assembles traces from them). */
  onCommitted?: ((tables: ReadonlyMap<string, Row[]>) => void) | undefined;
}

/** Runs one round per call; resolves without doing anything when the log holds nothing new. */
export function createRound(options: RoundOptions): () => Promise<void> {
  const { wal, state, convert, writers, maxEntries, maxBytes } = options;
  // Staged by a previous process: its inserts may have half-happened.
  const recoveredRange = wal.pending;

  async function readRange(range: WalRange): Promise<WalEntry[]> {
    const entries: WalEntry[] = [];
    let pos = range.from;
    while (pos < range.to) {
      const got = await wal.read(pos, Number.MAX_SAFE_INTEGER, range.to - pos);
      if (got.length === 0) throw new Error(`log ends before the pending range ${range.from}-${range.to}`);
      for (const entry of got) {
        if (entry.position >= range.to) break;
        entries.push(entry);
      }
      pos = (got.at(-1) as WalEntry).next;
    }
    return entries;
  }

  /**
   * The round after the current one, read and being transformed while the
   * current one inserts. Never staged until it becomes the round: at most one
   * range is ever staged, so a crash replays exactly what was staged. It stays
   * valid while the committed position is where it starts (a failed round
   * commits nothing), since log entries never change and the transform depends
   * only on them.
   */
  let prefetched: { range: WalRange; entries: WalEntry[]; converted: Promise<Converted | null> } | null =
    null;

  /**
   * Reads the range starting at `from` and starts transforming it in the
   * background. The read is awaited here, so the drain never has two log reads
   * (or a read and a commit) in flight at once.
   */
  async function prefetch(from: WalPosition): Promise<void> {
    if (prefetched?.range.from === from) return;
    prefetched = null;
    if (state.stopping) return;
    let entries: WalEntry[];
    try {
      entries = await wal.read(from, maxEntries, maxBytes);
    } catch {
      // The next round reads it again and reports what goes wrong.
      return;
    }
    const last = entries.at(-1);
    if (!last) return;
    // A failure here only costs the head start: the round converts again.
    const converted = convert(entries).catch(() => null);
    prefetched = { range: { from, to: last.next }, entries, converted };
  }

  /** The prefetched round, transformed, if it starts at the committed position. */
  async function takePrefetched(): Promise<{
    range: WalRange;
    entries: WalEntry[];
    converted: Converted;
  } | null> {
    const taken = prefetched;
    prefetched = null;
    if (!taken || taken.range.from !== wal.committedPosition) return null;
    const converted = await taken.converted;
    return converted && { range: taken.range, entries: taken.entries, converted };
  }

  return async function round(): Promise<void> {
    let range = wal.pending;
    let entries: WalEntry[];
    let converted: Converted;
    if (range) {
      entries = await readRange(range);
      converted = await convert(entries);
    } else {
      const ready = await takePrefetched();
      if (ready) {
        ({ range, entries } = ready);
      } else {
        entries = await wal.read(wal.committedPosition, maxEntries, maxBytes);
        const last = entries.at(-1);
        if (!last) return;
        range = { from: wal.committedPosition, to: last.next };
      }
      // Persisted before inserting, so a restart replays exactly this range under the same tokens.
      await wal.stage(range);
      converted = ready ? ready.converted : await convert(entries);
    }
    await prefetch(range.to);
    const recovering = recoveredRange?.from === range.from && recoveredRange.to === range.to;
    const write = recovering ? writers.insertRecovered : writers.insert;
    const { tables, poison } = converted;
    const inserted = new Set<string>();
    // What reached the store, for the trace stage: the whole round's rows unless isolation had to step in.
    let stored: ReadonlyMap<string, Row[]> = tables;
    for (const table of [...tables.keys()].sort()) {
      const rows = tables.get(table) as Row[];
      if (rows.length === 0) continue;
      try {
        await write(table, rows, deduplicationToken(wal.id, range, table));
        inserted.add(table);
      } catch (err) {
        if (!isRefusedData(err)) throw err;
        // ClickHouse refused the rows themselves, which no retry will change:
        // find the rows it refuses and keep the rest, entry by entry.
        // Days this table's insert stored before the refusal are in: isolation must not send them again.
        const days = daysStoredBefore(err);
        const partly = new Map(days ? [[table, days]] : []);
        const isolated = await isolateRefused(wal.id, entries, inserted, partly, poison, convert, write);
        stored = new Map([...[...inserted].map((t) => [t, tables.get(t) as Row[]] as const), ...isolated]);
        break;
      }
    }
    await writeDeadLetters(options.deadLetterPath, poison, options.fsync);
    state.counters.deadLettered += poison.length;
    const before = wal.stats().committedEntries;
    await wal.commit(range.to);
    state.counters.entriesCommitted += wal.stats().committedEntries - before;
    state.consecutiveFailures = 0;
    if (poison.length > 0) options.onDeadLettered?.(poison, options.deadLetterPath);
    options.onCommitted?.(stored);
    options.onCommit();
  };
}
