-- Hourly roll-up of answer quality for dashboards and alerts: hallucination,
-- groundedness, answer relevance and knowledge-base gaps per project, service,
-- model and topic, so a 30-day hallucination or gap panel reads hours, not
-- answers. Only scored steps enter (the quality columns of 008 set at
-- insert). Query with sum() and sumForEachMerge(), always grouped. Columns are
-- qualified (s.) because the output names reuse them: unqualified, ClickHouse
-- would read the aggregate alias inside WHERE.
CREATE TABLE IF NOT EXISTS {{db}}.{{local llm_quality_hourly}} {{on_cluster}} (
    project_id LowCardinality(String),
    hour DateTime,
    service_name LowCardinality(String),
    model LowCardinality(String),
    topic_id UInt64,
    scored SimpleAggregateFunction(sum, UInt64),
    hallucinated SimpleAggregateFunction(sum, UInt64),
    grounded_scored SimpleAggregateFunction(sum, UInt64),
    groundedness_sum SimpleAggregateFunction(sum, Float64),
    groundedness_deciles AggregateFunction(sumForEach, Array(UInt64)),
    relevance_scored SimpleAggregateFunction(sum, UInt64),
    answer_relevance_sum SimpleAggregateFunction(sum, Float64),
    gap_checked SimpleAggregateFunction(sum, UInt64),
    gaps SimpleAggregateFunction(sum, UInt64)
) ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, service_name, model, topic_id)
{{rollup_ttl hour}}
SETTINGS index_granularity = 8192;

{{distributed llm_quality_hourly rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local llm_quality_hourly_mv}} {{on_cluster}}
TO {{db}}.{{local llm_quality_hourly}}
AS SELECT
    s.project_id AS project_id,
    toStartOfHour(s.timestamp) AS hour,
    s.service_name AS service_name,
    if(s.response_model != '', s.response_model, s.request_model) AS model,
    s.topic_id AS topic_id,
    toUInt64(countIf(isNotNull(s.hallucinated))) AS scored,
    toUInt64(countIf(s.hallucinated = 1)) AS hallucinated,
    toUInt64(countIf(isNotNull(s.groundedness))) AS grounded_scored,
    toFloat64(sum(ifNull(s.groundedness, 0))) AS groundedness_sum,
    sumForEachState(arrayMap(b -> toUInt64(isNotNull(s.groundedness) AND b = least(toUInt8(floor(ifNull(s.groundedness, 0) * 10)), 9)), range(10))) AS groundedness_deciles,
    toUInt64(countIf(isNotNull(s.answer_relevance))) AS relevance_scored,
    toFloat64(sum(ifNull(s.answer_relevance, 0))) AS answer_relevance_sum,
    toUInt64(countIf(isNotNull(s.kb_gap))) AS gap_checked,
    toUInt64(countIf(s.kb_gap = 1)) AS gaps
FROM {{db}}.{{local llm_spans}} AS s
WHERE isNotNull(s.hallucinated) OR isNotNull(s.groundedness) OR isNotNull(s.answer_relevance) OR isNotNull(s.kb_gap)
GROUP BY project_id, hour, service_name, model, topic_id;
