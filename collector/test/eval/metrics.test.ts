import { describe, expect, it } from 'vitest';
import { auroc, binaryMetrics } from '../../src/eval/metrics.ts';

describe('metrics', () => {
  it('computes precision, recall, F1 and FPR at a threshold', () => {
    // Scores ≥ 0.5 flagged: TP = 2 (0.9, 0.6), FN = 1 (0.4), FP = 1 (0.7), TN = 2 (0.2, 0.1).
    const m = binaryMetrics([0.9, 0.6, 0.4, 0.7, 0.2, 0.1], [true, true, true, false, false, false], 0.5);
    expect([m.tp, m.fn, m.fp, m.tn]).toEqual([2, 1, 1, 2]);
    expect(m.precision).toBeCloseTo(2 / 3, 10);
    expect(m.recall).toBeCloseTo(2 / 3, 10);
    expect(m.f1).toBeCloseTo(2 / 3, 10);
    expect(m.fpr).toBeCloseTo(1 / 3, 10);
  });

  it('computes AUROC as the share of correctly ordered positive/negative pairs, ties half', () => {
    // Pairs (pos, neg): 0.9 beats all 3; 0.6 beats 0.2, 0.1 and loses to 0.7; 0.4 beats 2 → 7 / 9.
    expect(auroc([0.9, 0.6, 0.4, 0.7, 0.2, 0.1], [true, true, true, false, false, false])).toBeCloseTo(
      7 / 9,
      10,
    );
    // One tie between a positive and a negative counts 0.5: (1 + 0.5) / 2.
    expect(auroc([0.5, 0.9, 0.5], [true, true, false])).toBeCloseTo(0.75, 10);
    expect(auroc([1, 0], [true, false])).toBe(1);
    expect(Number.isNaN(auroc([1, 0], [true, true]))).toBe(true);
  });

  it('reports zeros, not NaN, when nothing is flagged', () => {
    const m = binaryMetrics([0.1, 0.2], [true, false], 0.5);
    expect([m.precision, m.recall, m.f1, m.fpr]).toEqual([0, 0, 0, 0]);
  });
});
