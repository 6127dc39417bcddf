/**
 * A window without a rule hit counts when its n-grams alone clear the task's bar
 * (TaskSpec.ngramWindowBar), far above the threshold. The model here is made for the test:
 * only the n-grams of one made-up sentence weigh anything, so how much they weigh sets
 * where its window lands against the threshold and the bar.
 */
import { describe, expect, it } from 'vitest';
import { promptInjectionModel, TASK_SPECS } from '../src/index.ts';
import { textFeatures } from '../src/linear/features.ts';
import type { LinearModel } from '../src/linear/model.ts';
import { createLinearScorer } from '../src/linear-scorer.ts';

const marker = 'Zorblax quintessa vumble, zorblax quintessa vumble.';

const padding = [
  'The old harbour town sits at the mouth of a wide river, where fishing boats still come in every morning.',
  'Most visitors arrive by the coastal railway, which runs along the cliffs and stops at a small green station.',
  'From the station it is a short walk downhill to the market square, where farmers sell cheese and honey.',
  'The church on the hill dates from the twelfth century and its tower can be climbed on weekday afternoons.',
  'In the evening the restaurants along the quay serve grilled fish, and the light over the water turns blue.',
  'A ferry crosses to the island twice a day in summer; in winter it runs only on Saturdays.',
  'The local museum keeps a collection of ship models, old charts and photographs of the great storm.',
  'Walkers can follow the cliff path north for about six miles to the next village.',
].join(' ');

/** A model for the injection task in which each n-gram of `marker` weighs `weight`, and nothing else does. */
function markerModel(weight: number): LinearModel {
  const weights = new Float32Array(promptInjectionModel.weights.length);
  const mask = (1 << promptInjectionModel.bits) - 1;
  const { hashes, count } = textFeatures(marker);
  for (let i = 0; i < count; i++) {
    const h = hashes[i] as number;
    weights[h & mask] = h < 0 ? -weight : weight;
  }
  return {
    ...promptInjectionModel,
    version: `marker-${weight}`,
    bias: -6,
    weights,
    handWeights: new Float32Array(promptInjectionModel.hand.length),
    quantized: undefined,
    threshold: 0.4,
  };
}

const spec = { ...TASK_SPECS.injection, ngramWindowBar: 0.9 };
const text = `${padding}\n\n${marker}\n\n${padding}`;

describe('a window counted by its n-grams alone', () => {
  it('counts when its n-grams clear the bar, though no rule holds it', () => {
    const model = markerModel(2);
    const alone = createLinearScorer(spec, model).score(marker);
    expect(alone.score).toBeGreaterThan(0.9);
    const r = createLinearScorer(spec, model).score(text);
    expect(r.evidence.filter((e) => e.kind.startsWith('rule:'))).toEqual([]);
    expect(r.flagged).toBe(true);
    expect(r.score).toBeGreaterThanOrEqual(0.9);
    const window = r.evidence[0];
    expect(window?.kind).toBe('window');
    expect(window?.weight).toBe(r.score);
    expect(window?.start).toBeLessThanOrEqual(text.indexOf(marker));
    expect(window?.end).toBeGreaterThanOrEqual(text.indexOf(marker) + marker.length);
    expect((window?.end as number) - (window?.start as number)).toBeLessThan(200);
    // Read whole, or with hit windows only, the padding hides it.
    expect(createLinearScorer(spec, model, { windows: false }).score(text).flagged).toBe(false);
    expect(createLinearScorer(spec, model, { ngramWindows: false }).score(text).flagged).toBe(false);
    // A task without a bar reads hit windows only.
    const { ngramWindowBar: _, ...barless } = spec;
    expect(createLinearScorer(barless, model).score(text).flagged).toBe(false);
  });

  it('does not count above the threshold but below the bar', () => {
    const model = markerModel(0.7);
    const alone = createLinearScorer(spec, model).score(marker).score;
    expect(alone).toBeGreaterThan(0.4);
    expect(alone).toBeLessThan(0.9);
    const r = createLinearScorer(spec, model).score(text);
    expect(r.flagged).toBe(false);
    expect(r.evidence.filter((e) => e.kind === 'window')).toEqual([]);
  });

  it('never counts below the threshold, whatever the bar', () => {
    const model = markerModel(0.5);
    const low = { ...spec, ngramWindowBar: 0.05 };
    const alone = createLinearScorer(low, model).score(marker).score;
    expect(alone).toBeGreaterThan(0.05);
    expect(alone).toBeLessThan(0.4);
    const hitsOnly = createLinearScorer(low, model, { ngramWindows: false }).score(text).score;
    expect(createLinearScorer(low, model).score(text).score).toBe(hitsOnly);
  });
});
