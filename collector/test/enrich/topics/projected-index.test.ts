import { describe, expect, it } from 'vitest';
import { HEAD, ProjectedIndex } from '../../../src/enrich/topics/projected-index.ts';
import { encoderLike } from './encoder-like.ts';

const sq = (v: Float32Array) => v.reduce((a, x) => a + x * x, 0);

/** The cosine of a unit question with a running sum (0 for an empty one), as the clusterer scores it. */
function cosineOf(q: Float32Array, sum: Float32Array): number {
  const norm2 = sq(sum);
  if (norm2 === 0) return 0;
  let dot = 0;
  for (let j = 0; j < q.length; j++) dot += (q[j] as number) * (sum[j] as number);
  return dot / Math.sqrt(norm2);
}

/** An index over `sums` (each slot written whole), fitting through them. */
function indexOver(width: number, sums: Float32Array[]): ProjectedIndex {
  const index = new ProjectedIndex(width, (slot) => sums[slot]);
  for (const [slot, sum] of sums.entries()) index.write(slot, sum, sq(sum));
  return index;
}

/** Searches (for nothing any slot can reach) until the fit a search starts or carries on is done; returns how many. */
function settle(index: ProjectedIndex, n: number): number {
  const q = new Float32Array(index.dimension);
  q[0] = 1;
  let searches = 0;
  do {
    index.candidates(q, 1.5, n, () => Number.NEGATIVE_INFINITY);
    searches++;
  } while (index.fitting);
  return searches;
}

/** `encoderLike`'s vectors at unit length, as the clusterer hands them on. */
function unitEncoderLike(seed: number, width: number, rank: number) {
  const { r, point: raw } = encoderLike(seed, width, rank);
  const point = (noise = 0.3) => {
    const v = raw(noise);
    const n = Math.sqrt(sq(v));
    return v.map((x) => x / n);
  };
  return { r, point };
}

/**
 * Asks `rounds` questions of the index and of a brute-force scan over `sums`
 * (growing or emptying a random slot before each) and expects the same best
 * and runner-up at or above `floor`, with every listed cosine within its reach.
 */
function agreesWithScan(
  index: ProjectedIndex,
  sums: Float32Array[],
  point: () => Float32Array,
  r: () => number,
  floor: number,
  rounds: number,
) {
  let listedTotal = 0;
  let found = 0;
  for (let round = 0; round < rounds; round++) {
    const slot = Math.floor(r() * sums.length);
    const sum = sums[slot] as Float32Array;
    if (r() < 0.1) {
      sum.fill(0);
      index.clear(slot);
    } else {
      const add = point();
      for (let j = 0; j < sum.length; j++) sum[j] = (sum[j] as number) + (add[j] as number);
      index.write(slot, sum, sq(sum));
    }
    const q = point();
    const cosine = (s: number) => cosineOf(q, sums[s] as Float32Array);
    const ranked = [...sums.keys()]
      .map((s) => [s, cosine(s)] as const)
      .filter(([, c]) => c >= floor)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const count = index.candidates(q, floor, sums.length, cosine);
    listedTotal += count;
    const got: (readonly [number, number])[] = [];
    // What `reach` promises: no listed slot's cosine exceeds it (one assertion a round, not one a slot).
    let over = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < count; k++) {
      const s = index.listed[k] as number;
      const c = cosine(s);
      over = Math.max(over, c - index.reach(k));
      if (c >= floor) got.push([s, c]);
    }
    expect({ round, over: over <= 0 }).toEqual({ round, over: true });
    got.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    expect({ round, top: got.slice(0, 2).map(([s]) => s) }).toEqual({
      round,
      top: ranked.slice(0, 2).map(([s]) => s),
    });
    if (ranked.length > 1) found++;
  }
  return { listedPerQuestion: listedTotal / rounds, found };
}

