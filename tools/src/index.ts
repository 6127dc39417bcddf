/**
 * `@oversight/tools`: repo-only support for training and evaluating the
 * scorers. Never shipped; the collector's `eval` and `train` commands read
 * the hand-made rows through it.
 */
export { TRAINING_DATA_DIR } from './data-dir.ts';
