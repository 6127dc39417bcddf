-- One row per retrieved document, so knowledge-base coverage (which documents
-- are retrieved, for which questions, at what score) is a GROUP BY away.
CREATE TABLE IF NOT EXISTS {{db}}.{{local retrieval_documents}} {{on_cluster}} (
    project_id LowCardinality(String),
    timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    data_source_id LowCardinality(String),
    query String CODEC(ZSTD(1)),
    document_id String CODEC(ZSTD(1)),
    rank UInt32,
    score Nullable(Float64),
    content String CODEC(ZSTD(1)),
    content_hash UInt64,
    metadata Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_document_id document_id TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = {{engine MergeTree}}
PARTITION BY toDate(timestamp)
ORDER BY (project_id, data_source_id, toStartOfHour(timestamp), document_id)
{{ttl toDateTime(timestamp)}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, {{dedup_window}};

{{distributed retrieval_documents cityHash64(trace_id)}};
