import type { Store } from '../../store/store.ts';
import { EVALUATIONS, FEEDBACK, LLM_SPANS, OTEL_TRACES, RETRIEVAL_DOCUMENTS } from '../../store/tables.ts';
import type { DrainOptions } from './drain.ts';

/**
 * What identifies a row of each table the drain writes, for the check a crash
 * replay makes before trusting its deduplication tokens. A span is sent once
 * per trace and span id; its documents and scores are told apart by rank and by
 * who scored what. Feedback carries its own id (the table's sort key ends in it).
 */
const KEYS: Record<string, readonly string[]> = {
  [OTEL_TRACES]: ['ProjectId', 'TraceId', 'SpanId'],
  [LLM_SPANS]: ['project_id', 'trace_id', 'span_id'],
  [RETRIEVAL_DOCUMENTS]: ['project_id', 'trace_id', 'span_id', 'document_id', 'rank'],
  [EVALUATIONS]: ['project_id', 'trace_id', 'span_id', 'evaluator', 'target', 'source'],
  [FEEDBACK]: ['project_id', 'trace_id', 'id'],
};

export function naturalRowKey(table: string): readonly string[] | undefined {
  return KEYS[table];
}

/**
 * The replay check for the drain, for the embedded engine only. It dies with
 * the process, so it can lose a part whose token it logged, and nothing of the
 * dead process's inserts is still in flight when the check reads. A server
 * outlives the collector: an insert the dead process sent may still land (or
 * sit in a Distributed queue, or on a replica not yet read) after the check
 * found it absent, and a fresh token would then store it twice, where its own
 * token keeps it once.
 */
export function replayCheckFor(
  store: Pick<Store, 'kind' | 'query' | 'database'>,
): Pick<DrainOptions, 'rowKey' | 'reader'> {
  return store.kind === 'embedded' ? { rowKey: naturalRowKey, reader: store } : {};
}
