/**
 * Refusal scorer: the refusal rules plus the shipped linear model. Build one on a
 * retrained model with `createRefusalScorer(parseModel(json))`.
 */

import { type LinearModel, parseModel } from './linear/model.ts';
import { createLinearScorer, type LinearScorerOptions } from './linear-scorer.ts';
import shipped from './models/refusal.json' with { type: 'json' };
import { TASK_SPECS } from './tasks.ts';
import type { TextScorer } from './types.ts';

export const refusalModel: LinearModel = parseModel(shipped);

export function createRefusalScorer(
  model: LinearModel = refusalModel,
  options: LinearScorerOptions = {},
): TextScorer {
  return createLinearScorer(TASK_SPECS.refusal, model, options);
}

export const refusalScorer: TextScorer = createRefusalScorer();
