/**
 * The deep averaging network of scorers/src/embed/student.ts in trainable
 * float form, for fit-student.ts (training from a word table) and
 * tune-student.ts (fine-tuning a trained student): the forward pass the
 * runtime computes (gated mean of the rows, one tanh layer beside a linear
 * map), its backward pass, and lazy Adam on the rows a batch touched, each
 * row and gate pulled back towards its start. Hand-written, no framework.
 */
import type { StudentToken } from '@oversight/scorers/embed';

export interface DanShape {
  /** Row width (the averaging layer's input). */
  input: number;
  hidden: number;
  output: number;
}

export interface DanParams {
  rows: Float32Array;
  /** Log of each row's weight in the average. */
  logGate: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  p: Float32Array;
}

/** One forward pass's activations, which its backward pass reads: the averaged rows and the tanh layer. */
export interface Activations {
  x: Float32Array;
  h: Float32Array;
}

const BETA1 = 0.9;
const BETA2 = 0.999;

export class DanTrainer {
  /** The activations a pass writes when the caller keeps none of its own. */
  private readonly last: Activations;
  private readonly gh: Float32Array;
  private readonly gx: Float32Array;
  private readonly dense: Float32Array[];
  private readonly grads: Float32Array[];
  private readonly adamM: Float32Array[];
  private readonly adamV: Float32Array[];
  private readonly rowM: Float32Array;
  private readonly rowV: Float32Array;
  private readonly gateM: Float32Array;
  private readonly gateV: Float32Array;
  private readonly rowGrad = new Map<number, Float32Array>();
  private readonly priorRows: Float32Array;
  private readonly priorGates: Float32Array;
  private readonly decay: number;
  private steps = 0;
  readonly shape: DanShape;
  readonly params: DanParams;

  /** `params` train in place; rows and gates are pulled towards their values now, by `decay`. */
  constructor(shape: DanShape, params: DanParams, decay: number) {
    this.shape = shape;
    this.params = params;
    this.decay = decay;
    const { input: E, hidden: H } = shape;
    this.last = this.activations();
    this.gh = new Float32Array(H);
    this.gx = new Float32Array(E);
    this.dense = [params.w1, params.b1, params.w2, params.b2, params.p];
    this.grads = this.dense.map((a) => new Float32Array(a.length));
    this.adamM = this.dense.map((a) => new Float32Array(a.length));
    this.adamV = this.dense.map((a) => new Float32Array(a.length));
    this.rowM = new Float32Array(params.rows.length);
    this.rowV = new Float32Array(params.rows.length);
    this.gateM = new Float32Array(params.logGate.length);
    this.gateV = new Float32Array(params.logGate.length);
    this.priorRows = Float32Array.from(params.rows);
    this.priorGates = Float32Array.from(params.logGate);
  }

  /** Buffers for one pass, for a caller that runs several passes before their backward passes. */
  activations(): Activations {
    return { x: new Float32Array(this.shape.input), h: new Float32Array(this.shape.hidden) };
  }

  /**
   * Writes the output for `tokens` to `y` and the activations to `act`;
   * returns the total weight (0: nothing known, `y` untouched).
   */
  forward(tokens: readonly StudentToken[], y: Float32Array, act: Activations = this.last): number {
    const { input: E, hidden: H, output: K } = this.shape;
    const { rows, logGate, w1, b1, w2, b2, p } = this.params;
    const { x, h } = act;
    x.fill(0);
    let tw = 0;
    for (const t of tokens) {
      const w = t.weight * Math.exp(logGate[t.row] as number);
      for (let c = 0; c < E; c++) x[c] = (x[c] as number) + w * (rows[t.row * E + c] as number);
      tw += w;
    }
    if (tw === 0) return 0;
    for (let c = 0; c < E; c++) x[c] = (x[c] as number) / tw;
    for (let j = 0; j < H; j++) {
      let s = b1[j] as number;
      for (let c = 0; c < E; c++) s += (w1[j * E + c] as number) * (x[c] as number);
      h[j] = Math.tanh(s);
    }
    for (let o = 0; o < K; o++) {
      let s = b2[o] as number;
      for (let j = 0; j < H; j++) s += (w2[o * H + j] as number) * (h[j] as number);
      for (let c = 0; c < E; c++) s += (p[o * E + c] as number) * (x[c] as number);
      y[o] = s;
    }
    return tw;
  }

