/**
 * The topic centroids of a dense space (an app's own embeddings, an
 * embeddings endpoint's, an ONNX model's), laid out for an exact search that
 * reads a fraction of each centroid.
 *
 * Every topic is non-zero in every dimension, so an inverted index would
 * list every topic everywhere. Instead each centroid t (unit length) is kept
 * as its coordinates on HEAD orthonormal directions fitted to the space's own
 * centroids, h = P t, one column per direction, and the length of the rest,
 * ‖t − Pᵀh‖. For a unit question q with head P q and rest r_q,
 *   q · t = (P q) · h + (q − PᵀPq) · (t − Pᵀh) ≤ (P q) · h + ‖r_q‖ ‖t − Pᵀh‖
 * (Cauchy–Schwarz on the parts outside the head). The head columns are read
 * for every topic; the bound then rules out every topic that cannot reach the
 * bar, which rises to the runner-up's exact cosine among the best few probed
 * (bounded-search.ts), and the rest are listed, best bound first, for the caller to
 * score with the linear scan's own function: its choices are the scan's.
 *
 * The directions are the principal ones of the centroids (subspace
 * iteration on a sample of them), so the head holds most of every cosine and
 * the rest is short. They are fitted when the space is first searched and
 * again each time it has grown fourfold; a fit reads the centroids through
 * the caller's `rowOf`. A fit and the projection of every centroid on its
 * directions cost seconds of CPU in a wide space, so each search does a
 * step of that work (FIT_STEP): until the first fit is done a search lists
 * every topic (the scan), and during a later one it goes on with the
 * directions it has. Either way its choices are the scan's, and the event
 * loop never stalls for a fit. A space no wider than HEAD keeps its own
 * axes, and the rest is empty.
 *
 * State is per topic slot (HEAD floats and the rest's length), never per question.
 */
import { listReaching, probe, SlotIndex, widened } from './bounded-search.ts';
import { ColumnBlock } from './column-block.ts';

/** Directions read for every topic. */
export const HEAD = 96;
/** Centroids sampled for a fit (evenly over the slots). */
const FIT_SAMPLE = 1024;
/** Rounds of subspace iteration per fit: enough to find the directions that carry most weight. */
const FIT_ROUNDS = 3;
/**
 * Multiply-adds of fit work one search does: this many (about a
 * millisecond), or one scan's worth (topics × width) when that is more, so a
 * search during a fit costs at most about two scans. A first fit at 1,536
 * wide and 2,048 topics (≈ 1.3 billion) then spreads over some 400 searches,
 * which the scan serves, instead of stalling the loop for a second or two.
 */
export const FIT_STEP = 1 << 20;
/**
 * What rounding outside the head's columns can add to a bound, per search:
 * the rest's length comes from a difference of squares in doubles. 1e-6 is
 * far above it and far below anything that moves a choice. The head cells'
 * float32 rounding, stored and summed, is what `ColumnBlock.add` returns.
 */
const SLACK = 1e-6;
/**
 * A topic that grows by the question just searched for is updated from that
 * question's head, not projected again: its stored head × ‖sum‖ plus the
 * question's. Each such step can move the head from the sum's true one by
 * the rounding of the float32 sum and of the stored head, each at most
 * 2^-24 of the larger norm; DRIFT_STEP is twice that. The drift is kept per
 * slot, as a share of the norm (its pad), and allowed for in its bound; once
 * it reaches MAX_DRIFT of the norm the slot is projected afresh.
 */
const DRIFT_STEP = 2 ** -22;
const MAX_DRIFT = 1e-4;

/** A fit under way: subspace iteration, then the projection of every slot on its directions. */
interface Fit {
  /** The sampled centroids at unit length, copied when the fit starts. */
  rows: Float64Array[];
  /** The directions (k × d), and the next round's being summed. */
  V: Float64Array;
  next: Float64Array;
  /** Rounds done; rows of this round summed; directions of its sum made orthonormal. */
  round: number;
  row: number;
  ortho: number;
  /** Live slots when it started: the fit after it is due at four times this. */
  live: number;
  /** Once the directions are final: each slot's head and rest on them, slots below `projected` written. */
  block: ColumnBlock;
  rests: Float32Array;
  projected: number;
}

