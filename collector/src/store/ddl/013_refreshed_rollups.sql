-- Four refreshed roll-ups for the Grafana panels that cannot read an
-- insert-time one: feedback per hour and answer, the most flagged traces of
-- every hour, knowledge-base gap signals per hour, and the least grounded
-- answers of every hour.
--
-- Hourly feedback for dashboards: events and value sums per project, hour,
-- kind and the answer the feedback is about (service, model and topic of its
-- trace's last generation step), so a 30-day thumbs-up panel reads hours
-- instead of joining every feedback row to its answer.
--
-- An insert-time view cannot build it: feedback arrives after its answer, an
-- SDK retry resends the same id (only a per-id dedup collapses it), and the
-- answer's topic is set later by the trace stage's UPDATE, which no view
-- sees. So a refreshable materialized view recomputes, every 5 minutes, the
-- hours since the last day (all hours on the first run, or after a gap) from
-- the raw rows, and appends them with the refresh time; ReplacingMergeTree
-- keeps the newest version of each row, so read with FINAL and sum(). A group
-- that an hour no longer has (its answer moved topic) is re-emitted with zero
-- counts, so nothing is counted twice. Feedback on an answer more than a day
-- older than the recomputed window counts as not answered (`answered = 0`).
--
-- On a cluster it reads the shard's local tables (feedback and llm_spans are
-- both sharded by trace_id, so a trace's feedback and spans meet on one
-- shard) into a plain table on every replica: each replica refreshes its own
-- copy from its replicated sources, and the Distributed table reads one.
CREATE TABLE IF NOT EXISTS {{db}}.{{local feedback_hourly}} {{on_cluster}} (
    project_id LowCardinality(String),
    hour DateTime,
    kind LowCardinality(String),
    answered UInt8,
    service_name LowCardinality(String),
    model LowCardinality(String),
    topic_id UInt64,
    events UInt64,
    value_sum Float64,
    refreshed_at DateTime64(3)
) ENGINE = ReplacingMergeTree(refreshed_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, kind, answered, service_name, model, topic_id)
{{rollup_ttl hour}}
SETTINGS index_granularity = 8192;

{{distributed feedback_hourly rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local feedback_hourly_mv}} {{on_cluster}}
REFRESH EVERY 5 MINUTE APPEND
TO {{db}}.{{local feedback_hourly}}
AS
WITH
    (SELECT least(toStartOfHour(now()) - INTERVAL 1 DAY, max(hour)) FROM {{db}}.{{local feedback_hourly}}) AS since,
    -- DateTime wraps below 1970: the first run starts at 0 and must not.
    toDateTime(greatest(toUInt32(since), 86400) - 86400) AS answers_since,
    fb AS (
        SELECT project_id, trace_id, argMax(kind, timestamp) AS fb_kind, argMax(value, timestamp) AS fb_value,
               max(timestamp) AS at
        FROM {{db}}.{{local feedback}}
        WHERE timestamp >= since
        GROUP BY project_id, trace_id, id
    ),
    answers AS (
        SELECT project_id, trace_id,
               argMax(service_name, timestamp) AS answer_service,
               argMax(if(response_model != '', response_model, request_model), timestamp) AS answer_model,
               argMax(topic_id, timestamp) AS answer_topic
        FROM {{db}}.{{local llm_spans}}
        WHERE timestamp >= answers_since
          AND operation IN ('chat', 'text_completion', 'generate_content')
          AND trace_id IN (SELECT trace_id FROM {{db}}.{{local feedback}} WHERE timestamp >= since)
        GROUP BY project_id, trace_id
    )
SELECT project_id, hour, kind, answered, service_name, model, topic_id,
       sum(n) AS events, sum(v) AS value_sum, now64(3) AS refreshed_at
FROM (
    SELECT fb.project_id AS project_id, toStartOfHour(fb.at) AS hour, fb.fb_kind AS kind,
           toUInt8(a.trace_id != '') AS answered, a.answer_service AS service_name, a.answer_model AS model,
           a.answer_topic AS topic_id, toUInt64(1) AS n, fb.fb_value AS v
    FROM fb
    LEFT JOIN answers AS a ON a.project_id = fb.project_id AND a.trace_id = fb.trace_id
    UNION ALL
    SELECT project_id, hour, kind, answered, service_name, model, topic_id, toUInt64(0) AS n, 0 AS v
    FROM {{db}}.{{local feedback_hourly}} FINAL
    WHERE hour >= since
)
GROUP BY project_id, hour, kind, answered, service_name, model, topic_id;

