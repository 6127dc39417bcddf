/**
 * The topic centroids of one space, laid out for search: the running sums
 * column-wise (one array per dimension, one cell per topic slot) and, for
 * spaces of sparse vectors (the built-in embedder's hashed n-grams), an
 * inverted index from each dimension to the slots whose sum is non-zero there.
 *
 * The inverted index makes the search exact and sublinear at once. A topic
 * that shares no non-zero dimension with the question has a dot product of
 * exactly 0 with it, so it can never clear a positive threshold; every other
 * topic is reached through the question's own dimensions and scored in full.
 * Contributions are added per topic in ascending dimension order in doubles,
 * the order the linear scan uses, so the cosines are bit-identical to it.
 * What it costs is the summed length of the question's posting lists (about a
 * tenth of the topics per dimension at 1024 dimensions), not topics × width.
 *
 * State is per topic slot (a column cell per dimension, at most one posting
 * entry per non-zero dimension), never per question.
 */

const MIN_CAPACITY = 1024;
/**
 * Share of the floor that the skipped dimensions may add at most. Larger skips
 * more posting lists but lets more slots through to exact scoring.
 */
const SKIP_SHARE = 0.4;

export class CentroidIndex {
  readonly dimension: number;
  /** Keeps posting lists (sparse spaces); without them only the column scan is available. */
  readonly inverted: boolean;
  private capacity = 0;
  /** Dense spaces: raw centroid sums column-wise, a cell per dimension and slot. */
  private columns: Float32Array[] = [];
  /** Sparse spaces: per dimension, the slots with a non-zero sum there and that sum, side by side. */
  private ids: Int32Array[] = [];
  private vals: Float32Array[] = [];
  private lengths: Int32Array = new Int32Array(0);
  /** Per slot, where it sits in each dimension's list (−1: absent), so an update is O(1). */
  private positions: (Int32Array | undefined)[] = [];
  private sqNorms: Float64Array = new Float64Array(0);
  /**
   * Scratch for a search: per-slot partial scores, and the slots listed. Single
   * precision halves the cache the scattered adds touch (10k slots: 40 kB);
   * the partials only decide who is scored exactly, with slack for rounding.
   */
  private scores: Float32Array = new Float32Array(0);
  readonly listed: Int32Array = new Int32Array(0);

  constructor(dimension: number, inverted: boolean, capacity = MIN_CAPACITY) {
    this.dimension = dimension;
    this.inverted = inverted;
    if (inverted) {
      this.ids = Array.from({ length: dimension }, () => new Int32Array(16));
      this.vals = Array.from({ length: dimension }, () => new Float32Array(16));
      this.lengths = new Int32Array(dimension);
    } else this.columns = Array.from({ length: dimension }, () => new Float32Array(0));
    this.grow(capacity);
  }

