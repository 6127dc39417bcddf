/**
 * Several linear models over the same hashed feature space, scored together.
 * Their int8 weights are interleaved four to a 32-bit word, so one pass over a
 * text's hashes reads one word per feature and yields every model's sum: the
 * scorers on the request path share one memory walk instead of four random
 * walks through four weight tables. The sums are memoised on the text's
 * features, so the second scorer of the same text only reads them.
 */
import type { TextFeatures } from './features.ts';
import { featureScale, type LinearModel } from './model.ts';
import type { Blocks } from './windows.ts';

export interface ModelBank {
  readonly bits: number;
  /** Whether `model` is one of the bank's (same object). */
  has(model: LinearModel): boolean;
  /**
   * The hashed part of `model`'s log-odds for these features, exactly
   * `linearMargin` minus bias and hand features (up to float rounding).
   */
  hashedMargin(features: TextFeatures, model: LinearModel): number;
  /**
   * `model`'s quantised weight of a hashed feature, signed like `featureWeight`: it orders
   * features exactly as their float weights do, and reads the interleaved table that the
   * margin walk has just brought into cache instead of the model's own float array.
   */
  quantizedWeight(model: LinearModel): (hash: number) => number;
  /**
   * Prefix sums over `blocks` of `model`'s hashed weights (not divided by the count) and
   * of the feature counts, as `blockPrefixSums` gives them; one walk serves every model.
   */
  blockSums(
    features: TextFeatures,
    blocks: Blocks,
    model: LinearModel,
  ): { sums: Float64Array; counts: Int32Array };
}

const LANES = 4;

