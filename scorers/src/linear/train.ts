/**
 * Logistic regression by AdaGrad with L2, over the inputs `taskInputs` gives, so
 * a trained model drops into the shipped scorer unchanged. Pure and seeded: the
 * same rows and options give the same weights.
 */
import { TASK_SPECS, type TaskName, taskInputs } from '../tasks.ts';
import {
  featureScale,
  type LinearModel,
  linearMargin,
  parseModel,
  serializeModel,
  sigmoid,
} from './model.ts';

export interface LabelledText {
  text: string;
  positive: boolean;
  /** Relative weight (default 1); auxiliary rows borrowed from other sets weigh less. */
  weight?: number;
}

export interface TrainOptions {
  /** log2 of the number of hash buckets (default 18). */
  bits?: number;
  epochs?: number;
  learningRate?: number;
  /** L2 penalty per example on the weights an example touches. */
  l2?: number;
  seed?: number;
  /** Decision threshold stored with the model (default 0.5). */
  threshold?: number;
  version?: string;
  meta?: Record<string, unknown>;
}

interface Example {
  hashes: Int32Array;
  hand: Float32Array;
  y: number;
  weight: number;
}

/** Mulberry32: small, seeded, good enough for shuffling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function trainLinearModel(
  task: TaskName,
  rows: readonly LabelledText[],
  options: TrainOptions = {},
): LinearModel {
  const spec = TASK_SPECS[task];
  const bits = options.bits ?? 18;
  const epochs = options.epochs ?? 20;
  const lr = options.learningRate ?? 0.1;
  const l2 = options.l2 ?? 1e-5;
  const random = seededRandom(options.seed ?? 1);
  const positives = rows.filter((r) => r.positive).reduce((sum, r) => sum + (r.weight ?? 1), 0);
  const total = rows.reduce((sum, r) => sum + (r.weight ?? 1), 0);
  const negatives = total - positives;
  if (positives === 0 || negatives === 0)
    throw new Error(`training ${task}: need both positive and negative rows`);

  // Classes are weighted to balance, so the 0.5 threshold means the same whatever the class mix.
  const examples: Example[] = rows.map((row) => {
    const inputs = taskInputs(spec, row.text);
    return {
      hashes: inputs.features.hashes.slice(0, inputs.features.count),
      hand: inputs.hand,
      y: row.positive ? 1 : 0,
      weight: (row.weight ?? 1) * (row.positive ? total / (2 * positives) : total / (2 * negatives)),
    };
  });

  const size = 1 << bits;
  const mask = size - 1;
  const model: LinearModel = {
    task,
    version: options.version ?? 'dev',
    bits,
    weights: new Float32Array(size),
    bias: 0,
    hand: spec.hand,
    handWeights: new Float32Array(spec.hand.length),
    threshold: options.threshold ?? 0.5,
    meta: options.meta ?? {},
  };
  const g2 = new Float32Array(size);
  const handG2 = new Float32Array(spec.hand.length);
  let biasG2 = 0;
  const eps = 1e-8;
  const order = examples.map((_, i) => i);

  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (const idx of order) {
      const ex = examples[idx] as Example;
      const p = sigmoid(linearMargin(model, ex.hashes, ex.hashes.length, ex.hand));
      const g = (p - ex.y) * ex.weight;
      const norm = featureScale(ex.hashes.length);
      for (let k = 0; k < ex.hashes.length; k++) {
        const h = ex.hashes[k] as number;
        const b = h & mask;
        const w = model.weights[b] as number;
        const grad = g * (h < 0 ? -norm : norm) + l2 * w;
        const acc = (g2[b] as number) + grad * grad;
        g2[b] = acc;
        model.weights[b] = w - (lr * grad) / Math.sqrt(acc + eps);
      }
      for (let k = 0; k < ex.hand.length; k++) {
        const x = ex.hand[k] as number;
        if (x === 0) continue;
        const w = model.handWeights[k] as number;
        const grad = g * x + l2 * w;
        handG2[k] = (handG2[k] as number) + grad * grad;
        model.handWeights[k] = w - (lr * grad) / Math.sqrt((handG2[k] as number) + eps);
      }
      biasG2 += g * g;
      model.bias -= (lr * g) / Math.sqrt(biasG2 + eps);
    }
  }
  // What ships is the quantised model, so that is what training returns.
  return parseModel(serializeModel(model));
}
