-- Hourly roll-ups for dashboards: the views aggregate each inserted block, the
-- engines fold the partial states on merge. Query with sum()/min()/max() and quantilesTDigestMerge(0.5, 0.9, 0.99)().
CREATE TABLE IF NOT EXISTS {{db}}.{{local llm_spans_hourly}} {{on_cluster}} (
    project_id LowCardinality(String),
    hour DateTime,
    service_name LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    operation LowCardinality(String),
    calls SimpleAggregateFunction(sum, UInt64),
    errors SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    cache_read_input_tokens SimpleAggregateFunction(sum, UInt64),
    reasoning_output_tokens SimpleAggregateFunction(sum, UInt64),
    cost_usd SimpleAggregateFunction(sum, Float64),
    duration_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.99), Float64),
    ttft_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.99), Float64)
) ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, service_name, provider, model, operation)
{{rollup_ttl hour}}
SETTINGS index_granularity = 8192;

{{distributed llm_spans_hourly rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local llm_spans_hourly_mv}} {{on_cluster}}
TO {{db}}.{{local llm_spans_hourly}}
AS SELECT
    project_id,
    toStartOfHour(timestamp) AS hour,
    service_name,
    provider,
    if(response_model != '', response_model, request_model) AS model,
    operation,
    toUInt64(count()) AS calls,
    toUInt64(countIf(status = 'error')) AS errors,
    toUInt64(sum(ifNull(input_tokens, 0))) AS input_tokens,
    toUInt64(sum(ifNull(output_tokens, 0))) AS output_tokens,
    toUInt64(sum(ifNull(cache_read_input_tokens, 0))) AS cache_read_input_tokens,
    toUInt64(sum(ifNull(reasoning_output_tokens, 0))) AS reasoning_output_tokens,
    toFloat64(sum(ifNull(cost_usd, 0))) AS cost_usd,
    quantilesTDigestState(0.5, 0.9, 0.99)(duration_ns / 1e6) AS duration_ms_quantiles,
    quantilesTDigestStateIf(0.5, 0.9, 0.99)(ifNull(ttft_ms, 0), isNotNull(ttft_ms)) AS ttft_ms_quantiles
FROM {{db}}.{{local llm_spans}}
GROUP BY project_id, hour, service_name, provider, model, operation;

CREATE TABLE IF NOT EXISTS {{db}}.{{local evaluations_hourly}} {{on_cluster}} (
    project_id LowCardinality(String),
    hour DateTime,
    evaluator LowCardinality(String),
    target LowCardinality(String),
    label LowCardinality(String),
    source LowCardinality(String),
    count SimpleAggregateFunction(sum, UInt64),
    score_sum SimpleAggregateFunction(sum, Float64),
    score_min SimpleAggregateFunction(min, Float64),
    score_max SimpleAggregateFunction(max, Float64)
) ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, evaluator, target, label, source)
{{rollup_ttl hour}}
SETTINGS index_granularity = 8192;

{{distributed evaluations_hourly rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local evaluations_hourly_mv}} {{on_cluster}}
TO {{db}}.{{local evaluations_hourly}}
AS SELECT
    project_id,
    toStartOfHour(timestamp) AS hour,
    evaluator,
    target,
    label,
    source,
    toUInt64(count()) AS count,
    sum(score) AS score_sum,
    min(score) AS score_min,
    max(score) AS score_max
FROM {{db}}.{{local evaluations}}
GROUP BY project_id, hour, evaluator, target, label, source;
