/**
 * The topic centroids of a space of sparse vectors (the built-in embedder's
 * hashed n-grams), laid out for search: an inverted index from each
 * dimension to the slots whose sum is non-zero there. Dense spaces (an app's
 * own embeddings) have projected-index.ts.
 *
 * The inverted index makes the search exact and sublinear at once. A topic
 * that shares no non-zero dimension with the question has a dot product of
 * exactly 0 with it, so it can never clear a positive threshold; every other
 * topic is reached through the question's own dimensions, and the few whose
 * partial score could still reach the bar are listed, best first, for the
 * caller to score with the linear scan's own function (so its choices are the
 * scan's). Two bounds keep the work down (see `candidates`): the question's
 * light, common dimensions are left unread while Cauchy–Schwarz caps what
 * they can add, and the bar rises from the threshold to the runner-up's exact
 * cosine among a few probed topics, so fewer lists need reading and fewer
 * topics scoring. What it costs is part of the summed length of the
 * question's posting lists (about a tenth of the topics per dimension at 1024
 * dimensions), not topics × width.
 *
 * A posting is one 32-bit word: the slot's low 15 bits and the centroid's
 * normalised value there (sum / ‖sum‖, so a partial is a cosine directly)
 * rounded to 16 bits. Half the memory of an id array beside a float array and
 * one load per posting; the rounding (at most 1/65,534 per dimension) is
 * bounded and allowed for. Slots are grouped in pages of 32,768 (one set of
 * lists per page), so the 15-bit slot field never limits the topic count and
 * a slot's place in a list fits 16 bits.
 *
 * A space can also end in a dense block (`denseFrom`: the distilled
 * student's components, or USE-lite's, after the hashed n-grams), where every topic has a
 * value in every dimension, so a posting list would hold every topic and
 * reading it would cost a decode and a scattered add per topic. Those
 * dimensions are kept as columns instead (a float per slot, column-block.ts),
 * read in the same order and under the same bounds as the lists, by one SIMD
 * pass over the slots. A hashed dimension whose lists grow crowded (a common
 * word, past an eighth of the slots: CONVERT_SHARE) moves to a column too,
 * where a cell costs a lane of that pass instead of a scattered add.
 *
 * State is per topic slot (a 16-bit position per posting dimension, at most
 * one posting per non-zero dimension, and a float per column), never per question.
 */

import { listReaching, probe, SlotIndex } from './bounded-search.ts';

/** Slots per page: the slot bits of a posting. */
const PAGE_BITS = 15;
const PAGE = 1 << PAGE_BITS;
/** Normalised values are stored as round(value × QUANT): |value| ≤ 1 fits a signed 16-bit field. */
const QUANT = 32_767;
/**
 * Share of the bar that the unread dimensions may add at most. Larger skips
 * more posting lists but lets more slots through to exact scoring, and an
 * exact score reads a topic's whole sum at scattered places. Measured
 * 2026-12-04 at 10k single-question topics in one project (per question:
 * postings, dense-block cells, exact scores):
 *   hashed   0.3: 111k, 0, 13    0.45: 91k, 0, 27     0.6: 75k, 0, 57
 *   student  0.3: 134k, 586k, 16  0.45: 112k, 474k, 70  0.6: 97k, 379k, 296
 * The hashed default's questions/s are level over 0.3–0.6 (2,000–2,900 on
 * this shared machine); the student's are ≈ 35 % higher anywhere in 0.3–0.5
 * than at 0.6 (≈ 1,000–1,250 against 640–1,020, runs interleaved): its
 * exact scores are the dearer ones, 1,120 wide. 0.4 sits in the middle.
 */
const SKIP_SHARE = 0.4;

/**
 * A hashed dimension whose posting list (in a page) holds more than this
 * share of the slots is read as a column instead, by the SIMD pass: a
 * posting costs a scattered add (≈ 1.2 ns), a column's cell a lane of the
 * pass (≈ 0.1 ns), so a list past about a tenth of the slots is dearer than
 * the column. Common n-grams ("how", "card") get there first.
 */
const CONVERT_SHARE = 0.125;
/** Live slots below which no dimension is converted: small spaces keep their lists (and their memory). */
const CONVERT_MIN = 2048;

/** ‖q_rest‖ at which the best partials are probed: most of a question's weight is read by then. */
const PROBE_REST = 0.5;

function quantise(x: number): number {
  const v = Math.round(x);
  return Math.min(QUANT, Math.max(-QUANT, v));
}

