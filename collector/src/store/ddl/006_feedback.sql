-- User feedback linked to a trace/span. An SDK may resend the same feedback;
-- rows with the same id collapse on merge (use FINAL for exact counts).
CREATE TABLE IF NOT EXISTS {{db}}.{{local feedback}} {{on_cluster}} (
    id String,
    project_id LowCardinality(String),
    timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    user_id String CODEC(ZSTD(1)),
    kind LowCardinality(String),
    value Float64,
    comment String CODEC(ZSTD(1)),
    metadata Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1
) ENGINE = {{engine ReplacingMergeTree(timestamp)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, trace_id, id)
{{ttl toDateTime(timestamp)}}
SETTINGS index_granularity = 8192, {{dedup_window}};

{{distributed feedback cityHash64(trace_id)}};