  /** Cells for slots up to `needed`, growing by a quarter so appends stay amortised O(1). */
  private grow(needed: number): void {
    if (needed <= this.capacity) return;
    const capacity = Math.max(MIN_CAPACITY, Math.ceil(needed * 1.25));
    this.columns = this.columns.map((old) => {
      const col = new Float32Array(capacity);
      col.set(old);
      return col;
    });
    const sq = new Float64Array(capacity);
    sq.set(this.sqNorms);
    this.sqNorms = sq;
    this.scores = new Float32Array(capacity);
    (this as { listed: Int32Array }).listed = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /** Writes a slot's sum: every dimension, or only `dims` (the ones a sparse question changed). */
  write(slot: number, sum: Float32Array, sqNorm: number, dims?: readonly number[]): void {
    this.grow(slot + 1);
    this.sqNorms[slot] = sqNorm;
    if (!this.inverted) {
      const cols = this.columns;
      if (dims) for (const j of dims) (cols[j] as Float32Array)[slot] = sum[j] as number;
      else for (let j = 0; j < this.dimension; j++) (cols[j] as Float32Array)[slot] = sum[j] as number;
      return;
    }
    let pos = this.positions[slot];
    if (!pos) this.positions[slot] = pos = new Int32Array(this.dimension).fill(-1);
    if (dims) for (const j of dims) this.cell(pos, slot, j, sum[j] as number);
    else for (let j = 0; j < this.dimension; j++) this.cell(pos, slot, j, sum[j] as number);
  }

  private cell(pos: Int32Array, slot: number, j: number, value: number): void {
    const at = pos[j] as number;
    if (at >= 0) {
      if (value !== 0) (this.vals[j] as Float32Array)[at] = value;
      else this.unpost(pos, j);
      return;
    }
    if (value === 0) return;
    let ids = this.ids[j] as Int32Array;
    let vals = this.vals[j] as Float32Array;
    const n = this.lengths[j] as number;
    if (n === ids.length) {
      const moreIds = new Int32Array(n * 2);
      moreIds.set(ids);
      const moreVals = new Float32Array(n * 2);
      moreVals.set(vals);
      this.ids[j] = ids = moreIds;
      this.vals[j] = vals = moreVals;
    }
    ids[n] = slot;
    vals[n] = value;
    pos[j] = n;
    this.lengths[j] = n + 1;
  }

  private unpost(pos: Int32Array, j: number): void {
    const ids = this.ids[j] as Int32Array;
    const vals = this.vals[j] as Float32Array;
    const at = pos[j] as number;
    const last = (this.lengths[j] as number) - 1;
    // Order within a list does not matter (scores are per slot), so the last entry fills the gap.
    const moved = ids[last] as number;
    ids[at] = moved;
    vals[at] = vals[last] as number;
    (this.positions[moved] as Int32Array)[j] = at;
    pos[j] = -1;
    this.lengths[j] = last;
  }

  /** Empties a slot (its topic left, or moved to another slot). */
  clear(slot: number): void {
    if (slot >= this.capacity) return;
    this.sqNorms[slot] = 0;
    if (!this.inverted) {
      for (const col of this.columns) col[slot] = 0;
      return;
    }
    const pos = this.positions[slot];
    if (!pos) return;
    for (let j = 0; j < this.dimension; j++) if ((pos[j] as number) >= 0) this.unpost(pos, j);
  }

  /**
   * The slots among the first `n` whose cosine with `q` (non-zero on `nz`)
   * may reach `floor` > 0: returns how many, listed in `listed[0..count)`, for
   * the caller to score exactly. No slot left out can reach `floor`.
   *
   * Why it holds: the question's dimensions are split in two. The cheap-to-skip
   * ones (small weight, long posting list: common n-grams) are not read; by
   * Cauchy–Schwarz they add at most ‖q_skipped‖ to any cosine, and they are
   * chosen so that ‖q_skipped‖ ≤ SKIP_SHARE × floor. The others are
   * accumulated through their posting lists. A slot is listed when its partial
   * cosine plus that bound reaches `floor`; a slot none of them reaches has a
   * partial of 0 and a bound below `floor`.
   */
  candidates(q: Float32Array, nz: readonly number[], floor: number, n: number): number {
    if (!this.inverted) throw new Error('centroid index: candidates need the inverted index');
    if (!(floor > 0)) throw new Error(`centroid index: floor must be positive, got ${floor}`);
    this.grow(n);
    const lengths = this.lengths;
    const order = nz.slice().sort((a, b) => {
      const qa = q[a] as number;
      const qb = q[b] as number;
      return (qa * qa) / ((lengths[a] as number) + 1) - (qb * qb) / ((lengths[b] as number) + 1);
    });
    const budget = (SKIP_SHARE * floor) ** 2;
    let skipped = 0;
    let cut = 0;
    for (; cut < order.length; cut++) {
      const w = q[order[cut] as number] as number;
      if (skipped + w * w > budget) break;
      skipped += w * w;
    }
    // Slack for rounding: partials add in single precision, in another order than the exact score
    // (each term's relative error is below 2⁻²³ ≈ 1.2e-7, and |partial| ≤ ‖q‖‖c‖).
    const need = floor - Math.sqrt(skipped) - 1e-4;
    const scores = this.scores;
    scores.fill(0, 0, n);
    for (let o = cut; o < order.length; o++) {
      const j = order[o] as number;
      const w = q[j] as number;
      const ids = this.ids[j] as Int32Array;
      const vals = this.vals[j] as Float32Array;
      const len = lengths[j] as number;
      for (let k = 0; k < len; k++) {
        const slot = ids[k] as number;
        scores[slot] = (scores[slot] as number) + w * (vals[k] as number);
      }
    }
    const sqNorms = this.sqNorms;
    const listed = this.listed;
    let count = 0;
    for (let slot = 0; slot < n; slot++) {
      const p = scores[slot] as number;
      // Compared squared: no square root per slot (p ≥ need > 0 ⇔ p² ≥ need² × ‖c‖²).
      if (p > 0 && p * p >= need * need * (sqNorms[slot] as number)) listed[count++] = slot;
    }
    return count;
  }

  /**
   * A coarse score for each of the first `n` slots over the `heavy` dimensions
   * only (dense vectors, where posting lists would hold every topic): the
   * `keep` best slots, for exact re-ranking by the caller. Approximate.
   */
  coarse(q: Float32Array, heavy: readonly number[], n: number, keep: number): number[] {
    if (this.inverted) throw new Error('centroid index: the coarse pass needs the columns');
    this.grow(n);
    const coarse = this.scores;
    coarse.fill(0, 0, n);
    for (const i of heavy) {
      const col = this.columns[i] as Float32Array;
      const w = q[i] as number;
      for (let k = 0; k < n; k++) coarse[k] = (coarse[k] as number) + w * (col[k] as number);
    }
    const sqNorms = this.sqNorms;
    for (let k = 0; k < n; k++) {
      const sq = sqNorms[k] as number;
      coarse[k] = sq > 0 ? (coarse[k] as number) / Math.sqrt(sq) : 0;
    }
    // The `keep` best by a min-heap: most slots fall below its root and cost one comparison.
    const heap: number[] = [];
    const less = (a: number, b: number) => (coarse[a] as number) < (coarse[b] as number);
    for (let k = 0; k < n; k++) {
      if (heap.length < keep) {
        heap.push(k);
        for (let c = heap.length - 1; c > 0; ) {
          const p = (c - 1) >> 1;
          if (!less(heap[c] as number, heap[p] as number)) break;
          [heap[c], heap[p]] = [heap[p] as number, heap[c] as number];
          c = p;
        }
      } else if (less(heap[0] as number, k)) {
        heap[0] = k;
        for (let p = 0; ; ) {
          const l = 2 * p + 1;
          const r = l + 1;
          let m = p;
          if (l < heap.length && less(heap[l] as number, heap[m] as number)) m = l;
          if (r < heap.length && less(heap[r] as number, heap[m] as number)) m = r;
          if (m === p) break;
          [heap[m], heap[p]] = [heap[p] as number, heap[m] as number];
          p = m;
        }
      }
    }
    return heap;
  }

  /** Posting entries held (the inverted index's size), for memory figures and tests. */
  get entries(): number {
    let n = 0;
    for (let j = 0; j < this.lengths.length; j++) n += this.lengths[j] as number;
    return n;
  }
}