export class ProjectedIndex extends SlotIndex {
  readonly dimension: number;
  /** Head width: HEAD, or the space's own width when that is smaller. */
  readonly head: number;
  private readonly rowOf: (slot: number) => Float32Array | undefined;
  /** HEAD × dimension, row-major: the fitted directions; undefined before the first fit (or never: narrow spaces). */
  private basis: Float64Array | undefined;
  private fittedAt = 0;
  /** The fit under way, if any. */
  private fit: Fit | undefined;
  private rests: Float32Array = new Float32Array(0);
  /**
   * Per slot: how far the stored head may be from its sum's true head, as a
   * share of the sum's norm, and so what a partial may be off by (rounded
   * up; 0: projected afresh).
   */
  private pads: Float32Array = new Float32Array(0);
  /** Scratch for one head (a question's, or a centroid's being written). */
  private readonly scratch: Float64Array;
  /** The last question searched for, and its head, for a write that adds it. */
  private lastQuery: Float32Array | undefined;
  private readonly lastHead: Float64Array;

  /** `rowOf(slot)`: the slot's running sum, for a fit of the directions (the index keeps only projections). */
  constructor(dimension: number, rowOf: (slot: number) => Float32Array | undefined, capacity = 1024) {
    super(Math.min(HEAD, dimension));
    this.dimension = dimension;
    this.head = Math.min(HEAD, dimension);
    this.rowOf = rowOf;
    this.scratch = new Float64Array(this.head);
    this.lastHead = new Float64Array(this.head);
    this.grow(capacity);
  }

  private get fitted(): boolean {
    return this.basis !== undefined || this.head === this.dimension;
  }

  /** True while a fit is under way (searches carry it on, FIT_STEP at a time). */
  get fitting(): boolean {
    return this.fit !== undefined;
  }

  protected widen(capacity: number): void {
    [this.rests, this.pads] = widened([this.rests, this.pads], capacity) as [Float32Array, Float32Array];
    const fit = this.fit;
    if (fit) {
      fit.block.resize(capacity);
      fit.rests = widened([fit.rests], capacity)[0] as Float32Array;
    }
  }

  /**
   * The slot's head and rest; before the first fit, only its norm (the fit
   * projects it). A sum that grew by the question just searched for is
   * updated from that question's head (k operations, not k × width).
   */
  protected place(slot: number, sum: Float32Array, sqNorm: number, old: number, added?: Float32Array): void {
    // The last question's head serves one write, the one that adds it.
    const fromLast = added !== undefined && added === this.lastQuery;
    this.lastQuery = undefined;
    this.intoFit(slot, sum, sqNorm);
    if (!this.fitted) return;
    const norm = Math.sqrt(sqNorm);
    if (fromLast) {
      const before = old > 0 ? Math.sqrt(old) : 0;
      // The drift so far, in the sum's units, from its pad (which rounds it up).
      const so = Math.max(0, (this.pads[slot] as number) - 2 ** -24) * before;
      const drift = so + DRIFT_STEP * Math.max(before, norm);
      if (drift <= MAX_DRIFT * norm) {
        this.grown(slot, before, norm, drift);
        return;
      }
    }
    this.pads[slot] = 0;
    this.project(slot, sum, 1 / norm);
  }

  /**
   * The slot's head moved to (head × before + the last question's head) /
   * norm, its pad to `drift` / norm. The rest is bounded from the head's length
   * less the drift: the true head may be that much shorter.
   */
  private grown(slot: number, before: number, norm: number, drift: number): void {
    const k = this.head;
    const inv = 1 / norm;
    const last = this.lastHead;
    let held = 0;
    const columns = this.block.columns;
    for (let c = 0; c < k; c++) {
      const col = columns[c] as Float32Array;
      const h = ((col[slot] as number) * before + (last[c] as number)) * inv;
      col[slot] = h;
      held += h * h;
    }
    const pad = drift * inv + 2 ** -24;
    const shortest = Math.max(0, Math.sqrt(held) - pad);
    this.rests[slot] = Math.sqrt(Math.max(0, 1 - shortest * shortest) + 1e-12);
    this.pads[slot] = Math.fround(pad * (1 + 2 ** -20));
  }

  /** The topic's head, rest and pad copied, not projected again: k copies against k × width. */
  override move(from: number, to: number, sum: Float32Array, sqNorm: number): void {
    const movable = from < this.capacity && (this.sqNorms[from] as number) > 0 && sqNorm > 0;
    if (!movable || (this.sqNorms[to] as number) > 0) {
      super.move(from, to, sum, sqNorm);
      return;
    }
    for (const col of this.block.columns) col[to] = col[from] as number;
    this.rests[to] = this.rests[from] as number;
    this.pads[to] = this.pads[from] as number;
    // Rarely needed: the last slot moves down, mostly past the fit's progress.
    this.intoFit(to, sum, sqNorm);
    this.clear(from);
    this.sqNorms[to] = sqNorm;
    this.live++;
  }

  protected empty(slot: number): void {
    this.pads[slot] = 0;
    this.project(slot, undefined, 0);
    this.intoFit(slot, undefined, 0);
  }

