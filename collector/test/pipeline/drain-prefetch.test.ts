import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/pipeline/batch-codec.ts';
import type { PositionedBatch } from '../../src/pipeline/drain/drain.ts';
import { startDrain } from '../../src/pipeline/drain/drain.ts';
import type { WalRange } from '../../src/pipeline/wal/wal.ts';
import { Wal } from '../../src/pipeline/wal/wal.ts';
import type { InsertOptions, Row, Store } from '../../src/store/store.ts';
import { expectExactlyOnce, useDrainHarness } from './fixtures/drain-harness.ts';
import { EVENTS_TABLE, ROWS_TABLE, span, toTestRows } from './fixtures/spans.ts';

const h = useDrainHarness('drain-prefetch-test');

/** Appends `entries` requests of 5 spans each (ids `prefix-<entry>-<span>`); returns the ids per entry. */
async function appendEntries(wal: Wal, prefix: string, entries: number): Promise<string[][]> {
  const sent: string[][] = [];
  for (let e = 0; e < entries; e++) {
    const names = Array.from({ length: 5 }, (_, i) => `${prefix}-${e}-${i}`);
    sent.push(names);
    await wal.append(
      encodeBatch({ projectId: 'p1', receivedAt: 1, spans: names.map((id, i) => span(id, i)) }),
    );
  }
  return sent;
}

