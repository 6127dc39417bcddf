-- Long format: one row per score, whoever produced it (collector scorers,
-- SDK-side evaluations, human review).
CREATE TABLE IF NOT EXISTS {{db}}.{{local evaluations}} {{on_cluster}} (
    project_id LowCardinality(String),
    timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    evaluator LowCardinality(String),
    -- What was scored: the step's input, its output, or the step as a whole.
    target LowCardinality(String),
    score Float64,
    label LowCardinality(String),
    explanation String CODEC(ZSTD(1)),
    evaluator_version LowCardinality(String),
    source LowCardinality(String),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1
) ENGINE = {{engine MergeTree}}
PARTITION BY toDate(timestamp)
ORDER BY (project_id, evaluator, toStartOfHour(timestamp), trace_id)
{{ttl toDateTime(timestamp)}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, {{dedup_window}};

{{distributed evaluations cityHash64(trace_id)}};
