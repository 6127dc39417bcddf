/**
 * Prompt-injection scorer: the injection rules plus the shipped linear model. Build one on a
 * retrained model with `createPromptInjectionScorer(parseModel(json))`.
 */

import type { LinearModel } from './linear/model.ts';
import { createLinearScorer, type LinearScorerOptions } from './linear-scorer.ts';
import { promptInjectionModel, shippedBank } from './shipped-models.ts';
import { TASK_SPECS } from './tasks.ts';
import type { TextScorer } from './types.ts';

export { promptInjectionModel };

export function createPromptInjectionScorer(
  model: LinearModel = promptInjectionModel,
  options: LinearScorerOptions = {},
): TextScorer {
  return createLinearScorer(TASK_SPECS.injection, model, { bank: shippedBank, ...options });
}

export const promptInjectionScorer: TextScorer = createPromptInjectionScorer();
