/**
 * Toxicity scorer: the toxicity rules plus the shipped linear model. Build one on a
 * retrained model with `createToxicityScorer(parseModel(json))`.
 */

import type { LinearModel } from './linear/model.ts';
import { createLinearScorer, type LinearScorerOptions } from './linear-scorer.ts';
import { shippedBank, toxicityModel } from './shipped-models.ts';
import { TASK_SPECS } from './tasks.ts';
import type { TextScorer } from './types.ts';

export { toxicityModel };

export function createToxicityScorer(
  model: LinearModel = toxicityModel,
  options: LinearScorerOptions = {},
): TextScorer {
  return createLinearScorer(TASK_SPECS.toxicity, model, { bank: shippedBank, ...options });
}

export const toxicityScorer: TextScorer = createToxicityScorer();
