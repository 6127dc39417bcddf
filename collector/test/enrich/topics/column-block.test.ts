import { seededRandom } from '@oversight/scorers';
import { describe, expect, it } from 'vitest';
import { ColumnBlock, KERNEL_ROUNDING } from '../../../src/enrich/topics/column-block.ts';

/** A block of `width` columns over `slots` slots, values in [-1, 1]. */
function filled(width: number, slots: number, r: () => number): ColumnBlock {
  const block = new ColumnBlock(width, slots);
  for (const col of block.columns) for (let s = 0; s < slots; s++) col[s] = r() * 2 - 1;
  return block;
}

/** scores + Σ ws[i] × columns[which[i]] in doubles, what the kernel approximates. */
function reference(block: ColumnBlock, n: number, which: number[], ws: number[], start: Float64Array) {
  return Array.from({ length: n }, (_, s) => {
    let x = start[s] as number;
    which.forEach((c, i) => {
      x += (ws[i] as number) * ((block.columns[c] as Float32Array)[s] as number);
    });
    return x;
  });
}

describe('ColumnBlock', () => {
  it('adds any subset of columns, for any slot count, within the bound it returns', () => {
    const r = seededRandom(11);
    const block = filled(21, 203, r);
    // Column counts on both sides of a pass of eight; slot counts off the lanes of four.
    for (const [count, n] of [
      [1, 1],
      [3, 7],
      [8, 64],
      [9, 101],
      [16, 203],
      [21, 203],
      [13, 2],
    ] as const) {
      const which = Array.from({ length: count }, (_, i) => (i * 5 + count) % 21);
      const ws = which.map(() => (r() * 2 - 1) * 3);
      block.scores.fill(0);
      for (let s = 0; s < n; s++) block.scores[s] = r() - 0.5;
      const start = Float64Array.from(block.scores);
      const want = reference(block, n, which, ws, start);
      const bound = block.add(n, which, ws);
      expect(bound).toBeCloseTo(ws.reduce((a, w) => a + Math.abs(w), 0) * KERNEL_ROUNDING, 15);
      for (let s = 0; s < n; s++)
        expect(Math.abs((block.scores[s] as number) - (want[s] as number))).toBeLessThanOrEqual(bound);
      // Past the last lane of four the scores are the caller's own.
      for (let s = Math.ceil(n / 4) * 4; s < block.capacity; s++) expect(block.scores[s]).toBe(start[s]);
    }
  });

  it('reads every column in order when none are named, and counts rounding where it piles up', () => {
    const r = seededRandom(5);
    const block = new ColumnBlock(96, 64);
    // Values that cancel: float32 sums lose the most here, and the bound must still hold.
    block.columns.forEach((col, c) => {
      for (let s = 0; s < 64; s++) col[s] = (c % 2 ? -1 : 1) * (1 - r() * 2 ** -20);
    });
    const ws = Array.from({ length: 96 }, () => 0.1 + r() * 2 ** -18);
    const start = new Float64Array(block.capacity);
    const want = reference(
      block,
      64,
      ws.map((_, c) => c),
      ws,
      start,
    );
    const bound = block.add(64, undefined, ws);
    let worst = 0;
    for (let s = 0; s < 64; s++)
      worst = Math.max(worst, Math.abs((block.scores[s] as number) - (want[s] as number)));
    expect(worst).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(1e-5);
  });

  it('keeps columns and scores through a resize, in a new memory', () => {
    const r = seededRandom(3);
    const block = filled(10, 50, r);
    for (let s = 0; s < 50; s++) block.scores[s] = s;
    const before = block.columns.map((col) => Array.from(col.subarray(0, 50)));
    const old = block.columns[0] as Float32Array;
    block.resize(5_000);
    expect(block.capacity).toBe(5_000);
    expect(block.columns[0]).not.toBe(old);
    block.columns.forEach((col, c) => {
      expect(Array.from(col.subarray(0, 50))).toEqual(before[c]);
      expect(col[4_999]).toBe(0);
    });
    expect(Array.from(block.scores.subarray(0, 50))).toEqual(Array.from({ length: 50 }, (_, s) => s));
    block.add(5_000, [9], [2]);
    expect(block.scores[4_999]).toBe(0);
    expect(block.scores[49]).toBeCloseTo(49 + 2 * (before[9]?.[49] as number), 6);
  });

  it('adds columns, zeroed, keeping the others and the scores, from none at all', () => {
    const block = new ColumnBlock(0, 30);
    block.scores[29] = 7;
    const first = block.addColumn();
    expect(first).toBe(0);
    (block.columns[0] as Float32Array).fill(0.5);
    for (let c = 1; c < 20; c++) {
      expect(block.addColumn()).toBe(c);
      expect(block.width).toBe(c + 1);
      expect((block.columns[c] as Float32Array).every((v) => v === 0)).toBe(true);
      (block.columns[c] as Float32Array).fill(c / 100);
    }
    expect(block.columns).toHaveLength(20);
    expect(block.scores[29]).toBe(7);
    expect(block.columns[0]?.[29]).toBe(0.5);
    block.add(30, [0, 19], [1, 2]);
    expect(block.scores[29]).toBeCloseTo(7 + 0.5 + 2 * 0.19, 6);
  });

  it('holds scores alone when it has no columns', () => {
    const block = new ColumnBlock(0, 10);
    expect(block.capacity).toBe(12);
    expect(block.columns).toEqual([]);
    expect(block.add(10, [], [])).toBe(0);
    expect(() => block.add(10, [0], [1])).toThrow(/no columns/);
    expect(() => new ColumnBlock(-1)).toThrow(/width/);
  });
});
