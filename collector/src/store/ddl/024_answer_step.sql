-- A thumb without a span id rates the trace's last answer to its user, not
-- the app's own steps that often run after the answer (a title, a guard's
-- verdict: app_step, migration 020). answer_votes (and through it kb_gaps and
-- feedback_agreement) and feedback_hourly took the newest generation of any
-- kind; they now take the newest answer (app_step = ''), and the newest
-- generation only when a trace has no answer.

CREATE OR REPLACE VIEW {{db}}.answer_votes {{on_cluster}} AS
WITH
fb AS (
    SELECT project_id, trace_id, span_id, if(user_id = '', id, user_id) AS voter, value, timestamp
    FROM {{db}}.feedback FINAL
    WHERE kind = 'thumbs'
),
latest AS (
    SELECT project_id, trace_id, argMax(span_id, (app_step = '', timestamp)) AS span_id
    FROM {{db}}.llm_spans
    WHERE completion_text != '' AND (project_id, trace_id) IN (SELECT project_id, trace_id FROM fb)
    GROUP BY project_id, trace_id
)
SELECT fb.project_id AS project_id, fb.trace_id AS trace_id,
       if(fb.span_id = '', latest.span_id, fb.span_id) AS span_id, fb.voter AS voter,
       argMax(fb.value, fb.timestamp) AS value, max(fb.timestamp) AS timestamp
FROM fb LEFT JOIN latest ON latest.project_id = fb.project_id AND latest.trace_id = fb.trace_id
GROUP BY project_id, trace_id, span_id, voter;

-- A refreshable view's query cannot be altered in place: the view is made
-- again. Its table keeps every row; the next refresh re-emits the last day.
DROP VIEW IF EXISTS {{db}}.{{local feedback_hourly_mv}} {{on_cluster}};

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
               argMax(service_name, (app_step = '', timestamp)) AS answer_service,
               argMax(if(response_model != '', response_model, request_model), (app_step = '', timestamp)) AS answer_model,
               argMax(topic_id, (app_step = '', timestamp)) AS answer_topic
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
