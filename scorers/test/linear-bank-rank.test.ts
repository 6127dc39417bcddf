/**
 * The scorers pick a flagged text's top words by the model bank's int8 weights
 * instead of the float ones; that must pick the same words in the same order.
 */
import { describe, expect, it } from 'vitest';
import { featureWeight } from '../src/linear/model.ts';
import {
  jailbreakModel,
  promptInjectionModel,
  refusalModel,
  shippedBank,
  toxicityModel,
} from '../src/shipped-models.ts';

describe('ModelBank.quantizedWeight', () => {
  it.each([
    ['injection', promptInjectionModel],
    ['jailbreak', jailbreakModel],
    ['toxicity', toxicityModel],
    ['refusal', refusalModel],
  ])('orders every bucket of the %s model as its float weights do, with the same sign', (_, model) => {
    const rank = shippedBank.quantizedWeight(model);
    const size = 1 << model.bits;
    const pairs: [number, number][] = [];
    let signs = 0;
    for (let b = 0; b < size; b++) {
      for (const hash of [b, b | 0x80000000]) {
        const q = rank(hash);
        const f = featureWeight(model, hash);
        if ((Math.sign(q) || 0) !== (Math.sign(f) || 0)) signs++;
        pairs.push([q, f]);
      }
    }
    expect(signs).toBe(0);
    pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let bad = 0;
    for (let i = 1; i < pairs.length; i++) {
      const [q0, f0] = pairs[i - 1] as [number, number];
      const [q1, f1] = pairs[i] as [number, number];
      if (q0 === q1 ? f0 !== f1 : !(f0 < f1)) bad++;
    }
    expect(bad).toBe(0);
  });

  it('refuses a model outside the bank', () => {
    const { quantized: _, ...copy } = toxicityModel;
    expect(() => shippedBank.quantizedWeight({ ...copy })).toThrow(/not in this bank/);
  });
});
