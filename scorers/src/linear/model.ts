/**
 * A logistic-regression model over hashed n-gram features plus a few named
 * hand-made features (rule hits), and its compact JSON form: weights quantised
 * to int8 with one scale, stored sparse (varint gaps) or dense, base64-encoded.
 */
import { z } from 'zod';

export interface LinearModel {
  task: string;
  version: string;
  /** log2 of the number of hash buckets. */
  bits: number;
  weights: Float32Array;
  bias: number;
  /** Names of the hand-made features, in the order the scorer computes them. */
  hand: string[];
  handWeights: Float32Array;
  /** Shipped decision threshold on the probability. */
  threshold: number;
  /** Free-form provenance: training files, row counts, options. */
  meta: Record<string, unknown>;
  /** The int8 weights and their scale, for a model read from its shipped form (`weights` = values × scale). */
  quantized?: { values: Int8Array; scale: number };
}

export const modelFileSchema = z.object({
  format: z.literal('oversight-linear/1'),
  task: z.string(),
  version: z.string(),
  bits: z.number().int().min(8).max(24),
  bias: z.number(),
  threshold: z.number().min(0).max(1),
  hand: z.array(z.string()),
  handWeights: z.array(z.number()),
  encoding: z.enum(['int8-dense', 'int8-sparse']),
  scale: z.number().positive(),
  weights: z.string(),
  meta: z.record(z.string(), z.unknown()),
});
export type ModelFile = z.infer<typeof modelFileSchema>;

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** The inverse of `sigmoid`: the log-odds of `p`. */
export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/**
 * Per-feature scale of a text with `count` hashed features. Dividing by the
 * square root keeps long texts from being confident just for being long; the
 * constant keeps very short texts from being confident on a handful of n-grams.
 */
export function featureScale(count: number): number {
  return 1 / Math.sqrt(count + SHORT_TEXT_DAMPING);
}
const SHORT_TEXT_DAMPING = 100;

/**
 * The model's log-odds for hashed features and hand-feature values. The hashed
 * part is divided by sqrt(count) so long texts are not more confident just for
 * being long.
 */
export function linearMargin(
  model: LinearModel,
  hashes: Int32Array,
  count: number,
  hand: ArrayLike<number>,
): number {
  const w = model.weights;
  const mask = (1 << model.bits) - 1;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const h = hashes[i] as number;
    const v = w[h & mask] as number;
    sum += h < 0 ? -v : v;
  }
  return model.bias + sum * featureScale(count) + handMargin(model, hand);
}

/** The hand features' part of the log-odds. */
export function handMargin(model: LinearModel, hand: ArrayLike<number>): number {
  const hw = model.handWeights;
  let z = 0;
  for (let i = 0; i < hw.length; i++) z += (hw[i] as number) * (hand[i] as number);
  return z;
}

/** Weight of one hashed feature, signed like in `linearMargin`. */
export function featureWeight(model: LinearModel, hash: number): number {
  const v = model.weights[hash & ((1 << model.bits) - 1)] as number;
  return hash < 0 ? -v : v;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/** Quantises and encodes a model; `parseModel(serializeModel(m))` is what ships. */
export function serializeModel(model: LinearModel): ModelFile {
  const w = model.weights;
  // The scale comes from the 99.9th percentile of |w|, not the maximum, so a few
  // outliers (clamped) do not round the many small weights to zero.
  const magnitudes: number[] = [];
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) magnitudes.push(Math.abs(w[i] as number));
  magnitudes.sort((a, b) => a - b);
  const top = magnitudes[Math.floor((magnitudes.length - 1) * 0.999)] ?? 0;
  const scale = top > 0 ? top / 127 : 1;
  const q = new Int8Array(w.length);
  let nonZero = 0;
  for (let i = 0; i < w.length; i++) {
    const v = Math.max(-127, Math.min(127, Math.round((w[i] as number) / scale)));
    q[i] = v;
    if (v !== 0) nonZero++;
  }
  // Sparse entries cost one byte of value plus 1–3 bytes of gap; dense costs one byte per bucket.
  const sparse: number[] = [];
  let prev = -1;
  for (let i = 0; i < q.length; i++) {
    if (q[i] === 0) continue;
    let gap = i - prev - 1;
    prev = i;
    while (gap >= 0x80) {
      sparse.push((gap & 0x7f) | 0x80);
      gap >>>= 7;
    }
    sparse.push(gap, (q[i] as number) & 0xff);
  }
  const useSparse = sparse.length < q.length && nonZero > 0;
  return {
    format: 'oversight-linear/1',
    task: model.task,
    version: model.version,
    bits: model.bits,
    bias: model.bias,
    threshold: model.threshold,
    hand: model.hand,
    handWeights: Array.from(model.handWeights),
    encoding: useSparse ? 'int8-sparse' : 'int8-dense',
    scale,
    weights: toBase64(useSparse ? Uint8Array.from(sparse) : new Uint8Array(q.buffer)),
    meta: model.meta,
  };
}

export function parseModel(input: unknown): LinearModel {
  const file = modelFileSchema.parse(input);
  const size = 1 << file.bits;
  const weights = new Float32Array(size);
  const values = new Int8Array(size);
  const bytes = fromBase64(file.weights);
  if (file.encoding === 'int8-dense') {
    if (bytes.length !== size)
      throw new Error(`model ${file.task}: expected ${size} weights, got ${bytes.length}`);
    values.set(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    for (let i = 0; i < size; i++) weights[i] = (values[i] as number) * file.scale;
  } else {
    let pos = -1;
    let i = 0;
    while (i < bytes.length) {
      let gap = 0;
      let shift = 0;
      let b: number;
      do {
        b = bytes[i++] as number;
        gap |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      pos += gap + 1;
      const v = bytes[i++] as number;
      if (pos >= size) throw new Error(`model ${file.task}: sparse weight index ${pos} out of range`);
      values[pos] = v > 127 ? v - 256 : v;
      weights[pos] = (values[pos] as number) * file.scale;
    }
  }
  if (file.handWeights.length !== file.hand.length)
    throw new Error(`model ${file.task}: hand feature count mismatch`);
  return {
    task: file.task,
    version: file.version,
    bits: file.bits,
    weights,
    bias: file.bias,
    hand: file.hand,
    handWeights: Float32Array.from(file.handWeights),
    threshold: file.threshold,
    meta: file.meta,
    quantized: { values, scale: file.scale },
  };
}
