/**
 * Per-slot columns of float32 values, and the float64 partial scores a
 * search adds them into, kept in one WebAssembly memory so that columns.wasm
 * can read them: a SIMD pass, four slots a lane and eight columns at a time.
 * This is the loop that touches every topic of a space on every question
 * (the student's dense block and the crowded hashed dimensions in
 * centroid-index.ts, the fitted head in projected-index.ts), and in plain
 * JavaScript it was most of a question's time at 10k topics; the kernel does
 * the same reads about six times faster.
 *
 * The columns and scores are views of the memory. A resize moves them to a
 * new memory (and a new instance of the kernel), so a caller re-reads
 * `columns` and `scores` after a resize rather than keeping them.
 */
import { wasmKernel } from '@oversight/scorers';

type AddKernel = (scores: number, n: number, cols: number, ws: number, count: number) => void;
const KERNEL_URL = new URL('./columns.wasm', import.meta.url);

/** Columns a pass of the kernel reads; a call is padded to a multiple with weight-0 columns. */
const PASS = 8;
/**
 * What float32 can add to a score, per unit of Σ|w| over the columns read,
 * for column values of at most 1 in magnitude: each value rounded when the
 * caller stored it (2^-24 of it), the weights rounded (2^-24), the products
 * (2^-24), and the pass's balanced sum of eight (three roundings deep,
 * 3 × 2^-24); the float64 sum the passes go into adds far less. 6 × 2^-24 in
 * all, rounded up.
 */
export const KERNEL_ROUNDING = 2 ** -21;

export class ColumnBlock {
  /** Columns in use. */
  private used: number;
  /** Columns the memory has room for (`addColumn` grows it). */
  private reserved: number;
  /** Slots each column holds: a multiple of four, the kernel's lanes. */
  capacity = 0;
  /** The partial scores of a search, one per slot. */
  scores: Float64Array = new Float64Array(0);
  /** The columns in use, each `capacity` values. */
  columns: Float32Array[] = [];
  /** Every reserved column's view; the first `used` are `columns`. */
  private views: Float32Array[] = [];
  private kernel: AddKernel | undefined;
  /** Byte offsets in the memory: each column's, the scores', and the call's weight list (its column list is at 0). */
  private columnAt: number[] = [];
  private scoresAt = 0;
  private wsAt = 0;
  private colList: Int32Array = new Int32Array(0);
  private weightList: Float32Array = new Float32Array(0);

  constructor(width: number, capacity = 0) {
    if (!(Number.isInteger(width) && width >= 0))
      throw new Error(`column block: width must be a whole number, got ${width}`);
    this.used = width;
    this.reserved = width;
    this.resize(capacity);
  }

  /** Columns in use. */
  get width(): number {
    return this.used;
  }

  /**
   * Cells for at least `capacity` slots, the old cells kept (scores too: a
   * write may grow the block between a search and the reads of its scores).
   */
  resize(capacity: number): void {
    const cap = Math.ceil(capacity / 4) * 4;
    if (cap > this.capacity) this.layout(cap, this.reserved);
  }

  /**
   * One more column, all zeros; returns its index. Room is made a half
   * again at a time, so a run of additions copies the block a few times, not
   * once each. Views of the columns and scores move (see the header).
   */
  addColumn(): number {
    if (this.used === this.reserved)
      this.layout(this.capacity, Math.max(PASS, Math.ceil((this.reserved * 1.5) / PASS) * PASS));
    this.columns.push(this.views[this.used] as Float32Array);
    return this.used++;
  }

  /** Moves the block to a memory of `cap` slots and `reserved` columns, cells kept. */
  private layout(cap: number, reserved: number): void {
    const oldColumns = this.columns;
    const oldScores = this.scores;
    if (reserved === 0) {
      // Scores alone: no kernel call ever reads them, so no memory of its own.
      this.scores = new Float64Array(cap);
    } else {
      const listed = Math.ceil(reserved / PASS) * PASS;
      this.wsAt = listed * 4;
      this.scoresAt = Math.ceil((2 * listed * 4) / 16) * 16;
      const first = this.scoresAt + cap * 8;
      const bytes = first + reserved * cap * 4;
      const { exports, buffer } = wasmKernel<{ add: AddKernel }>(KERNEL_URL, bytes);
      this.kernel = exports.add;
      this.colList = new Int32Array(buffer, 0, listed);
      this.weightList = new Float32Array(buffer, this.wsAt, listed);
      this.scores = new Float64Array(buffer, this.scoresAt, cap);
      this.columnAt = Array.from({ length: reserved }, (_, c) => first + c * cap * 4);
      this.views = this.columnAt.map((at) => new Float32Array(buffer, at, cap));
      oldColumns.forEach((old, c) => {
        (this.views[c] as Float32Array).set(old);
      });
      this.columns = this.views.slice(0, this.used);
    }
    this.scores.set(oldScores);
    this.capacity = cap;
    this.reserved = reserved;
  }

  /**
   * scores[slot] += Σᵢ ws[i] × columns[which[i]][slot] for the first `n`
   * slots (every column in order when `which` is undefined); returns the
   * most float32 rounding, the stored columns' and the kernel's, can have
   * moved a score from the same sum over the caller's own values in doubles
   * (KERNEL_ROUNDING × Σ|ws|), for the caller's bound. Column values must be
   * at most 1 in magnitude.
   */
  add(n: number, which: ArrayLike<number> | undefined, ws: ArrayLike<number>): number {
    const count = which ? which.length : this.used;
    if (count === 0 || n === 0) return 0;
    if (!this.kernel) throw new Error('column block: no columns to add');
    if (n > this.capacity) throw new Error(`column block: ${n} slots asked, ${this.capacity} held`);
    const cols = this.colList;
    const weights = this.weightList;
    let l1 = 0;
    for (let i = 0; i < count; i++) {
      cols[i] = this.columnAt[which ? (which[i] as number) : i] as number;
      const w = ws[i] as number;
      weights[i] = w;
      l1 += Math.abs(w);
    }
    const padded = Math.ceil(count / PASS) * PASS;
    for (let i = count; i < padded; i++) {
      cols[i] = this.columnAt[0] as number;
      weights[i] = 0;
    }
    this.kernel(this.scoresAt, n, 0, this.wsAt, padded);
    return l1 * KERNEL_ROUNDING;
  }
}
