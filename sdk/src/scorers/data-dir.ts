/** Where the package's own labelled rows live (refusal set, hand-made tricky rows). */
export const SCORER_DATA_DIR: URL = new URL('./data/', import.meta.url);
export const SCORER_MODELS_DIR: URL = new URL('./models/', import.meta.url);
