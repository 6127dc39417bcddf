-- Hourly roll-up of answer quality for dashboards and alerts: hallucination,
-- groundedness, answer relevance and knowledge-base gaps per project, service,
-- model and topic, so a 30-day hallucination or gap panel reads hours, not
-- answers.
--
-- The trace stage sets the llm_spans quality columns with a lightweight
-- UPDATE, which no materialized view sees, so the roll-up is fed from its own
-- ledger instead: quality_events, one row per scored generation written by the
-- trace stage next to that UPDATE. A re-score (late span, replay, recovery)
-- writes the span's outstanding row back with sign -1 and the new one with +1,
-- and every count and sum below is weighted by sign, so the roll-up stays
-- exact without mutations. Query it with sum() and sumForEachMerge(), always
-- grouped.
CREATE TABLE IF NOT EXISTS {{db}}.{{local quality_events}} {{on_cluster}} (
    project_id LowCardinality(String),
    -- The generation's start, so a late re-score lands in the answer's hour.
    timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    service_name LowCardinality(String),
    model LowCardinality(String),
    topic_id UInt64,
    -- +1 counts the row, -1 takes back an earlier row with the same values.
    sign Int8,
    groundedness Nullable(Float32),
    hallucinated Nullable(UInt8),
    answer_relevance Nullable(Float32),
    kb_gap Nullable(UInt8)
) ENGINE = {{engine MergeTree}}
PARTITION BY toDate(timestamp)
-- A re-score reads a trace's outstanding rows back by (project, trace).
ORDER BY (project_id, trace_id, span_id)
{{ttl toDateTime(timestamp)}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, {{dedup_window}};

{{distributed quality_events cityHash64(trace_id)}};

CREATE TABLE IF NOT EXISTS {{db}}.{{local llm_quality_hourly}} {{on_cluster}} (
    project_id LowCardinality(String),
    hour DateTime,
    service_name LowCardinality(String),
    model LowCardinality(String),
    topic_id UInt64,
    scored SimpleAggregateFunction(sum, Int64),
    hallucinated SimpleAggregateFunction(sum, Int64),
    grounded_scored SimpleAggregateFunction(sum, Int64),
    groundedness_sum SimpleAggregateFunction(sum, Float64),
    groundedness_deciles AggregateFunction(sumForEach, Array(Int64)),
    relevance_scored SimpleAggregateFunction(sum, Int64),
    answer_relevance_sum SimpleAggregateFunction(sum, Float64),
    gap_checked SimpleAggregateFunction(sum, Int64),
    gaps SimpleAggregateFunction(sum, Int64)
) ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, service_name, model, topic_id)
{{rollup_ttl hour}}
SETTINGS index_granularity = 8192;

{{distributed llm_quality_hourly rand()}};

-- Columns are qualified (q.) because the output names reuse them: unqualified,
-- ClickHouse would read the aggregate alias inside the expressions.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local llm_quality_hourly_mv}} {{on_cluster}}
TO {{db}}.{{local llm_quality_hourly}}
AS SELECT
    q.project_id AS project_id,
    toStartOfHour(q.timestamp) AS hour,
    q.service_name AS service_name,
    q.model AS model,
    q.topic_id AS topic_id,
    sum(toInt64(q.sign) * isNotNull(q.hallucinated)) AS scored,
    sum(toInt64(q.sign) * (ifNull(q.hallucinated, 0) = 1)) AS hallucinated,
    sum(toInt64(q.sign) * isNotNull(q.groundedness)) AS grounded_scored,
    sum(q.sign * toFloat64(ifNull(q.groundedness, 0))) AS groundedness_sum,
    sumForEachState(arrayMap(b -> toInt64(q.sign) * (isNotNull(q.groundedness) AND b = least(toUInt8(floor(ifNull(q.groundedness, 0) * 10)), 9)), range(10))) AS groundedness_deciles,
    sum(toInt64(q.sign) * isNotNull(q.answer_relevance)) AS relevance_scored,
    sum(q.sign * toFloat64(ifNull(q.answer_relevance, 0))) AS answer_relevance_sum,
    sum(toInt64(q.sign) * isNotNull(q.kb_gap)) AS gap_checked,
    sum(toInt64(q.sign) * (ifNull(q.kb_gap, 0) = 1)) AS gaps
FROM {{db}}.{{local quality_events}} AS q
GROUP BY project_id, hour, service_name, model, topic_id;
