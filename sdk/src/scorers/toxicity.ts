/**
 * Toxicity scorer: the toxicity rules plus the shipped linear model. Build one on a
 * retrained model with `createToxicityScorer(parseModel(json))`.
 */

import { type LinearModel, parseModel } from './linear/model.ts';
import { createLinearScorer, type LinearScorerOptions } from './linear-scorer.ts';
import shipped from './models/toxicity.json' with { type: 'json' };
import { TASK_SPECS } from './tasks.ts';
import type { TextScorer } from './types.ts';

export const toxicityModel: LinearModel = parseModel(shipped);

export function createToxicityScorer(
  model: LinearModel = toxicityModel,
  options: LinearScorerOptions = {},
): TextScorer {
  return createLinearScorer(TASK_SPECS.toxicity, model, options);
}

export const toxicityScorer: TextScorer = createToxicityScorer();