-- The 25 traces of each project and hour that the collector's safety scorers
-- flagged most (ties: higher score, then trace id), for the "top offending
-- traces" table: its 30-day ranking reads at most 25 rows per hour instead of
-- grouping every flagged evaluation by trace. Exact for traces within one
-- hour: a trace outside its hour's 25 has 25 others above it in the range
-- too. The same refresh scheme as feedback_hourly; a trace that drops out of
-- its hour's 25 is written again with current = 0. Read with FINAL and
-- current = 1: per row, so it holds on a cluster too, where each shard
-- refreshes at its own times.
CREATE TABLE IF NOT EXISTS {{db}}.{{local flagged_traces_hourly}} {{on_cluster}} (
    project_id LowCardinality(String),
    hour DateTime,
    trace_id String CODEC(ZSTD(1)),
    flags UInt64,
    max_score Float64,
    first_seen DateTime64(9),
    scorers Array(LowCardinality(String)),
    current UInt8,
    refreshed_at DateTime64(3)
) ENGINE = ReplacingMergeTree(refreshed_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, trace_id)
{{rollup_ttl hour}}
SETTINGS index_granularity = 8192;

{{distributed flagged_traces_hourly rand()}};

-- The flagged labels are grafana/src/dashboards/common.ts FLAGGED (a test compares them).
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local flagged_traces_hourly_mv}} {{on_cluster}}
REFRESH EVERY 5 MINUTE APPEND
TO {{db}}.{{local flagged_traces_hourly}}
AS
WITH (SELECT least(toStartOfHour(now()) - INTERVAL 1 DAY, max(hour)) FROM {{db}}.{{local flagged_traces_hourly}}) AS since
-- New top rows (c = 1) and the stored current ones (c = 0) meet in one GROUP BY:
-- a trace in both keeps its new row, one only stored is written back with current = 0.
SELECT project_id, hour, trace_id,
       argMax(n_flags, c) AS flags, argMax(n_max_score, c) AS max_score, argMax(n_first_seen, c) AS first_seen,
       argMax(n_scorers, c) AS scorers, max(c) AS current, now64(3) AS refreshed_at
FROM (
    SELECT * FROM (
        SELECT project_id, toStartOfHour(timestamp) AS hour, trace_id,
               count() AS n_flags, max(score) AS n_max_score, min(timestamp) AS n_first_seen,
               groupUniqArray(evaluator) AS n_scorers, toUInt8(1) AS c
        FROM {{db}}.{{local evaluations}}
        WHERE timestamp >= since AND source = 'collector'
          AND evaluator IN ('pii', 'prompt_injection', 'jailbreak', 'toxicity', 'refusal')
          AND (evaluator, label) IN (('pii', 'pii'), ('prompt_injection', 'injection'), ('jailbreak', 'jailbreak'), ('toxicity', 'toxic'), ('refusal', 'refusal'))
        GROUP BY project_id, hour, trace_id
        ORDER BY n_flags DESC, n_max_score DESC, trace_id
        LIMIT 25 BY project_id, hour
    )
    UNION ALL
    SELECT project_id, hour, trace_id, flags AS n_flags, max_score AS n_max_score, first_seen AS n_first_seen,
           scorers AS n_scorers, toUInt8(0) AS c
    FROM {{db}}.{{local flagged_traces_hourly}} FINAL
    WHERE hour >= since AND current = 1
)
GROUP BY project_id, hour, trace_id;

-- Answers that were knowledge-base gaps, per project, hour, service, model,
-- topic and gap signal, for the "why answers were gaps" panel. kb_gap and
-- gap_signals are set by the trace stage's UPDATE (and change on a
-- re-score), so this is refreshed like feedback_hourly, zero rows included.
CREATE TABLE IF NOT EXISTS {{db}}.{{local gap_signals_hourly}} {{on_cluster}} (
    project_id LowCardinality(String),
    hour DateTime,
    service_name LowCardinality(String),
    model LowCardinality(String),
    topic_id UInt64,
    signal LowCardinality(String),
    answers UInt64,
    refreshed_at DateTime64(3)
) ENGINE = ReplacingMergeTree(refreshed_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, service_name, model, topic_id, signal)
{{rollup_ttl hour}}
SETTINGS index_granularity = 8192;

