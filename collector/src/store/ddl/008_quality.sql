-- Trace-level quality (groundedness, relevance), topics and knowledge-base
-- gaps, and implicit feedback. Scores live in long format in `evaluations`;
-- these columns copy the ones dashboards filter on, so a 30-day panel reads
-- one table. NULL means "not scored" (avg() over them skips it, so
-- avg(hallucinated) is the hallucination rate of the scored answers).
ALTER TABLE {{db}}.{{local llm_spans}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS groundedness Nullable(Float32),
    ADD COLUMN IF NOT EXISTS hallucinated Nullable(UInt8),
    ADD COLUMN IF NOT EXISTS answer_relevance Nullable(Float32),
    ADD COLUMN IF NOT EXISTS context_relevance Nullable(Float32),
    ADD COLUMN IF NOT EXISTS kb_gap Nullable(UInt8),
    ADD COLUMN IF NOT EXISTS gap_signals Array(LowCardinality(String));

ALTER TABLE {{db}}.{{local topics}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS representative String,
    ADD COLUMN IF NOT EXISTS embedder LowCardinality(String),
    ADD COLUMN IF NOT EXISTS centroid Array(Float32),
    ADD COLUMN IF NOT EXISTS gap_count UInt64;

ALTER TABLE {{db}}.{{local feedback}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS correction String;

{{redistribute llm_spans cityHash64(trace_id)}};
{{redistribute topics cityHash64(project_id, topic_id)}};
{{redistribute feedback cityHash64(trace_id)}};

-- Knowledge-base gaps per topic and day: what retrieval could not answer.
-- gap_score is the 95 % Wilson lower bound of the gap rate, so a topic with 40
-- gaps in 50 questions outranks one with 1 in 1.
CREATE VIEW IF NOT EXISTS {{db}}.kb_gaps {{on_cluster}} AS
SELECT
    s.project_id AS project_id,
    s.topic_id AS topic_id,
    any(t.label) AS label,
    toStartOfDay(s.timestamp) AS day,
    count() AS questions,
    countIf(s.kb_gap = 1) AS gaps,
    gaps / questions AS gap_rate,
    (gap_rate + 1.9208 / questions - 1.96 * sqrt((gap_rate * (1 - gap_rate) + 0.9604 / questions) / questions))
        / (1 + 3.8416 / questions) AS gap_score,
    groupArrayIf(5)(s.prompt_text, s.kb_gap = 1) AS sample_questions
FROM {{db}}.llm_spans AS s
LEFT JOIN (
    SELECT project_id, topic_id, argMax(label, last_seen) AS label
    FROM {{db}}.topics
    GROUP BY project_id, topic_id
) AS t ON t.project_id = s.project_id AND t.topic_id = s.topic_id
WHERE s.topic_id != 0 AND s.kb_gap IS NOT NULL
GROUP BY project_id, topic_id, day;
