import { EVALUATIONS, LLM_SPANS, OTEL_TRACES, RETRIEVAL_DOCUMENTS } from '../store/tables.ts';

/**
 * What identifies a row of each table the drain writes, for the check a crash
 * replay makes before trusting its deduplication tokens. A span is sent once
 * per trace and span id; its documents and scores are told apart by rank and by
 * who scored what.
 */
const KEYS: Record<string, readonly string[]> = {
  [OTEL_TRACES]: ['ProjectId', 'TraceId', 'SpanId'],
  [LLM_SPANS]: ['project_id', 'trace_id', 'span_id'],
  [RETRIEVAL_DOCUMENTS]: ['project_id', 'trace_id', 'span_id', 'document_id', 'rank'],
  [EVALUATIONS]: ['project_id', 'trace_id', 'span_id', 'evaluator', 'target', 'source'],
};

export function naturalRowKey(table: string): readonly string[] | undefined {
  return KEYS[table];
}