describe('ProjectedIndex', () => {
  it('finds the best and the runner-up of a wide space from a head of fitted directions', () => {
    const width = 256;
    const { r, point } = unitEncoderLike(5, width, 128);
    const slots = 3_000;
    const sums = Array.from({ length: slots }, () => point());
    const index = indexOver(width, sums);
    settle(index, slots);
    // Rank 128, more than the head's 96 directions: the rest carries part of every cosine.
    const { listedPerQuestion, found } = agreesWithScan(index, sums, point, r, 0.35, 150);
    expect(index.head).toBe(HEAD);
    expect(found).toBeGreaterThan(100);
    // The bound leaves almost every topic out (83 listed of 3,000): the head holds most of each cosine.
    expect(listedPerQuestion).toBeLessThan(slots / 20);
  });

  it('finds a topic that lies outside the fitted directions (a subject new since the fit)', () => {
    const width = 256;
    const { r, point } = unitEncoderLike(13, width, 32);
    const sums = Array.from({ length: 2_500 }, () => point());
    const index = indexOver(width, sums);
    const cosine = (q: Float32Array, s: number) => cosineOf(q, sums[s] as Float32Array);
    settle(index, sums.length);
    // A direction of its own, then questions close to it: their cosine with it
    // lies almost all outside the head the fit chose.
    const own = Float32Array.from({ length: width }, () => r() * 2 - 1);
    for (let round = 0; round < 5; round++) {
      sums.push(own.map((x) => x + 0.1 * (r() * 2 - 1)));
      index.write(sums.length - 1, sums.at(-1) as Float32Array, sq(sums.at(-1) as Float32Array));
    }
    for (let round = 0; round < 20; round++) {
      const q = own.map((x) => x + 0.3 * (r() * 2 - 1));
      const n = Math.sqrt(sq(q));
      for (let j = 0; j < width; j++) q[j] = (q[j] as number) / n;
      const scan = [...sums.keys()].sort((a, b) => cosine(q, b) - cosine(q, a) || a - b).slice(0, 2);
      const count = index.candidates(q, 0.3, sums.length, (s) => cosine(q, s));
      const listed = [...index.listed.subarray(0, count)].sort(
        (a, b) => cosine(q, b) - cosine(q, a) || a - b,
      );
      expect(scan.every((s) => s >= 2_500)).toBe(true);
      expect(listed.slice(0, 2)).toEqual(scan);
    }
  });

  it('stays exact while topics grow by the questions searched for, a few thousand times over', () => {
    // As the clusterer drives it: search, then add the question to a topic and
    // write that topic with the question, so the index updates it from the
    // question's head. 40 topics take every question, so their drift adds up.
    const width = 256;
    const { r, point } = unitEncoderLike(17, width, 128);
    const sums = Array.from({ length: 2_500 }, () => point());
    const index = indexOver(width, sums);
    settle(index, sums.length);
    for (let round = 0; round < 3_000; round++) {
      const q = point();
      const cosine = (s: number) => cosineOf(q, sums[s] as Float32Array);
      const count = index.candidates(q, 0.3, sums.length, cosine);
      if (round % 10 === 0) {
        const scan = [...sums.keys()]
          .map((s) => [s, cosine(s)] as const)
          .filter(([, c]) => c >= 0.3)
          .sort((a, b) => b[1] - a[1] || a[0] - b[0])
          .slice(0, 2)
          .map(([s]) => s);
        const listed = [...index.listed.subarray(0, count)]
          .map((s) => [s, cosine(s)] as const)
          .filter(([, c]) => c >= 0.3)
          .sort((a, b) => b[1] - a[1] || a[0] - b[0])
          .slice(0, 2)
          .map(([s]) => s);
        for (let k = 0; k < count; k++)
          expect(cosine(index.listed[k] as number)).toBeLessThanOrEqual(index.reach(k));
        expect({ round, listed }).toEqual({ round, listed: scan });
      }
      const slot = Math.floor(r() * 40);
      const sum = sums[slot] as Float32Array;
      for (let j = 0; j < width; j++) sum[j] = (sum[j] as number) + (q[j] as number);
      index.write(slot, sum, sq(sum), q);
    }
  });

  it('moves a topic to a freed slot by copying its cells, fitted or mid-fit', { timeout: 120_000 }, () => {
    const width = 256;
    const { r, point } = unitEncoderLike(23, width, 96);
    const sums: Float32Array[] = Array.from({ length: 2_600 }, () => point());
    let reads = 0;
    const index = new ProjectedIndex(width, (slot) => {
      reads++;
      return sums[slot];
    });
    for (const [slot, sum] of sums.entries()) index.write(slot, sum, sq(sum));
    // A swap-remove, as the clusterer's merges and evictions do: the last topic takes the freed slot.
    const moved = new Set<Float32Array>();
    const removeAt = (slot: number) => {
      const last = sums.length - 1;
      index.clear(slot);
      moved.delete(sums[slot] as Float32Array);
      if (slot !== last) {
        sums[slot] = sums[last] as Float32Array;
        moved.add(sums[slot] as Float32Array);
        index.move(last, slot, sums[slot] as Float32Array, sq(sums[slot] as Float32Array));
      }
      sums.pop();
    };
    /** Every moved topic is found by a question along its own centroid: its cells came with it. */
    const movedFound = () => {
      for (const sum of moved) {
        const slot = sums.indexOf(sum);
        const q = sum.map((x) => x / Math.sqrt(sq(sum)));
        const count = index.candidates(q, 0.35, sums.length, (s) => cosineOf(q, sums[s] as Float32Array));
        const listed = [...index.listed.subarray(0, count)];
        expect({ slot, listed: listed.includes(slot) }).toEqual({ slot, listed: true });
      }
    };
    settle(index, sums.length);
    const before = reads;
    for (let k = 0; k < 50; k++) removeAt(Math.floor(r() * sums.length));
    // Copied, not projected: no centroid was read.
    expect(reads).toBe(before);
    movedFound();
    agreesWithScan(index, sums, point, r, 0.35, 20);
    moved.clear();
    // Mid-fit (fourfold growth starts a refit): moves between slots the fit has and has not projected yet.
    for (let k = 0; k < 8_000; k++) {
      sums.push(point());
      index.write(sums.length - 1, sums.at(-1) as Float32Array, sq(sums.at(-1) as Float32Array));
    }
    const nothing = new Float32Array(width);
    nothing[0] = 1;
    const step = () => index.candidates(nothing, 1.5, sums.length, () => Number.NEGATIVE_INFINITY);
    step();
    expect(index.fitting).toBe(true);
    for (let round = 0; index.fitting; round++) {
      for (let k = 0; k < 5; k++) removeAt(Math.floor(r() * sums.length));
      // Each search carries the fit a step on; every tenth is checked against brute force.
      if (round % 10 === 0) agreesWithScan(index, sums, point, r, 0.35, 1);
      else step();
    }
    expect(moved.size).toBeGreaterThan(200);
    movedFound();
    agreesWithScan(index, sums, point, r, 0.35, 20);
  });

  it('keeps a narrow space on its own axes, with nothing left over', () => {
    const width = 48;
    const { r, point } = unitEncoderLike(7, width, 12);
    const sums = Array.from({ length: 1_500 }, () => point());
    const index = new ProjectedIndex(width, () => {
      throw new Error('a narrow space is never fitted');
    });
    for (const [slot, sum] of sums.entries()) index.write(slot, sum, sq(sum));
    expect(index.head).toBe(width);
    const { listedPerQuestion } = agreesWithScan(index, sums, point, r, 0.6, 100);
    // The partial is the whole cosine: only ties with the bar's margin are listed.
    expect(listedPerQuestion).toBeLessThan(40);
  });

  it('stays exact when the centroids span fewer directions than the head, and after growing fourfold', () => {
    // Rank 8 with no noise: the fit finds 8 directions and must make up 88 more.
    const width = 160;
    const { r, point } = unitEncoderLike(9, width, 8);
    const exact = () => point(0);
    const sums = Array.from({ length: 600 }, () => exact());
    // A fit reads centroids through rowOf; nothing else does.
    let reads = 0;
    const index = new ProjectedIndex(width, (slot) => {
      reads++;
      return sums[slot];
    });
    for (const [slot, sum] of sums.entries()) index.write(slot, sum, sq(sum));
    expect(reads).toBe(0);
    agreesWithScan(index, sums, exact, r, 0.5, 40);
    settle(index, sums.length);
    const firstFit = reads;
    expect(firstFit).toBeGreaterThan(600);
    // Four times the slots since the fit: the next search fits again, on them all.
    for (let k = 0; k < 2_000; k++) {
      const v = point();
      sums.push(v);
      index.write(sums.length - 1, v, sq(v));
    }
    expect(reads).toBe(firstFit);
    // The refit runs a step a search; until it is done the old directions serve, exactly.
    agreesWithScan(index, sums, point, r, 0.5, 40);
    expect(index.fitting).toBe(true);
    settle(index, sums.length);
    expect(reads).toBeGreaterThan(firstFit + 2_600);
    agreesWithScan(index, sums, point, r, 0.5, 40);
  });

  // ≈ 300 searches, each checked against a brute-force scan: slow on a loaded machine.
  it('spreads a fit over searches, a step each, exact all along', { timeout: 120_000 }, () => {
    const width = 384;
    const { r, point } = unitEncoderLike(21, width, 96);
    const slots = 2_400;
    const sums = Array.from({ length: slots }, () => point());
    // Slots projected a search: rowOf is read for the fit's sample at its start, then once per slot projected.
    let reads = 0;
    const index = new ProjectedIndex(width, (slot) => {
      reads++;
      return sums[slot];
    });
    for (const [slot, sum] of sums.entries()) index.write(slot, sum, sq(sum));
    const perSearch: number[] = [];
    let searches = 0;
    // Before the first fit is done a search lists every topic; exact either way.
    while (searches === 0 || index.fitting) {
      const before = reads;
      const { listedPerQuestion } = agreesWithScan(index, sums, point, r, 0.4, 1);
      if (index.fitting) expect(listedPerQuestion).toBeGreaterThan(slots * 0.85);
      perSearch.push(reads - before);
      searches++;
    }
    // 3 rounds over a sample of 1,024 at 2 × 96 × 384 multiply-adds a row, then 2,400 projections
    // at 96 × 384: ≈ 315 million, ≈ 300 steps of 2^20 (more than the scan's 2,400 × 384).
    expect(searches).toBeGreaterThan(250);
    // The sample's copy at the start, then at most a step's worth of projections (2^20 / (96 × 384) = 28).
    expect(perSearch[0]).toBeGreaterThanOrEqual(1_024);
    expect(Math.max(...perSearch.slice(1))).toBeLessThanOrEqual(29);
    const { listedPerQuestion } = agreesWithScan(index, sums, point, r, 0.4, 30);
    expect(listedPerQuestion).toBeLessThan(slots / 10);
  });
});
