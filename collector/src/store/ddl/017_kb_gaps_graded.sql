-- kb_gaps (014) with the graded gap score beside the flags. The view ranked
-- topics only by gap_score, the Wilson bound of the flagged share, and the
-- flag marks the clear cases alone; the graded score (llm_spans.kb_gap_score,
-- 015) is what the gaps dashboard ranks by and what `oversight eval --task
-- kb-gaps` measures (top eight topics' precision on banking77: 0.60 by its
-- mean, 0.44 by the flags). `graded` and `gap_score_sum` add up over days;
-- mean_gap_score is the day's mean (NULL on a day of feedback alone).

CREATE OR REPLACE VIEW {{db}}.kb_gaps {{on_cluster}} AS
WITH
fb AS (
    SELECT project_id, trace_id, span_id, if(user_id = '', id, user_id) AS voter, value, timestamp
    FROM {{db}}.feedback FINAL
    WHERE kind = 'thumbs'
),
latest AS (
    SELECT project_id, trace_id, argMax(span_id, timestamp) AS span_id
    FROM {{db}}.llm_spans
    WHERE completion_text != '' AND (project_id, trace_id) IN (SELECT project_id, trace_id FROM fb)
    GROUP BY project_id, trace_id
),
votes AS (
    SELECT fb.project_id AS project_id, fb.trace_id AS trace_id,
           if(fb.span_id = '', latest.span_id, fb.span_id) AS gen_span_id, fb.voter AS voter,
           argMax(fb.value, fb.timestamp) AS value
    FROM fb LEFT JOIN latest ON latest.project_id = fb.project_id AND latest.trace_id = fb.trace_id
    GROUP BY project_id, trace_id, gen_span_id, voter
),
rated_down AS (
    SELECT project_id, trace_id, gen_span_id AS span_id, 1 AS down
    FROM votes
    GROUP BY project_id, trace_id, span_id
    HAVING countIf(value <= 0) > countIf(value > 0)
)
SELECT
    s.project_id AS project_id,
    -- A topic id the topics table never had (written before its first snapshot) stands for itself.
    if(t.current_topic_id != 0, t.current_topic_id, s.topic_id) AS topic_id,
    any(t.label) AS label,
    toStartOfDay(s.timestamp) AS day,
    count() AS questions,
    countIf(s.kb_gap = 1 OR d.down = 1) AS gaps,
    gaps / questions AS gap_rate,
    (gap_rate + 1.9208 / questions - 1.96 * sqrt((gap_rate * (1 - gap_rate) + 0.9604 / questions) / questions))
        / (1 + 3.8416 / questions) AS gap_score,
    groupArrayIf(5)(s.prompt_text, s.kb_gap = 1 OR d.down = 1) AS sample_questions,
    countIf(d.down = 1) AS negative_feedback,
    count(s.kb_gap_score) AS graded,
    sum(toFloat64(ifNull(s.kb_gap_score, 0))) AS gap_score_sum,
    if(graded > 0, gap_score_sum / graded, NULL) AS mean_gap_score
FROM {{db}}.llm_spans AS s
LEFT JOIN {{db}}.topic_map AS t ON t.project_id = s.project_id AND t.topic_id = s.topic_id
LEFT JOIN rated_down AS d ON d.project_id = s.project_id AND d.trace_id = s.trace_id AND d.span_id = s.span_id
WHERE s.topic_id != 0 AND (s.kb_gap IS NOT NULL OR d.down = 1)
GROUP BY project_id, topic_id, day;
