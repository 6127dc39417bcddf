/**
 * Where the hand-made labelled rows live (refusal set, tricky rows per task,
 * ordinary traffic). Training input only, so it sits outside every package
 * that ships.
 */
export const TRAINING_DATA_DIR: URL = new URL('../data/', import.meta.url);
