/**
 * Refusal scorer: the refusal rules plus the shipped linear model. Build one on a
 * retrained model with `createRefusalScorer(parseModel(json))`.
 */

import type { LinearModel } from './linear/model.ts';
import { createLinearScorer, type LinearScorerOptions } from './linear-scorer.ts';
import { refusalModel, shippedBank } from './shipped-models.ts';
import { TASK_SPECS } from './tasks.ts';
import type { TextScorer } from './types.ts';

export { refusalModel };

export function createRefusalScorer(
  model: LinearModel = refusalModel,
  options: LinearScorerOptions = {},
): TextScorer {
  return createLinearScorer(TASK_SPECS.refusal, model, { bank: shippedBank, ...options });
}

export const refusalScorer: TextScorer = createRefusalScorer();
