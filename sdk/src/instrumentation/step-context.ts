import { type Context, createContextKey } from '@opentelemetry/api';

/**
 * Set by the `embed()` step helper around the app's embedding call. The
 * helper's span already describes that step (model, tokens, cost), so an
 * instrumented client call inside it passes through without a second span:
 * two `embeddings` rows for one call would double every token total.
 */
const EMBEDDINGS_STEP = createContextKey('oversight.step.embeddings');

export function withEmbeddingsStep(ctx: Context): Context {
  return ctx.setValue(EMBEDDINGS_STEP, true);
}

export function inEmbeddingsStep(ctx: Context): boolean {
  return ctx.getValue(EMBEDDINGS_STEP) === true;
}
