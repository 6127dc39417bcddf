export { registerEvalCommands, runEval } from './commands.ts';
export {
  EVAL_TASKS,
  type EvalTask,
  type LabelledRow,
  POSITIVE_LABEL,
  parseRows,
  readRows,
} from './dataset.ts';
export { type EvalReport, evaluateAll, evaluateTask, type SkippedSet, taskForFile } from './evaluate.ts';
export { assignFolds, groupKeys } from './folds.ts';
export { formatReportJson, formatReportTable } from './format.ts';
export {
  evaluateGroundedness,
  evaluateGroundednessRows,
  formatGroundednessTable,
  GROUNDEDNESS_TASK,
  type GroundednessReport,
  type GroundednessRow,
  lengthMatchedAuroc,
  parseGroundednessRows,
} from './groundedness.ts';
export { auroc, binaryMetrics, confusion } from './metrics.ts';
export {
  auxiliaryNegatives,
  defaultModelPath,
  handMadeRows,
  TASK_THRESHOLDS,
  TRAIN_OPTIONS,
  train,
  trainOnRows,
} from './train.ts';