/** The entry a batch list starts with, from the span ids `appendEntries` gives. */
const firstEntry = (batches: PositionedBatch[]) => (batches[0]?.spans[0]?.name ?? '').replace(/-\d+$/, '');

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('drain prefetch', () => {
  it("transforms round 2 while round 1 inserts, and stages round 2 only after round 1's commit", async () => {
    const wal = await Wal.open({ dir: h.walDir });
    const sent = await appendEntries(wal, 'ov', 4);
    const log: string[] = [];
    let pendingAtTransform: Record<string, WalRange | null> = {};
    const insertStates: { entry: string; pending: WalRange | null; committed: number }[] = [];
    let round2Started!: () => void;
    const round2Transforming = new Promise<void>((resolve) => {
      round2Started = resolve;
    });
    const toRows = async (batches: PositionedBatch[]) => {
      const entry = firstEntry(batches);
      log.push(`transform ${entry} start`);
      pendingAtTransform = { ...pendingAtTransform, [entry]: wal.pending };
      if (entry === 'ov-2') round2Started();
      await tick();
      log.push(`transform ${entry} end`);
      return toTestRows(batches);
    };
    const recording: Store = {
      ...h.scoped,
      async insert(table: string, rows: Row[], options?: InsertOptions) {
        const entry = String(rows[0]?.id).replace(/-\d+$/, '');
        log.push(`insert ${entry} ${table} start`);
        insertStates.push({ entry, pending: wal.pending, committed: wal.committedPosition });
        // Round 1 holds its insert open until round 2's transform has begun (or 2 s pass without
        // it, the sequential behaviour, which the order check below then rejects).
        if (entry === 'ov-0') {
          await Promise.race([round2Transforming, new Promise((resolve) => setTimeout(resolve, 2_000))]);
        }
        await h.scoped.insert(table, rows, options);
        log.push(`insert ${entry} ${table} end`);
      },
    };
    const drain = startDrain({ wal, store: recording, toRows, maxEntriesPerInsert: 2, lingerMs: 0 });
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    await drain.stop();

    const round1End = log.lastIndexOf(`insert ov-0 ${ROWS_TABLE} end`);
    expect(round1End).toBeGreaterThan(-1);
    expect(log.indexOf('transform ov-2 start')).toBeGreaterThan(-1);
    expect(log.indexOf('transform ov-2 start')).toBeLessThan(round1End);
    // Each round transformed once: the prefetched rows were the ones inserted.
    expect(log.filter((l) => l.startsWith('transform'))).toHaveLength(4);

    // Round 2 was read and transformed while only round 1's range was staged.
    const ends = (await wal.read(0, 4, Number.MAX_SAFE_INTEGER)).map((e) => e.next);
    const round1 = { from: 0, to: ends[1] as number };
    const round2 = { from: round1.to, to: ends[3] as number };
    expect(pendingAtTransform).toEqual({ 'ov-0': round1, 'ov-2': round1 });
    // Every insert ran under its own round's staged range, round 2 only after round 1 committed.
    for (const state of insertStates) {
      expect(state).toEqual(
        state.entry === 'ov-0'
          ? { entry: 'ov-0', pending: round1, committed: 0 }
          : { entry: 'ov-2', pending: round2, committed: round1.to },
      );
    }
    expect(insertStates).toHaveLength(4);
    expectExactlyOnce(await h.countsById(), sent.flat());
    expectExactlyOnce(await h.countsById(EVENTS_TABLE), sent.flat());
    expect(wal.pending).toBeNull();
    await wal.close();
  });

  it("stores every row once when round 1's insert fails after round 2 was prefetched, keeping the prefetch", async () => {
    const wal = await Wal.open({ dir: h.walDir });
    const sent = await appendEntries(wal, 'fail', 6);
    const transforms: string[] = [];
    const toRows = async (batches: PositionedBatch[]) => {
      transforms.push(firstEntry(batches));
      await tick();
      return toTestRows(batches);
    };
    // Round 1's second table fails twice after its first table went through (a reset after the
    // write): the retries resend round 1 under the same tokens while round 2 waits, prefetched.
    let failures = 0;
    const tokens: string[] = [];
    const flaky: Store = {
      ...h.scoped,
      async insert(table: string, rows: Row[], options?: InsertOptions) {
        const entry = String(rows[0]?.id).replace(/-\d+$/, '');
        if (entry === 'fail-0' && table === ROWS_TABLE && failures < 2) {
          failures++;
          throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
        }
        await h.scoped.insert(table, rows, options);
        tokens.push(options?.deduplicationToken ?? '');
      },
    };
    const errors: string[] = [];
    const drain = startDrain({
      wal,
      store: flaky,
      toRows,
      maxEntriesPerInsert: 2,
      lingerMs: 0,
      retry: { initialMs: 1, maxMs: 5 },
      onError: (e) => errors.push(e.message),
    });
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    await drain.stop();

    expect(errors).toEqual(['connect ECONNREFUSED 127.0.0.1:8123', 'connect ECONNREFUSED 127.0.0.1:8123']);
    expect(drain.stats()).toMatchObject({ failedRounds: 2, entriesCommitted: 6, deadLettered: 0 });
    expectExactlyOnce(await h.countsById(), sent.flat());
    expectExactlyOnce(await h.countsById(EVENTS_TABLE), sent.flat());
    // Round 1 converted on each attempt; round 2's prefetch survived the failures; round 3 once.
    expect(transforms).toEqual(['fail-0', 'fail-2', 'fail-0', 'fail-0', 'fail-4']);
    // The events table of round 1 went through on every attempt under one token (ClickHouse dropped the copies).
    const ends = (await wal.read(0, 6, Number.MAX_SAFE_INTEGER)).map((e) => e.next);
    const token = (from: number, to: number, table: string) => `${wal.id}:${from}-${to}:${table}`;
    const r1 = token(0, ends[1] as number, EVENTS_TABLE);
    expect(tokens.filter((t) => t === r1)).toHaveLength(3);
    expect(new Set(tokens)).toEqual(
      new Set(
        [
          [0, ends[1]],
          [ends[1], ends[3]],
          [ends[3], ends[5]],
        ].flatMap(([from, to]) => [
          token(from as number, to as number, EVENTS_TABLE),
          token(from as number, to as number, ROWS_TABLE),
        ]),
      ),
    );
    await wal.close();
  });

  it('replays only the staged round after a crash mid-insert, never the prefetched one', async () => {
    const wal = await Wal.open({ dir: h.walDir });
    const sent = await appendEntries(wal, 'crash', 4);
    let crashed!: () => void;
    const hung = new Promise<void>((resolve) => {
      crashed = resolve;
    });
    let prefetchedBeforeCrash = false;
    const toRows = async (batches: PositionedBatch[]) => {
      if (firstEntry(batches) === 'crash-2') prefetchedBeforeCrash = true;
      await tick();
      return toTestRows(batches);
    };
    const crashing: Store = {
      ...h.scoped,
      async insert(table: string, rows: Row[], options?: InsertOptions) {
        await h.scoped.insert(table, rows, options);
        // The process "dies" after round 1's last table once round 2 is being prefetched.
        if (table === ROWS_TABLE) {
          const giveUp = Date.now() + 2_000;
          while (!prefetchedBeforeCrash && Date.now() < giveUp) await tick();
          crashed();
          await new Promise(() => {});
        }
      },
    };
    startDrain({ wal, store: crashing, toRows, maxEntriesPerInsert: 2, lingerMs: 0 }).wake();
    await hung;
    expect(prefetchedBeforeCrash).toBe(true);
    const ends = (await wal.read(0, 4, Number.MAX_SAFE_INTEGER)).map((e) => e.next);
    expect(wal.pending).toEqual({ from: 0, to: ends[1] });

    const reopened = await Wal.open({ dir: h.walDir });
    expect(reopened.pending).toEqual({ from: 0, to: ends[1] });
    expect(reopened.committedPosition).toBe(0);
    const tokens: string[] = [];
    const recording: Store = {
      ...h.scoped,
      async insert(table: string, rows: Row[], options?: InsertOptions) {
        tokens.push(options?.deduplicationToken ?? '');
        await h.scoped.insert(table, rows, options);
      },
    };
    const second = startDrain({
      wal: reopened,
      store: recording,
      toRows: toTestRows,
      maxEntriesPerInsert: 2,
      lingerMs: 0,
    });
    second.wake();
    expect(await second.waitForDrain(20_000)).toBe(true);
    await second.stop();
    // The replay used round 1's range and tokens, so its copy of the rows was dropped.
    expect(tokens.slice(0, 2)).toEqual([
      `${wal.id}:0-${ends[1]}:${EVENTS_TABLE}`,
      `${wal.id}:0-${ends[1]}:${ROWS_TABLE}`,
    ]);
    expectExactlyOnce(await h.countsById(), sent.flat());
    expectExactlyOnce(await h.countsById(EVENTS_TABLE), sent.flat());
    await reopened.close();
  });

  it('dead-letters poison found in a prefetched round and delivers the rest of it', async () => {
    const wal = await Wal.open({ dir: h.walDir });
    const good = await appendEntries(wal, 'ok', 2);
    const poisoned = await wal.append(
      encodeBatch({ projectId: 'poison', receivedAt: 1, spans: [span('bad')] }),
    );
    const garbage = await wal.append(new TextEncoder().encode('not a batch'));
    const more = await appendEntries(wal, 'late', 1);
    const toRows = async (batches: PositionedBatch[]) => {
      await tick();
      if (batches.some((b) => b.projectId === 'poison')) throw new Error('cannot normalize');
      return toTestRows(batches);
    };
    const drain = startDrain({ wal, store: h.scoped, toRows, maxEntriesPerInsert: 2, lingerMs: 0 });
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    await drain.stop();
    expectExactlyOnce(await h.countsById(), [...good.flat(), ...more.flat()]);
    expect(drain.stats()).toMatchObject({ deadLettered: 2, entriesCommitted: 5 });
    const letters = (await readFile(join(h.walDir, 'dead-letter.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { position: number; reason: string });
    expect(letters.map((l) => [l.position, l.reason.split(':')[0]])).toEqual([
      [garbage, 'decode'],
      [poisoned, 'toRows'],
    ]);
    await wal.close();
  });
});
