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

/**
 * The client instrumentations (by instrumentation name) that have wrapped a
 * client class and are still enabled. A LangChain model whose client one of
 * them wraps (ChatOpenAI calls `openai`) gets its chat span from the client,
 * with the API's own usage, and the callback handler passes its run through:
 * two `chat` spans for one call would double its tokens, cost and scores.
 */
const patching = new Map<string, Set<object>>();

/** The client instrumentations' names, which LangChain's models are matched to. */
export const CLIENT_INSTRUMENTATION = {
  openai: '@oversight/instrumentation-openai',
  anthropic: '@oversight/instrumentation-anthropic',
} as const;

export function markClientPatched(instrumentationName: string, by: object, patched: boolean): void {
  const owners = patching.get(instrumentationName) ?? new Set<object>();
  if (patched) owners.add(by);
  else owners.delete(by);
  if (owners.size > 0) patching.set(instrumentationName, owners);
  else patching.delete(instrumentationName);
}

export function clientPatched(instrumentationName: string): boolean {
  return patching.has(instrumentationName);
}
