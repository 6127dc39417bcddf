-- Merged topics. The clusterer merges near-duplicate topics, and rows of
-- llm_spans (and the roll-ups built from them) written before a merge keep the
-- merged-away topic's id. Its tombstone in `topics` (size 0) names the live
-- topic that took its questions (merged_into; rewritten when that one is
-- merged in turn, so it is always one step from a live topic), and
-- `topic_map` resolves every topic id ever written to the topic it belongs to
-- now, with that topic's label: kb_gaps and the by-topic panels group by it.
ALTER TABLE {{db}}.{{local topics}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS merged_into UInt64 DEFAULT 0;

{{redistribute topics cityHash64(project_id, topic_id)}};

CREATE OR REPLACE VIEW {{db}}.topic_map {{on_cluster}} AS
WITH latest AS (
    SELECT project_id, topic_id,
           argMax(merged_into, last_seen) AS merged_into,
           -- Size-0 rows are tombstones: a topic's label is its last real one.
           argMaxIf(label, last_seen, size > 0) AS label
    FROM {{db}}.topics
    GROUP BY project_id, topic_id
)
SELECT l.project_id AS project_id,
       l.topic_id AS topic_id,
       if(l.merged_into = 0, l.topic_id, l.merged_into) AS current_topic_id,
       if(c.label != '', c.label, l.label) AS label
FROM latest AS l
LEFT JOIN latest AS c ON c.project_id = l.project_id AND c.topic_id = l.merged_into;

-- kb_gaps (010) by the topic a question belongs to now.
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
    countIf(d.down = 1) AS negative_feedback
FROM {{db}}.llm_spans AS s
LEFT JOIN {{db}}.topic_map AS t ON t.project_id = s.project_id AND t.topic_id = s.topic_id
LEFT JOIN rated_down AS d ON d.project_id = s.project_id AND d.trace_id = s.trace_id AND d.span_id = s.span_id
WHERE s.topic_id != 0 AND (s.kb_gap IS NOT NULL OR d.down = 1)
GROUP BY project_id, topic_id, day;
