/**
 * Table names in the `oversight` database. In cluster mode these are the
 * Distributed tables (the replicated shards are `<name>_local`), so readers and
 * writers use the same names either way.
 */
export const OTEL_TRACES = 'otel_traces';
export const OTEL_TRACES_TRACE_ID_TS = 'otel_traces_trace_id_ts';
export const LLM_SPANS = 'llm_spans';
export const RETRIEVAL_DOCUMENTS = 'retrieval_documents';
export const EVALUATIONS = 'evaluations';
export const TOPICS = 'topics';
export const GAP_STATE = 'gap_state';
export const EMBEDDER_STATE = 'embedder_state';
export const TOPIC_VOCABULARY = 'topic_vocabulary';
export const FEEDBACK = 'feedback';
/** The trace stage's ledger of quality scores; feeds llm_quality_hourly. */
export const QUALITY_EVENTS = 'quality_events';
export const LLM_SPANS_HOURLY = 'llm_spans_hourly';
export const EVALUATIONS_HOURLY = 'evaluations_hourly';
export const SCHEMA_MIGRATIONS = 'schema_migrations';

/** Tables the pipeline writes rows into. */
export const WRITABLE_TABLES = [
  OTEL_TRACES,
  LLM_SPANS,
  RETRIEVAL_DOCUMENTS,
  EVALUATIONS,
  TOPICS,
  GAP_STATE,
  EMBEDDER_STATE,
  TOPIC_VOCABULARY,
  FEEDBACK,
  QUALITY_EVENTS,
] as const;
export type WritableTable = (typeof WRITABLE_TABLES)[number];

export const DEFAULT_DATABASE = 'oversight';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Database, table and cluster names are spliced into SQL, so only plain identifiers pass. */
export function assertIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`invalid ${what} name ${JSON.stringify(name)}: use letters, digits and _ only`);
  }
  return name;
}

/** `db`.`table`, both checked. */
export function qualifiedTable(database: string, table: string): string {
  return `\`${assertIdentifier(database, 'database')}\`.\`${assertIdentifier(table, 'table')}\``;
}