/** The first read position from `from` on whose remaining weight `rest[o]` is at most `budget`. */
function readUpTo(rest: Float64Array, from: number, budget: number): number {
  const m = rest.length - 1;
  let o = from;
  while (o < m && (rest[o] as number) > budget) o++;
  return o;
}

export class CentroidIndex extends SlotIndex {
  readonly dimension: number;
  /** Dimensions from here on are the dense block; before it, posting lists. */
  readonly denseFrom: number;
  /**
   * Per dimension, its column in the block (each slot's normalised value
   * there, sum / ‖sum‖), −1 while it has posting lists: the dense block's
   * from the start (columns 0 to dimension − denseFrom), a hashed one's once
   * its lists grew crowded (CONVERT_SHARE).
   */
  private readonly columnOf: Int32Array;
  /** Hashed dimensions whose lists grew crowded, converted at the next search (a write must not move the block). */
  private readonly crowded = new Set<number>();
  /** Per page and dimension (`page × dimension + j`), the packed postings. */
  private lists: Int32Array[] = [];
  private lengths: Int32Array = new Int32Array(0);
  /**
   * Per slot and dimension (`slot × dimension + j`), where the slot sits in
   * that list plus one (0: absent), so an update is O(1). A page's lists hold
   * at most 2^15 postings, so 16 bits suffice: 2 kB per slot at 1024 wide.
   */
  private positions: Uint16Array = new Uint16Array(0);
  constructor(dimension: number, capacity = 1024, denseFrom = dimension) {
    if (!(Number.isInteger(denseFrom) && denseFrom >= 0 && denseFrom <= dimension))
      throw new Error(`centroid index: denseFrom must be in 0..${dimension}, got ${denseFrom}`);
    super(dimension - denseFrom);
    this.dimension = dimension;
    this.denseFrom = denseFrom;
    this.columnOf = new Int32Array(dimension).fill(-1);
    for (let j = denseFrom; j < dimension; j++) this.columnOf[j] = j - denseFrom;
    this.grow(capacity);
  }

  protected widen(capacity: number): void {
    // Posting lists for the dimensions before the dense block only.
    const listDims = this.denseFrom;
    const pages = Math.ceil(capacity / PAGE);
    for (let k = this.lists.length; k < pages * listDims; k++) this.lists.push(new Int32Array(16));
    const lengths = new Int32Array(pages * listDims);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const positions = new Uint16Array(capacity * listDims);
    positions.set(this.positions);
    this.positions = positions;
  }

  /**
   * Every dimension of the slot: each posting holds sum / ‖sum‖, and adding a
   * question moves the norm.
   */
  protected place(slot: number, sum: Float32Array, sqNorm: number): void {
    const norm = Math.sqrt(sqNorm);
    // |sum_j| ≤ ‖sum‖, so the value fits; the clamp only guards against a caller's inexact sqNorm.
    const scale = QUANT / norm;
    const inv = 1 / norm;
    // The loop skips the zeros and rewrites present postings in place without a call.
    const lists = this.lists;
    const positions = this.positions;
    const dim = this.denseFrom;
    const row = (slot >>> PAGE_BITS) * dim;
    const low = (slot & (PAGE - 1)) << 16;
    const own = slot * dim;
    const dw = this.dimension - dim;
    const dense = this.block.columns;
    const columnOf = this.columnOf;
    for (let c = 0; c < dw; c++) (dense[c] as Float32Array)[slot] = (sum[dim + c] as number) * inv;
    for (let j = 0; j < dim; j++) {
      const x = sum[j] as number;
      const column = columnOf[j] as number;
      if (column >= 0) {
        (dense[column] as Float32Array)[slot] = x * inv;
        continue;
      }
      const at = positions[own + j] as number;
      if (x === 0 && at === 0) continue;
      const v = quantise(x * scale);
      if (at !== 0 && v !== 0) (lists[row + j] as Int32Array)[at - 1] = low | (v & 0xffff);
      else this.cell(slot, j, v);
    }
  }