{{distributed gap_signals_hourly rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local gap_signals_hourly_mv}} {{on_cluster}}
REFRESH EVERY 5 MINUTE APPEND
TO {{db}}.{{local gap_signals_hourly}}
AS
WITH (SELECT least(toStartOfHour(now()) - INTERVAL 1 DAY, max(hour)) FROM {{db}}.{{local gap_signals_hourly}}) AS since
SELECT project_id, hour, service_name, model, topic_id, signal, sum(n) AS answers, now64(3) AS refreshed_at
FROM (
    SELECT project_id, toStartOfHour(timestamp) AS hour, service_name,
           if(response_model != '', response_model, request_model) AS model, topic_id,
           arrayJoin(gap_signals) AS signal, toUInt64(1) AS n
    FROM {{db}}.{{local llm_spans}}
    WHERE timestamp >= since AND kb_gap = 1
    UNION ALL
    SELECT project_id, hour, service_name, model, topic_id, signal, toUInt64(0) AS n
    FROM {{db}}.{{local gap_signals_hourly}} FINAL
    WHERE hour >= since
)
GROUP BY project_id, hour, service_name, model, topic_id, signal;

-- The 20 least grounded hallucinated answers (ties: newest first) of each
-- project, hour, service, model and topic, for the "worst recent answers"
-- table: its ranking reads these instead of every scored answer of the range,
-- then fetches the text of its 20 rows from llm_spans. Exact for the same
-- reason as flagged_traces_hourly (an answer left out has 20 others above it
-- in its own group and hour); no text is copied here, so nothing outlives the
-- raw rows' TTL but ids and scores. The quality columns are set by UPDATE, so
-- this is refreshed like the others, with current = 0 rows for answers that
-- left their group's 20, as in flagged_traces_hourly: read FINAL, current = 1.
CREATE TABLE IF NOT EXISTS {{db}}.{{local worst_answers_hourly}} {{on_cluster}} (
    project_id LowCardinality(String),
    hour DateTime,
    service_name LowCardinality(String),
    model LowCardinality(String),
    topic_id UInt64,
    timestamp DateTime64(9),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    groundedness Float32,
    current UInt8,
    refreshed_at DateTime64(3)
) ENGINE = ReplacingMergeTree(refreshed_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, service_name, model, topic_id, trace_id, span_id)
{{rollup_ttl hour}}
SETTINGS index_granularity = 8192;

{{distributed worst_answers_hourly rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local worst_answers_hourly_mv}} {{on_cluster}}
REFRESH EVERY 5 MINUTE APPEND
TO {{db}}.{{local worst_answers_hourly}}
AS
WITH (SELECT least(toStartOfHour(now()) - INTERVAL 1 DAY, max(hour)) FROM {{db}}.{{local worst_answers_hourly}}) AS since
-- As in flagged_traces_hourly: new (c = 1) and stored current (c = 0) rows meet in one GROUP BY.
SELECT project_id, hour, service_name, model, topic_id, trace_id, span_id,
       argMax(n_timestamp, c) AS timestamp, argMax(n_groundedness, c) AS groundedness,
       max(c) AS current, now64(3) AS refreshed_at
FROM (
    SELECT * FROM (
        SELECT project_id, toStartOfHour(timestamp) AS hour, service_name,
               if(response_model != '', response_model, request_model) AS model, topic_id,
               trace_id, span_id, timestamp AS n_timestamp, assumeNotNull(groundedness) AS n_groundedness,
               toUInt8(1) AS c
        FROM {{db}}.{{local llm_spans}}
        -- An answer without a groundedness score sorts last in the panel: it cannot be among the worst 20.
        WHERE timestamp >= since AND hallucinated = 1 AND groundedness IS NOT NULL
        ORDER BY n_groundedness ASC, n_timestamp DESC
        LIMIT 20 BY project_id, hour, service_name, model, topic_id
    )
    UNION ALL
    SELECT project_id, hour, service_name, model, topic_id, trace_id, span_id,
           timestamp AS n_timestamp, groundedness AS n_groundedness, toUInt8(0) AS c
    FROM {{db}}.{{local worst_answers_hourly}} FINAL
    WHERE hour >= since AND current = 1
)
GROUP BY project_id, hour, service_name, model, topic_id, trace_id, span_id;
