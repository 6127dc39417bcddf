/** Binary classification metrics: confusion counts at a threshold, and AUROC. */

export interface BinaryMetrics {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  /** Share of negatives flagged. */
  fpr: number;
  auroc: number;
}

export function confusion(scores: readonly number[], positives: readonly boolean[], threshold: number) {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = (scores[i] as number) >= threshold;
    if (positives[i]) flagged ? tp++ : fn++;
    else flagged ? fp++ : tn++;
  }
  return { tp, fp, tn, fn };
}

/** AUROC as the Mann–Whitney probability that a positive outscores a negative, ties counting half. */
export function auroc(scores: readonly number[], positives: readonly boolean[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (positives[idx[k] as number]) {
        rankSumPos += midRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function binaryMetrics(
  scores: readonly number[],
  positives: readonly boolean[],
  threshold: number,
): BinaryMetrics {
  const { tp, fp, tn, fn } = confusion(scores, positives, threshold);
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  const fpr = fp + tn > 0 ? fp / (fp + tn) : 0;
  return { tp, fp, tn, fn, precision, recall, f1, fpr, auroc: auroc(scores, positives) };
}

/** A figure's spread over seeded draws (other gap intents, other question orders). */
export interface Spread {
  mean: number;
  sd: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance =
    values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, sd: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}
