-- feedback_hourly counted every thumb: a user who gave an answer a thumb up
-- and then changed it to down counted as two thumbs and a 50 % thumbs-up rate
-- on the Feedback dashboard, where answer_votes (and through it kb_gaps and
-- feedback_agreement) counts one thumb down. The SDK gives each feedback()
-- call an id of its own, so a changed vote is a second row, not a new version
-- of the first. Ratings (thumbs, score) now count as answer_votes counts them:
-- one per voter (the user id, else the feedback id) and trace step, the
-- newest, in the hour it was given; comments and corrections still count one
-- per id. The refresh reads the last day, so a vote changed more than a day
-- after the first still counts both.
DROP VIEW IF EXISTS {{db}}.{{local feedback_hourly_mv}} {{on_cluster}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local feedback_hourly_mv}} {{on_cluster}}
REFRESH EVERY 5 MINUTE APPEND
TO {{db}}.{{local feedback_hourly}}
AS
WITH
    (SELECT least(toStartOfHour(now()) - INTERVAL 1 DAY, max(hour)) FROM {{db}}.{{local feedback_hourly}}) AS since,
    -- DateTime wraps below 1970: the first run starts at 0 and must not.
    toDateTime(greatest(toUInt32(since), 86400) - 86400) AS answers_since,
    versions AS (
        SELECT project_id, trace_id, id, argMax(span_id, timestamp) AS span_id, argMax(user_id, timestamp) AS user_id,
               argMax(kind, timestamp) AS kind, argMax(value, timestamp) AS given, max(timestamp) AS given_at
        FROM {{db}}.{{local feedback}}
        WHERE timestamp >= since
        GROUP BY project_id, trace_id, id
    ),
    fb AS (
        SELECT project_id, trace_id, kind AS fb_kind, argMax(given, given_at) AS fb_value, max(given_at) AS at
        FROM versions
        GROUP BY project_id, trace_id, span_id, kind,
                 if(kind IN ('thumbs', 'score') AND user_id != '', user_id, id) AS voter
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
