/** What the GenAI conventions lack, under `oversight.*`. */

/** Cost of the call in USD from the SDK's price table; absent when the model is not priced. */
export const ATTR_OVERSIGHT_USAGE_COST_USD = 'oversight.usage.cost_usd';
/** True when the provider client retried the request before the final answer. */
export const ATTR_OVERSIGHT_REQUEST_RETRIED = 'oversight.request.retried';
/** Set when captured content was cut to the size cap, so readers know the text is partial. */
export const ATTR_OVERSIGHT_CONTENT_TRUNCATED = 'oversight.content.truncated';
/**
 * What the SDK writes in place of a text its content policy would not let out (masking could not
 * load, `redact()` threw, capture off for a text a request must carry): no one's words, so the
 * collector's export never trains on it.
 */
export const OVERSIGHT_CONTENT_WITHHELD = '[oversight: content withheld]';
/** Set when the SDK asked the provider for stream usage on the app's behalf. */
export const ATTR_OVERSIGHT_STREAM_USAGE_INJECTED = 'oversight.stream.usage_injected';

/** Overrides `gen_ai.operation.name` where the conventions have no word (`rerank`). */
export const ATTR_OVERSIGHT_OPERATION_NAME = 'oversight.operation.name';
export const OVERSIGHT_OPERATION = { rerank: 'rerank' } as const;

/** base64 of the query vector as float32 little-endian. */
export const ATTR_OVERSIGHT_RETRIEVAL_QUERY_EMBEDDING = 'oversight.retrieval.query.embedding';
export const ATTR_OVERSIGHT_RETRIEVAL_QUERY_EMBEDDING_DIMENSIONS =
  'oversight.retrieval.query.embedding.dimensions';
/** The candidates a reranker saw (JSON, as `gen_ai.retrieval.documents`). */
export const ATTR_OVERSIGHT_RERANK_INPUT_DOCUMENTS = 'oversight.rerank.input.documents';
export const ATTR_OVERSIGHT_EMBEDDINGS_INPUT_COUNT = 'oversight.embeddings.input.count';
export const ATTR_OVERSIGHT_WORKFLOW_ID = 'oversight.workflow.id';

/** Span attributes and baggage keys both: the SDK copies baggage onto every span. */
export const ATTR_OVERSIGHT_SESSION_ID = 'oversight.session.id';
export const ATTR_OVERSIGHT_USER_ID = 'oversight.user.id';
/** `oversight.metadata.<key>`: app metadata, one attribute per key. */
export const OVERSIGHT_METADATA_PREFIX = 'oversight.metadata';

/** JSON list of `{ category, score, action }`, for exporters that drop span events. */
export const ATTR_OVERSIGHT_GUARDRAIL_VIOLATIONS = 'oversight.guardrail.violations';
/** The guard categories that did not run (no scorer, or the scorer failed). */
export const ATTR_OVERSIGHT_GUARDRAIL_SKIPPED = 'oversight.guardrail.skipped';

/** An evaluation result's evaluator version, next to the GenAI evaluation event's fields. */
export const ATTR_OVERSIGHT_EVALUATION_VERSION = 'oversight.evaluation.version';