export function createModelBank(models: readonly LinearModel[]): ModelBank {
  if (models.length === 0) throw new Error('a model bank needs at least one model');
  const bits = (models[0] as LinearModel).bits;
  const size = 1 << bits;
  const mask = size - 1;
  for (const m of models) {
    if (m.bits !== bits) throw new Error(`model ${m.task} has ${m.bits} bits, the bank ${bits}`);
    if (!m.quantized)
      throw new Error(`model ${m.task} has no quantised weights; parse it from its JSON form`);
  }
  const groups = Math.ceil(models.length / LANES);
  // words[g * size + bucket] holds lanes 0..3 of group g as signed bytes.
  const words = new Int32Array(groups * size);
  const scales = new Float64Array(groups * LANES);
  models.forEach((m, k) => {
    const q = (m.quantized as { values: Int8Array; scale: number }).values;
    const base = Math.floor(k / LANES) * size;
    const shift = (k % LANES) * 8;
    for (let b = 0; b < size; b++)
      words[base + b] = (words[base + b] as number) | (((q[b] as number) & 0xff) << shift);
    scales[k] = (m.quantized as { scale: number }).scale;
  });
  const slots = new Map<LinearModel, number>(models.map((m, k) => [m, k]));
  const memoKey = {};
  const blockKey = {};

  // The four models of a word group, summed over hashes[from, to) into `lanes`: each word holds
  // their int8 weights, and the hash's top bit is the feature's sign (colliding features cancel).
  const lanes = new Float64Array(LANES);
  function addLanes(hashes: ArrayLike<number>, base: number, from: number, to: number): void {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = from; i < to; i++) {
      const h = hashes[i] as number;
      const w = words[base + (h & mask)] as number;
      const sign = (h >> 31) | 1;
      s0 += sign * ((w << 24) >> 24);
      s1 += sign * ((w << 16) >> 24);
      s2 += sign * ((w << 8) >> 24);
      s3 += sign * (w >> 24);
    }
    lanes[0] = (lanes[0] as number) + s0;
    lanes[1] = (lanes[1] as number) + s1;
    lanes[2] = (lanes[2] as number) + s2;
    lanes[3] = (lanes[3] as number) + s3;
  }

  function sums(features: TextFeatures): Float64Array {
    const cached = features.memo.get(memoKey) as Float64Array | undefined;
    if (cached) return cached;
    const out = new Float64Array(groups * LANES);
    const { hashes, count } = features;
    const norm = featureScale(count);
    // A text already walked block by block (see windows.ts) has its totals in the last prefix sums.
    const blocked = features.memo.get(blockKey) as { sums: Float64Array[]; counts: Int32Array } | undefined;
    if (blocked && blocked.counts[blocked.counts.length - 1] === count) {
      for (let k = 0; k < out.length; k++) {
        const prefix = blocked.sums[k] as Float64Array;
        out[k] = (prefix[prefix.length - 1] as number) * norm;
      }
      features.memo.set(memoKey, out);
      return out;
    }
    for (let g = 0; g < groups; g++) {
      lanes.fill(0);
      addLanes(hashes, g * size, 0, count);
      const o = g * LANES;
      for (let j = 0; j < LANES; j++) out[o + j] = (lanes[j] as number) * (scales[o + j] as number) * norm;
    }
    features.memo.set(memoKey, out);
    return out;
  }

  function blockSums(features: TextFeatures, blocks: Blocks): { sums: Float64Array[]; counts: Int32Array } {
    const cached = features.memo.get(blockKey) as
      | { blocks: Blocks; sums: Float64Array[]; counts: Int32Array }
      | undefined;
    if (cached?.blocks === blocks) return cached;
    const n = blocks.count;
    const out = Array.from({ length: groups * LANES }, () => new Float64Array(n + 1));
    const counts = new Int32Array(n + 1);
    for (let b = 0; b < n; b++) {
      const own =
        (blocks.wordFrom[b + 1] as number) -
        (blocks.wordFrom[b] as number) +
        (blocks.charFrom[b + 1] as number) -
        (blocks.charFrom[b] as number);
      counts[b + 1] = (counts[b] as number) + own;
    }
    const { hashes } = features;
    for (let g = 0; g < groups; g++) {
      const base = g * size;
      const o = g * LANES;
      const p0 = out[o] as Float64Array;
      const p1 = out[o + 1] as Float64Array;
      const p2 = out[o + 2] as Float64Array;
      const p3 = out[o + 3] as Float64Array;
      for (let b = 0; b < n; b++) {
        lanes.fill(0);
        // A block's features are a run of word features and a run of character grams.
        addLanes(hashes, base, blocks.wordFrom[b] as number, blocks.wordFrom[b + 1] as number);
        addLanes(hashes, base, blocks.charFrom[b] as number, blocks.charFrom[b + 1] as number);
        p0[b + 1] = (p0[b] as number) + (lanes[0] as number) * (scales[o] as number);
        p1[b + 1] = (p1[b] as number) + (lanes[1] as number) * (scales[o + 1] as number);
        p2[b + 1] = (p2[b] as number) + (lanes[2] as number) * (scales[o + 2] as number);
        p3[b + 1] = (p3[b] as number) + (lanes[3] as number) * (scales[o + 3] as number);
      }
    }
    const entry = { blocks, sums: out, counts };
    features.memo.set(blockKey, entry);
    return entry;
  }

  return {
    bits,
    has: (model) => slots.has(model),
    blockSums(features, blocks, model) {
      const k = slots.get(model);
      if (k === undefined) throw new Error(`model ${model.task} is not in this bank`);
      const all = blockSums(features, blocks);
      return { sums: all.sums[k] as Float64Array, counts: all.counts };
    },
    quantizedWeight(model) {
      const k = slots.get(model);
      if (k === undefined) throw new Error(`model ${model.task} is not in this bank`);
      const base = Math.floor(k / LANES) * size;
      const up = 24 - (k % LANES) * 8;
      return (hash) => {
        const q = ((words[base + (hash & mask)] as number) << up) >> 24;
        return hash < 0 ? -q : q;
      };
    },
    hashedMargin(features, model) {
      const k = slots.get(model);
      if (k === undefined) throw new Error(`model ${model.task} is not in this bank`);
      return sums(features)[k] as number;
    },
  };
}