  /** A slot the fit under way has projected already is projected again on its directions. */
  private intoFit(slot: number, sum: Float32Array | undefined, sqNorm: number): void {
    const fit = this.fit;
    if (fit && slot < fit.projected)
      this.projectInto(fit.block.columns, fit.rests, fit.V, slot, sum, sum ? 1 / Math.sqrt(sqNorm) : 0);
  }

  /** The head and rest of sum × inv in the slot's cells (zeros without a sum). */
  private project(slot: number, sum: Float32Array | undefined, inv: number): void {
    this.projectInto(this.block.columns, this.rests, this.basis, slot, sum, inv);
  }

  /** The same into `columns` and `rests`, on the directions `P`. */
  private projectInto(
    columns: Float32Array[],
    rests: Float32Array,
    P: Float64Array | undefined,
    slot: number,
    sum: Float32Array | undefined,
    inv: number,
  ): void {
    const k = this.head;
    const h = this.scratch;
    const rest = sum ? this.headOf(sum, inv, h, P) : 0;
    for (let c = 0; c < k; c++) (columns[c] as Float32Array)[slot] = sum ? (h[c] as number) : 0;
    rests[slot] = rest;
  }

  /** Writes the head of v × scale on the directions `P` to `out`; returns the length of its rest, rounded up. */
  private headOf(v: Float32Array, scale: number, out: Float64Array, P = this.basis): number {
    const k = this.head;
    const d = this.dimension;
    let total = 0;
    for (let j = 0; j < d; j++) total += ((v[j] as number) * scale) ** 2;
    let held = 0;
    for (let c = 0; c < k; c++) {
      let x = 0;
      if (P) {
        const at = c * d;
        for (let j = 0; j < d; j++) x += (P[at + j] as number) * (v[j] as number);
        x *= scale;
      } else x = (v[c] as number) * scale;
      out[c] = x;
      held += x * x;
    }
    return Math.sqrt(Math.max(0, total - held) + 1e-12);
  }

  /**
   * The slots among the first `n` whose cosine with the unit vector `q` may
   * reach `floor` and be among the `places` best: returns how many, listed in
   * `listed[0..count)` best bound first; `reach(k)` bounds the k-th one's
   * cosine. `exact(slot)` is the caller's own cosine (−Infinity for a slot it
   * would not pick); the best few partials are probed with it to raise the bar.
   */
  candidates(
    q: Float32Array,
    floor: number,
    n: number,
    exact: (slot: number) => number,
    places: 1 | 2 = 2,
  ): number {
    this.grow(n);
    if (this.head < this.dimension) {
      if (!this.fit && (this.basis === undefined || this.live >= 4 * this.fittedAt)) this.startFit(n);
      this.fitStep(n);
    }
    if (!this.fitted) return this.everyLive(n);
    this.slack = 0;
    const k = this.head;
    const qh = this.scratch;
    const qRest = this.headOf(q, 1, qh);
    this.lastHead.set(qh);
    this.lastQuery = q;
    let qHeld = 0;
    for (let c = 0; c < k; c++) qHeld += (qh[c] as number) ** 2;
    const qHead = Math.sqrt(qHeld);
    const scores = this.scores;
    scores.fill(0, 0, n);
    const slack = SLACK + this.block.add(n, undefined, qh);
    const rests = this.rests;
    const pads = this.pads;
    for (let slot = 0; slot < n; slot++)
      scores[slot] =
        (scores[slot] as number) + qRest * (rests[slot] as number) + qHead * (pads[slot] as number) + slack;
    // The bounds are what the probe orders by: a slot with a long rest may be the best.
    const bar = Math.max(floor, probe(scores, n, exact, places));
    return listReaching(scores, this.sqNorms, n, bar, this.listed);
  }

  /**
   * Before the first fit: every live slot, in slot order, each able to reach
   * anything (the caller scores them all, as the scan does).
   */
  private everyLive(n: number): number {
    // Whatever the scores hold, an infinite slack makes every reach infinite.
    this.slack = Number.POSITIVE_INFINITY;
    let count = 0;
    for (let slot = 0; slot < n; slot++) if ((this.sqNorms[slot] as number) > 0) this.listed[count++] = slot;
    return count;
  }

