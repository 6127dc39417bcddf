/** Where the shipped model files live; `oversight train` writes here by default when run in the repo. */
export const SCORER_MODELS_DIR: URL = new URL('./models/', import.meta.url);
