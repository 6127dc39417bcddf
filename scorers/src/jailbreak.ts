/**
 * Jailbreak scorer: the jailbreak rules plus the shipped linear model. Build one on a
 * retrained model with `createJailbreakScorer(parseModel(json))`.
 */

import type { LinearModel } from './linear/model.ts';
import { createLinearScorer, type LinearScorerOptions } from './linear-scorer.ts';
import { jailbreakModel, shippedBank } from './shipped-models.ts';
import { TASK_SPECS } from './tasks.ts';
import type { TextScorer } from './types.ts';

export { jailbreakModel };

export function createJailbreakScorer(
  model: LinearModel = jailbreakModel,
  options: LinearScorerOptions = {},
): TextScorer {
  return createLinearScorer(TASK_SPECS.jailbreak, model, { bank: shippedBank, ...options });
}

export const jailbreakScorer: TextScorer = createJailbreakScorer();
