/**
 * Averages two linear models over the same features into one: a weighted mean
 * of log-odds is again a linear model, so the blend ships and scores like any
 * other. Used to mix a model that never saw ordinary traffic (sharper on the
 * attacks the dev sets hold) with one that did (quiet on everyday messages).
 */
import { type LinearModel, parseModel, serializeModel } from '@oversight/scorers';

/** `share` of `a` and `1 − share` of `b`; metadata, version and threshold come from `b`. */
export function blendModels(a: LinearModel, b: LinearModel, share: number): LinearModel {
  if (a.bits !== b.bits || a.hand.join('|') !== b.hand.join('|'))
    throw new Error('blend: models differ in buckets or hand features');
  const weights = new Float32Array(b.weights.length);
  for (let i = 0; i < weights.length; i++)
    weights[i] = share * (a.weights[i] as number) + (1 - share) * (b.weights[i] as number);
  const blended: LinearModel = {
    ...b,
    weights,
    bias: share * a.bias + (1 - share) * b.bias,
    handWeights: Float32Array.from(
      b.handWeights,
      (w, k) => share * (a.handWeights[k] as number) + (1 - share) * w,
    ),
  };
  // The int8 form is recomputed from the blended weights.
  delete blended.quantized;
  return parseModel(serializeModel(blended));
}
