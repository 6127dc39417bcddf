/**
 * `@oversight/scorers`: every text scorer, the registry the collector and
 * the guard look scorers up in, and the training and model pieces for retraining.
 */
import { jailbreakScorer } from './jailbreak.ts';
import { piiScorer } from './pii/index.ts';
import { promptInjectionScorer } from './prompt-injection.ts';
import { refusalScorer } from './refusal.ts';
import { toxicityScorer } from './toxicity.ts';
import type { TextScorer } from './types.ts';

export { createJailbreakScorer, jailbreakModel, jailbreakScorer } from './jailbreak.ts';
export {
  type LinearModel,
  linearMargin,
  type ModelFile,
  parseModel,
  serializeModel,
  sigmoid,
} from './linear/model.ts';
export { type LabelledText, seededRandom, type TrainOptions, trainLinearModel } from './linear/train.ts';
export { createLinearScorer, type LinearScorerOptions, RULES_VERSION } from './linear-scorer.ts';
export { SCORER_MODELS_DIR } from './models-dir.ts';
export * from './pii/index.ts';
export {
  createPromptInjectionScorer,
  promptInjectionModel,
  promptInjectionScorer,
} from './prompt-injection.ts';
export { RecentMap } from './recent-map.ts';
export { createRefusalScorer, refusalModel, refusalScorer } from './refusal.ts';
export { TASK_SPECS, TASKS, type TaskName, type TaskSpec, taskInputs } from './tasks.ts';
export { type CanonicalText, canonicalize } from './text/canonicalize.ts';
export { headOf } from './text/head.ts';
export { wellFormedDeep, wellFormedText } from './text/well-formed.ts';
export { createToxicityScorer, toxicityModel, toxicityScorer } from './toxicity.ts';
export * from './types.ts';
export { type Kernel, wasmKernel } from './wasm.ts';

/** Scorers by evaluator name. */
export const scorers: Record<string, TextScorer> = {
  [piiScorer.name]: piiScorer,
  [promptInjectionScorer.name]: promptInjectionScorer,
  [jailbreakScorer.name]: jailbreakScorer,
  [toxicityScorer.name]: toxicityScorer,
  [refusalScorer.name]: refusalScorer,
};
export * from './groundedness/index.ts';
export * from './groundedness/judges/index.ts';
export { createJudgeScorer, type JudgeScorerOptions, parseVerdict } from './model-backed/judge.ts';
export {
  createOnnxScorer,
  hashedVector,
  type OnnxInput,
  type OnnxScorerOptions,
} from './model-backed/onnx.ts';
export * from './relevance/index.ts';
