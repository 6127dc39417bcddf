/**
 * Prompt-injection scorer: the injection rules plus the shipped linear model. Build one on a
 * retrained model with `createPromptInjectionScorer(parseModel(json))`.
 */

import { type LinearModel, parseModel } from './linear/model.ts';
import { createLinearScorer, type LinearScorerOptions } from './linear-scorer.ts';
import shipped from './models/injection.json' with { type: 'json' };
import { TASK_SPECS } from './tasks.ts';
import type { TextScorer } from './types.ts';

export const promptInjectionModel: LinearModel = parseModel(shipped);

export function createPromptInjectionScorer(
  model: LinearModel = promptInjectionModel,
  options: LinearScorerOptions = {},
): TextScorer {
  return createLinearScorer(TASK_SPECS.injection, model, options);
}

export const promptInjectionScorer: TextScorer = createPromptInjectionScorer();