  /** Sets slot's posting in dimension j to the quantised value `v` (0: no posting). */
  private cell(slot: number, j: number, v: number): void {
    const own = slot * this.denseFrom + j;
    const at = this.positions[own] as number;
    const key = (slot >>> PAGE_BITS) * this.denseFrom + j;
    const word = ((slot & (PAGE - 1)) << 16) | (v & 0xffff);
    if (at !== 0) {
      if (v !== 0) (this.lists[key] as Int32Array)[at - 1] = word;
      else this.unpost(slot, j);
      return;
    }
    if (v === 0) return;
    let list = this.lists[key] as Int32Array;
    const n = this.lengths[key] as number;
    if (n === list.length) {
      const more = new Int32Array(n * 2);
      more.set(list);
      this.lists[key] = list = more;
    }
    list[n] = word;
    this.positions[own] = n + 1;
    this.lengths[key] = n + 1;
    if (n + 1 > CONVERT_SHARE * Math.min(this.capacity, PAGE) && this.live >= CONVERT_MIN)
      this.crowded.add(j);
  }

  /**
   * Moves hashed dimension j from its posting lists to a new column of the
   * block. The column takes the postings' rounded values, so a read of it
   * is charged the postings' rounding (`read`), whatever later writes make exact.
   */
  private convert(j: number): void {
    const dim = this.denseFrom;
    const c = this.block.addColumn();
    const column = this.block.columns[c] as Float32Array;
    for (let key = j; key < this.lists.length; key += dim) {
      const list = this.lists[key] as Int32Array;
      const base = Math.floor(key / dim) << PAGE_BITS;
      for (let k = 0; k < (this.lengths[key] as number); k++) {
        const word = list[k] as number;
        const slot = base | (word >>> 16);
        column[slot] = ((word << 16) >> 16) / QUANT;
        this.positions[slot * dim + j] = 0;
      }
      this.lists[key] = new Int32Array(0);
      this.lengths[key] = 0;
    }
    this.columnOf[j] = c;
  }

  private unpost(slot: number, j: number): void {
    const dim = this.denseFrom;
    const page = slot >>> PAGE_BITS;
    const key = page * dim + j;
    const list = this.lists[key] as Int32Array;
    const at = (this.positions[slot * dim + j] as number) - 1;
    const last = (this.lengths[key] as number) - 1;
    // Order within a list does not matter (scores are per slot), so the last entry fills the gap.
    const moved = list[last] as number;
    list[at] = moved;
    this.positions[((page << PAGE_BITS) | (moved >>> 16)) * dim + j] = at + 1;
    this.positions[slot * dim + j] = 0;
    this.lengths[key] = last;
  }

  protected empty(slot: number): void {
    const own = slot * this.denseFrom;
    for (let j = 0; j < this.denseFrom; j++)
      if ((this.positions[own + j] as number) !== 0) this.unpost(slot, j);
    for (const col of this.block.columns) col[slot] = 0;
  }

