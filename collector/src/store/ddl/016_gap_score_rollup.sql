-- The graded knowledge-base gap score (llm_spans.kb_gap_score, 015) in the
-- hourly roll-up, so the gaps dashboard ranks topics by its mean, which is
-- what `oversight eval --task kb-gaps` measures the top-topic precision of,
-- and not only by the kb_gap flag, which marks the clear cases alone (on
-- banking77 it ranks the top eight topics at 0.44 precision, the mean at
-- 0.60). The trace stage writes the score to the ledger beside the flag, with
-- the same sign bookkeeping.
ALTER TABLE {{db}}.{{local quality_events}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS kb_gap_score Nullable(Float32);

{{redistribute quality_events cityHash64(trace_id)}};

ALTER TABLE {{db}}.{{local llm_quality_hourly}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS gap_scored SimpleAggregateFunction(sum, Int64),
    ADD COLUMN IF NOT EXISTS gap_score_sum SimpleAggregateFunction(sum, Float64);

{{redistribute llm_quality_hourly rand()}};

-- The view of 011 with the two sums added; hours rolled up before this
-- migration read gap_scored = 0 and stay out of the mean.
ALTER TABLE {{db}}.{{local llm_quality_hourly_mv}} {{on_cluster}} MODIFY QUERY
SELECT
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
    sum(toInt64(q.sign) * (ifNull(q.kb_gap, 0) = 1)) AS gaps,
    sum(toInt64(q.sign) * isNotNull(q.kb_gap_score)) AS gap_scored,
    sum(q.sign * toFloat64(ifNull(q.kb_gap_score, 0))) AS gap_score_sum
FROM {{db}}.{{local quality_events}} AS q
GROUP BY project_id, hour, service_name, model, topic_id;
