/**
 * What the two topic indexes (centroid-index.ts for sparse spaces,
 * projected-index.ts for dense ones) share: the per-slot state of a search
 * (`SlotIndex`, its columns and partial scores in a `ColumnBlock`), raising
 * the bar by probing the best partials exactly, and listing the slots that
 * can still reach it, best first.
 */
import { ColumnBlock } from './column-block.ts';

const MIN_CAPACITY = 1024;

/** The same columns, `capacity` slots long, the old cells kept. */
export function widened(columns: readonly Float32Array[], capacity: number): Float32Array[] {
  return columns.map((old) => {
    const col = new Float32Array(capacity);
    col.set(old);
    return col;
  });
}

/**
 * The per-slot state both indexes keep for a search: each slot's squared
 * norm (0: empty) and how many are live, the block of per-slot columns a
 * search reads and the partial scores it adds them into, the slots it listed
 * and how far a listed slot's cosine may exceed its score. A subclass adds
 * its own per-slot arrays (`widen`), writes a slot's sum (`place`) and
 * empties a slot (`empty`).
 */
export abstract class SlotIndex {
  protected capacity = 0;
  protected sqNorms: Float64Array = new Float64Array(0);
  /** Slots with a positive norm. */
  protected live = 0;
  /** The columns every search reads (`width` of them, maybe none), and the partial scores. */
  protected block: ColumnBlock;
  /** What a listed slot's cosine may exceed its score by, after the last search. */
  protected slack = 0;
  readonly listed: Int32Array = new Int32Array(0);

  constructor(width: number) {
    this.block = new ColumnBlock(width);
  }

  /** The partial scores of the last search (the block's: a resize moves them). */
  protected get scores(): Float64Array {
    return this.block.scores;
  }

  /** The subclass's own per-slot arrays, `capacity` slots long, the old cells kept. */
  protected abstract widen(capacity: number): void;
  /**
   * Writes a slot's sum, its squared norm positive; `before` is the slot's
   * squared norm until now (0: it was empty), `added`: see `write`.
   */
  protected abstract place(
    slot: number,
    sum: Float32Array,
    sqNorm: number,
    before: number,
    added?: Float32Array,
  ): void;
  /** Empties the subclass's cells of a slot. */
  protected abstract empty(slot: number): void;

  /** Cells for slots up to `needed`, growing by a quarter so appends stay amortised O(1). */
  protected grow(needed: number): void {
    if (needed <= this.capacity) return;
    const capacity = Math.max(MIN_CAPACITY, Math.ceil(needed * 1.25));
    this.block.resize(capacity);
    this.widen(capacity);
    const sq = new Float64Array(capacity);
    sq.set(this.sqNorms);
    this.sqNorms = sq;
    (this as { listed: Int32Array }).listed = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /**
   * Writes a slot's running sum (an empty one, sqNorm 0, clears it).
   * `added`, when given, is the vector the sum just grew by: an index may
   * update the slot from it instead of reading the whole sum.
   */
  write(slot: number, sum: Float32Array, sqNorm: number, added?: Float32Array): void {
    this.grow(slot + 1);
    if (!(sqNorm > 0)) {
      this.clear(slot);
      return;
    }
    const before = this.sqNorms[slot] as number;
    if (!(before > 0)) this.live++;
    this.place(slot, sum, sqNorm, before, added);
    this.sqNorms[slot] = sqNorm;
  }

  /**
   * Moves a topic from slot `from` to the empty slot `to` (a swap-remove puts
   * the last topic in the freed slot); `sum` and `sqNorm` are the topic's.
   * Here it is written afresh; an index that can copy its cells does.
   */
  move(from: number, to: number, sum: Float32Array, sqNorm: number): void {
    this.clear(from);
    this.write(to, sum, sqNorm);
  }

  /** Empties a slot (its topic left, or moved to another slot). */
  clear(slot: number): void {
    if (slot >= this.capacity) return;
    if ((this.sqNorms[slot] as number) > 0) this.live--;
    this.sqNorms[slot] = 0;
    this.empty(slot);
  }

  /**
   * The most the `k`-th listed slot's cosine can be (after a search). Falls
   * with `k`, so a caller that needs a cosine above some value can stop at
   * the first `k` below it.
   */
  reach(k: number): number {
    return (this.scores[this.listed[k] as number] as number) + this.slack;
  }
}

/** Slots probed (exactly scored) to raise the bar. */
const PROBE = 4;
/** How many times PROBE slots a probe looks at, in partial order, to find PROBE the caller would pick. */
const PROBE_SPAN = 4;

/** The `k` slots of best score among the first `n`, best first (ties by slot). */
function bestSlots(scores: Float64Array, n: number, k: number): number[] {
  const top: number[] = [];
  let low = -Infinity;
  for (let slot = 0; slot < n; slot++) {
    const p = scores[slot] as number;
    if (p <= low) continue;
    // A short sorted list, best first; most slots fail the test above.
    let i = top.length < k ? top.length : k - 1;
    while (i > 0 && (scores[top[i - 1] as number] as number) < p) i--;
    top.splice(i, 0, slot);
    if (top.length > k) top.pop();
    if (top.length === k) low = scores[top[k - 1] as number] as number;
  }
  return top;
}

/**
 * The `places`-th best `exact` cosine among the PROBE slots of best partial
 * that the caller would pick (−Infinity when fewer than `places`). When it
 * would not pick some (`exact` −Infinity: a search among eligible topics
 * only), the next best partials stand in, up to PROBE × PROBE_SPAN slots
 * looked at: with few eligible topics, the first PROBE are often none.
 */
export function probe(
  scores: Float64Array,
  n: number,
  exact: (slot: number) => number,
  places: 1 | 2,
): number {
  let best = -Infinity;
  let second = -Infinity;
  let scored = 0;
  let looked = 0;
  for (const span of [PROBE, PROBE * PROBE_SPAN]) {
    const top = bestSlots(scores, n, span);
    for (const slot of top.slice(looked)) {
      const c = exact(slot);
      if (c === -Infinity) continue;
      if (c > best) {
        second = best;
        best = c;
      } else if (c > second) second = c;
      if (++scored === PROBE) break;
    }
    if (scored === PROBE || top.length < span) break;
    looked = top.length;
  }
  return places === 1 ? best : second;
}

/**
 * Writes to `listed` the live slots among the first `n` whose score reaches
 * `need` (every live slot when `need` ≤ 0), best score first, ties by slot;
 * returns how many.
 */
export function listReaching(
  scores: Float64Array,
  sqNorms: Float64Array,
  n: number,
  need: number,
  listed: Int32Array,
): number {
  let count = 0;
  if (need <= 0) {
    for (let slot = 0; slot < n; slot++) if ((sqNorms[slot] as number) > 0) listed[count++] = slot;
  } else for (let slot = 0; slot < n; slot++) if ((scores[slot] as number) >= need) listed[count++] = slot;
  listed.subarray(0, count).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return count;
}
