/**
 * Jailbreak scorer: the jailbreak rules plus the shipped linear model. Build one on a
 * retrained model with `createJailbreakScorer(parseModel(json))`.
 */

import { type LinearModel, parseModel } from './linear/model.ts';
import { createLinearScorer, type LinearScorerOptions } from './linear-scorer.ts';
import shipped from './models/jailbreak.json' with { type: 'json' };
import { TASK_SPECS } from './tasks.ts';
import type { TextScorer } from './types.ts';

export const jailbreakModel: LinearModel = parseModel(shipped);

export function createJailbreakScorer(
  model: LinearModel = jailbreakModel,
  options: LinearScorerOptions = {},
): TextScorer {
  return createLinearScorer(TASK_SPECS.jailbreak, model, options);
}

export const jailbreakScorer: TextScorer = createJailbreakScorer();