  /**
   * Starts a fit of the directions to the live centroids among the first `n`:
   * a sample of FIT_SAMPLE, spread evenly over them, copied at unit length,
   * and a fixed start (a seeded generator), so a restart fits the same directions.
   */
  private startFit(n: number): void {
    const d = this.dimension;
    const k = this.head;
    const live = this.live;
    const slots: number[] = [];
    const stride = Math.max(1, Math.floor(live / FIT_SAMPLE));
    for (let slot = 0, seen = 0; slot < n; slot++)
      if ((this.sqNorms[slot] as number) > 0 && seen++ % stride === 0) slots.push(slot);
    const rows = slots.flatMap((slot) => {
      const sum = this.rowOf(slot);
      if (!sum) return [];
      const inv = 1 / Math.sqrt(this.sqNorms[slot] as number);
      const row = new Float64Array(d);
      for (let j = 0; j < d; j++) row[j] = (sum[j] as number) * inv;
      return [row];
    });
    let seed = 0x9e3779b9;
    const next = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32 - 0.5;
    };
    const V = Float64Array.from({ length: k * d }, next);
    orthonormalise(V, k, d);
    this.fit = {
      rows,
      V,
      next: new Float64Array(k * d),
      round: 0,
      row: 0,
      ortho: 0,
      live,
      block: new ColumnBlock(k, this.capacity),
      rests: new Float32Array(this.capacity),
      projected: 0,
    };
  }

  /**
   * Carries the fit on by a step (FIT_STEP) of multiply-adds. A round of subspace
   * iteration sums w_i row_i over the sample (w_i = V row_i, one power step
   * for all k directions at once), then makes the sum's rows orthonormal, one
   * direction at a time; after FIT_ROUNDS rounds every slot up to `n` is
   * projected on the directions, and the index takes them.
   */
  private fitStep(n: number): void {
    const fit = this.fit;
    if (!fit) return;
    const d = this.dimension;
    const k = this.head;
    const w = this.scratch;
    let budget = Math.max(FIT_STEP, n * d);
    while (budget > 0 && fit.round < FIT_ROUNDS) {
      if (fit.row < fit.rows.length) {
        const row = fit.rows[fit.row++] as Float64Array;
        const { V, next } = fit;
        for (let c = 0; c < k; c++) {
          let x = 0;
          const at = c * d;
          for (let j = 0; j < d; j++) x += (V[at + j] as number) * (row[j] as number);
          w[c] = x;
        }
        for (let c = 0; c < k; c++) {
          const x = w[c] as number;
          const at = c * d;
          for (let j = 0; j < d; j++) next[at + j] = (next[at + j] as number) + x * (row[j] as number);
        }
        budget -= 2 * k * d;
      } else if (fit.ortho < k) {
        budget -= orthonormaliseRow(fit.next, fit.ortho++, d);
      } else {
        [fit.V, fit.next] = [fit.next, fit.V];
        fit.next.fill(0);
        fit.round++;
        fit.row = 0;
        fit.ortho = 0;
      }
    }
    for (; budget > 0 && fit.projected < n; fit.projected++) {
      const slot = fit.projected;
      const sq = this.sqNorms[slot] as number;
      const sum = sq > 0 ? this.rowOf(slot) : undefined;
      this.projectInto(fit.block.columns, fit.rests, fit.V, slot, sum, sum ? 1 / Math.sqrt(sq) : 0);
      budget -= k * d;
    }
    if (fit.round < FIT_ROUNDS || fit.projected < n) return;
    this.basis = fit.V;
    this.block = fit.block;
    this.rests = fit.rests;
    this.fittedAt = fit.live;
    this.fit = undefined;
    // Heads from before are in other directions, and pads were drift from them.
    this.lastQuery = undefined;
    this.pads.fill(0);
  }
}

/**
 * Gram–Schmidt on the k rows of `m` (k × d), each row orthogonalised twice
 * against those before it so the rows are orthonormal to rounding. A row
 * that (nearly) vanishes, because the sample spans fewer directions, is
 * replaced by the first unit axis that survives the same treatment: with
 * k ≤ d one always does.
 */
function orthonormalise(m: Float64Array, k: number, d: number): void {
  for (let c = 0; c < k; c++) orthonormaliseRow(m, c, d);
}

/** Row c of `orthonormalise` (rows before it done); returns the multiply-adds it took. */
function orthonormaliseRow(m: Float64Array, c: number, d: number): number {
  const at = c * d;
  let work = 0;
  const reduce = () => {
    for (let twice = 0; twice < 2; twice++)
      for (let p = 0; p < c; p++) {
        const bt = p * d;
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (m[at + j] as number) * (m[bt + j] as number);
        for (let j = 0; j < d; j++) m[at + j] = (m[at + j] as number) - dot * (m[bt + j] as number);
      }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += (m[at + j] as number) ** 2;
    work += (4 * c + 1) * d;
    return Math.sqrt(norm);
  };
  let norm = reduce();
  for (let axis = 0; norm < 1e-6 && axis < d; axis++) {
    m.fill(0, at, at + d);
    m[at + axis] = 1;
    norm = reduce();
  }
  for (let j = 0; j < d; j++) m[at + j] = (m[at + j] as number) / norm;
  return work + d;
}