  /**
   * Adds the gradients of a loss whose derivative by the output is `gy` to
   * the batch's, for the `forward` of `tokens` that wrote `act` (total weight `tw`).
   */
  backward(
    tokens: readonly StudentToken[],
    tw: number,
    gy: Float32Array,
    act: Activations = this.last,
  ): void {
    const { input: E, hidden: H, output: K } = this.shape;
    const { rows, logGate, w1, w2, p } = this.params;
    const { x, h } = act;
    const { gh, gx } = this;
    const [gw1, gb1, gw2, gb2, gp] = this.grads as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    gh.fill(0);
    gx.fill(0);
    for (let o = 0; o < K; o++) {
      const g = gy[o] as number;
      gb2[o] = (gb2[o] as number) + g;
      for (let j = 0; j < H; j++) {
        gw2[o * H + j] = (gw2[o * H + j] as number) + g * (h[j] as number);
        gh[j] = (gh[j] as number) + g * (w2[o * H + j] as number);
      }
      for (let c = 0; c < E; c++) {
        gp[o * E + c] = (gp[o * E + c] as number) + g * (x[c] as number);
        gx[c] = (gx[c] as number) + g * (p[o * E + c] as number);
      }
    }
    for (let j = 0; j < H; j++) {
      const ga = (gh[j] as number) * (1 - (h[j] as number) ** 2);
      if (ga === 0) continue;
      gb1[j] = (gb1[j] as number) + ga;
      for (let c = 0; c < E; c++) {
        gw1[j * E + c] = (gw1[j * E + c] as number) + ga * (x[c] as number);
        gx[c] = (gx[c] as number) + ga * (w1[j * E + c] as number);
      }
    }
    for (const t of tokens) {
      let g = this.rowGrad.get(t.row);
      if (!g) {
        g = new Float32Array(E + 1);
        this.rowGrad.set(t.row, g);
      }
      const f = (t.weight * Math.exp(logGate[t.row] as number)) / tw;
      // x = Σ w e / Σ w: ∂x/∂e = w/W, ∂x/∂g = w (e − x)/W.
      let ge = 0;
      for (let c = 0; c < E; c++) {
        g[c] = (g[c] as number) + f * (gx[c] as number);
        ge += (gx[c] as number) * ((rows[t.row * E + c] as number) - (x[c] as number));
      }
      g[E] = (g[E] as number) + f * ge;
    }
  }

  /** One Adam step at rate `lr` on the batch's gradients, which it then clears. */
  step(lr: number): void {
    this.steps++;
    const c1 = 1 - BETA1 ** this.steps;
    const c2 = 1 - BETA2 ** this.steps;
    const adam = (w: Float32Array, m: Float32Array, v: Float32Array, q: number, g: number) => {
      m[q] = BETA1 * (m[q] as number) + (1 - BETA1) * g;
      v[q] = BETA2 * (v[q] as number) + (1 - BETA2) * g * g;
      w[q] = (w[q] as number) - (lr * ((m[q] as number) / c1)) / (Math.sqrt((v[q] as number) / c2) + 1e-8);
    };
    for (const [k, w] of this.dense.entries()) {
      const g = this.grads[k] as Float32Array;
      for (let q = 0; q < w.length; q++)
        adam(w, this.adamM[k] as Float32Array, this.adamV[k] as Float32Array, q, g[q] as number);
      g.fill(0);
    }
    // Lazy Adam on the rows the batch touched, plus the pull towards the start.
    const E = this.shape.input;
    const { rows, logGate } = this.params;
    for (const [ri, g] of this.rowGrad) {
      for (let c = 0; c < E; c++) {
        const q = ri * E + c;
        const pull = this.decay * ((rows[q] as number) - (this.priorRows[q] as number));
        adam(rows, this.rowM, this.rowV, q, (g[c] as number) + pull);
      }
      const pull = this.decay * ((logGate[ri] as number) - (this.priorGates[ri] as number));
      adam(logGate, this.gateM, this.gateV, ri, (g[E] as number) + pull);
    }
    this.rowGrad.clear();
  }
}
