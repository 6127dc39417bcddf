-- One row per LLM / embedding / retrieval / rerank / tool / agent step, in the
-- canonical shape every convention adapter produces (LlmSpan).
CREATE TABLE IF NOT EXISTS {{db}}.{{local llm_spans}} {{on_cluster}} (
    project_id LowCardinality(String),
    timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    parent_span_id String CODEC(ZSTD(1)),
    service_name LowCardinality(String),
    convention LowCardinality(String),
    operation LowCardinality(String),
    name LowCardinality(String),
    provider LowCardinality(String),
    request_model LowCardinality(String),
    response_model LowCardinality(String),
    response_id String CODEC(ZSTD(1)),
    request_params Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    input_tokens Nullable(UInt64),
    output_tokens Nullable(UInt64),
    cache_read_input_tokens Nullable(UInt64),
    cache_creation_input_tokens Nullable(UInt64),
    reasoning_output_tokens Nullable(UInt64),
    cost_usd Nullable(Float64),
    finish_reasons Array(LowCardinality(String)),
    duration_ns UInt64 CODEC(T64, ZSTD(1)),
    ttft_ms Nullable(Float64),
    status LowCardinality(String),
    error_type LowCardinality(String),
    status_message String CODEC(ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    user_id String CODEC(ZSTD(1)),
    metadata Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    input_messages String CODEC(ZSTD(1)),
    output_messages String CODEC(ZSTD(1)),
    prompt_text String CODEC(ZSTD(1)),
    completion_text String CODEC(ZSTD(1)),
    system_instructions String CODEC(ZSTD(1)),
    tool_name LowCardinality(String),
    tool_arguments String CODEC(ZSTD(1)),
    tool_result String CODEC(ZSTD(1)),
    tool_calls String CODEC(ZSTD(1)),
    retrieval_query String CODEC(ZSTD(1)),
    data_source_id LowCardinality(String),
    document_count UInt32,
    query_embedding Array(Float32) CODEC(ZSTD(1)),
    topic_id UInt64 DEFAULT 0,
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_prompt_text lower(prompt_text) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 4,
    INDEX idx_duration duration_ns TYPE minmax GRANULARITY 1
) ENGINE = {{engine MergeTree}}
PARTITION BY toDate(timestamp)
ORDER BY (project_id, service_name, operation, toStartOfHour(timestamp), timestamp)
{{ttl toDateTime(timestamp)}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, {{dedup_window}};

{{distributed llm_spans cityHash64(trace_id)}};