  /**
   * The slots among the first `n` whose cosine with `q` (non-zero on `nz`)
   * may reach `floor` > 0, and may be among the `places` best (two: the best
   * and the runner-up; one: the best alone): returns how many, listed in
   * `listed[0..count)` best partial first, for the caller to score exactly;
   * `reach(k)` bounds the k-th one's cosine. `exact(slot)`, when given, is
   * the caller's own cosine for a slot (−Infinity for one it would not pick);
   * the few slots probed with it raise the bar to the `places`-th best
   * cosine among them. No slot left out can reach the bar, so none can be
   * among the `places` best of those at or above `floor`.
   *
   * Why it holds: the question's dimensions are read through their posting
   * lists in order of weight² per posting, and the rest are not read: by
   * Cauchy–Schwarz they add at most ‖q_rest‖ to any cosine, and reading stops
   * once ‖q_rest‖ ≤ SKIP_SHARE × the bar. Each stored value is off by at most
   * 1 / (2 QUANT), so a partial is off by at most Σ|q_j| / (2 QUANT) over
   * the lists read and the columns of converted hashed dimensions
   * (KERNEL_ROUNDING per unit for the dense block's float32 columns,
   * column-block.ts). A slot
   * is listed when its partial plus both bounds reaches the bar; a slot none
   * of the read lists reaches has a partial of 0 and bounds below it. The
   * bar is `floor`, or the `places`-th best exact cosine among the probed
   * slots when that is higher: the true `places`-th best is at least that, so
   * a slot whose bound is below it cannot be among the `places` best (ties
   * included, as the bound must be strictly below).
   */
  candidates(
    q: Float32Array,
    nz: readonly number[],
    floor: number,
    n: number,
    exact?: (slot: number) => number,
    places: 1 | 2 = 2,
  ): number {
    if (!(floor > 0)) throw new Error(`centroid index: floor must be positive, got ${floor}`);
    this.grow(n);
    for (const j of this.crowded) if ((this.columnOf[j] as number) < 0) this.convert(j);
    this.crowded.clear();
    const dim = this.denseFrom;
    const lengths = this.lengths;
    const columnOf = this.columnOf;
    const pages = Math.ceil(n / PAGE);
    const m = nz.length;
    // Read order: most weight² per posting read first (rare n-grams before common ones).
    const keys = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const j = nz[i] as number;
      let c = 1;
      if ((columnOf[j] as number) >= 0) c += n;
      else for (let p = 0; p < pages; p++) c += lengths[p * dim + j] as number;
      keys[i] = (q[j] as number) ** 2 / c;
    }
    const order = Array.from({ length: m }, (_, i) => i).sort(
      (a, b) => (keys[b] as number) - (keys[a] as number),
    );
    // rest[o]: ‖q‖² over the dimensions from the o-th in read order on, summed
    // smallest first so the bound carries no cancellation.
    const rest = new Float64Array(m + 1);
    for (let o = m - 1; o >= 0; o--)
      rest[o] = (rest[o + 1] as number) + (q[nz[order[o] as number] as number] as number) ** 2;
    const scores = this.scores;
    scores.fill(0, 0, n);
    let o = 0;
    let l1 = 0;
    let bar = floor;
    if (exact) {
      // Read the heaviest part, then score the best few partials exactly: the
      // runner-up among them is a bar every other slot must clear.
      const to = readUpTo(rest, o, PROBE_REST ** 2);
      l1 += this.read(q, nz, order, o, to, pages, n);
      o = to;
      const probed = probe(scores, n, exact, places);
      if (probed > bar) bar = probed;
    }
    const budget = (SKIP_SHARE * bar) ** 2;
    const to = readUpTo(rest, o, budget);
    l1 += this.read(q, nz, order, o, to, pages, n);
    o = to;
    // Rounding: `l1` is what the stored values' rounding can add (see
    // `accumulate`, `readDense`); the sums in doubles and the caller's own rounding are far below 1e-9.
    const slack = Math.sqrt(rest[o] as number) + l1 + 1e-9;
    this.slack = slack;
    const need = bar - slack;
    // Best partial first, so the caller can stop at the first slot whose reach
    // is below what it must beat (ties by slot keep the order deterministic).
    return listReaching(scores, this.sqNorms, n, need, this.listed);
  }

  /**
   * Reads the dimensions `order[from..to)` of `nz` into the partials; returns
   * what the stored values' rounding can add. The dense block's columns among
   * them are read together, by the column block's kernel.
   */
  private read(
    q: Float32Array,
    nz: readonly number[],
    order: readonly number[],
    from: number,
    to: number,
    pages: number,
    n: number,
  ): number {
    let l1 = 0;
    const dense: number[] = [];
    for (let o = from; o < to; o++) {
      const j = nz[order[o] as number] as number;
      if ((this.columnOf[j] as number) < 0) l1 += this.accumulate(q, j, pages);
      else {
        dense.push(j);
        // A converted hashed dimension's column may still hold its postings' rounded values.
        if (j < this.denseFrom) l1 += Math.abs(q[j] as number) / (2 * QUANT);
      }
    }
    return l1 + this.readDense(q, dense, n);
  }

  /**
   * Adds dense-block columns × their weights to the first `n` partials;
   * returns what float32 rounding (the stored columns', the kernel's) can add.
   */
  private readDense(q: Float32Array, dims: readonly number[], n: number): number {
    return this.block.add(
      n,
      dims.map((j) => this.columnOf[j] as number),
      dims.map((j) => q[j] as number),
    );
  }

  /**
   * Adds posting list j's values × q_j to the partials; returns
   * what the stored values' rounding can add to a partial (for the bound).
   */
  private accumulate(q: Float32Array, j: number, pages: number): number {
    const qj = q[j] as number;
    const scores = this.scores;
    const w = qj / QUANT;
    for (let p = 0; p < pages; p++) {
      const key = p * this.denseFrom + j;
      const list = this.lists[key] as Int32Array;
      const len = this.lengths[key] as number;
      const base = p << PAGE_BITS;
      for (let k = 0; k < len; k++) {
        const word = list[k] as number;
        const slot = base | (word >>> 16);
        scores[slot] = (scores[slot] as number) + w * ((word << 16) >> 16);
      }
    }
    return Math.abs(qj) / (2 * QUANT);
  }

  /** Posting entries held (the inverted index's size), for memory figures and tests. */
  get entries(): number {
    let n = 0;
    for (let k = 0; k < this.lengths.length; k++) n += this.lengths[k] as number;
    return n;
  }
}
