-- The thumbs on each generated answer, one row per voter: the rule that
-- kb_gaps (010, 014, 017) and feedback_agreement (012) each spelled out, kept
-- in one place. A voter is the user id, else the feedback id (an anonymous
-- thumb counts once); a voter's newest thumb is the one that stands; a thumb
-- without a span id rates the trace's last generation (the newest llm_spans
-- row with a completion). An answer's verdict is the majority of its rows.

CREATE VIEW IF NOT EXISTS {{db}}.answer_votes {{on_cluster}} AS
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
)
SELECT fb.project_id AS project_id, fb.trace_id AS trace_id,
       if(fb.span_id = '', latest.span_id, fb.span_id) AS span_id, fb.voter AS voter,
       argMax(fb.value, fb.timestamp) AS value, max(fb.timestamp) AS timestamp
FROM fb LEFT JOIN latest ON latest.project_id = fb.project_id AND latest.trace_id = fb.trace_id
GROUP BY project_id, trace_id, span_id, voter;

-- kb_gaps (017), its thumbs-down from answer_votes.
CREATE OR REPLACE VIEW {{db}}.kb_gaps {{on_cluster}} AS
WITH rated_down AS (
    SELECT project_id, trace_id, span_id, 1 AS down
    FROM {{db}}.answer_votes
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

-- feedback_agreement (012), its verdicts from answer_votes.
CREATE OR REPLACE VIEW {{db}}.feedback_agreement {{on_cluster}} AS
WITH
verdicts AS (
    SELECT project_id, trace_id, span_id, countIf(value <= 0) > countIf(value > 0) AS down
    FROM {{db}}.answer_votes
    GROUP BY project_id, trace_id, span_id
    HAVING countIf(value <= 0) != countIf(value > 0)
),
gens AS (
    SELECT project_id, trace_id, span_id,
           if(response_model != '', response_model, request_model) AS model, topic_id, hallucinated
    FROM {{db}}.llm_spans
    WHERE completion_text != '' AND (project_id, trace_id) IN (SELECT project_id, trace_id FROM verdicts)
),
flags AS (
    SELECT project_id, trace_id, span_id, 'groundedness' AS scorer, assumeNotNull(hallucinated) = 1 AS flagged
    FROM gens WHERE hallucinated IS NOT NULL
    UNION ALL
    SELECT project_id, trace_id, span_id, evaluator AS scorer,
           max(label = multiIf(evaluator = 'refusal', 'refusal', evaluator = 'toxicity', 'toxic',
                               evaluator = 'pii', 'pii', 'irrelevant')) AS flagged
    FROM {{db}}.evaluations
    WHERE evaluator IN ('refusal', 'toxicity', 'pii', 'answer_relevance', 'context_relevance')
      AND target IN ('output', 'span')
      AND (project_id, trace_id) IN (SELECT project_id, trace_id FROM verdicts)
    GROUP BY project_id, trace_id, span_id, evaluator
)
SELECT
    v.project_id AS project_id,
    g.model AS model,
    g.topic_id AS topic_id,
    f.scorer AS scorer,
    count() AS rated,
    countIf(f.flagged) AS flagged,
    countIf(v.down) AS thumbs_down,
    countIf(f.flagged AND v.down) AS flagged_down,
    countIf(NOT f.flagged AND NOT v.down) AS passed_up,
    (flagged_down + passed_up) / rated AS agreement,
    (agreement + 1.9208 / rated - 1.96 * sqrt((agreement * (1 - agreement) + 0.9604 / rated) / rated))
        / (1 + 3.8416 / rated) AS agreement_low,
    (agreement + 1.9208 / rated + 1.96 * sqrt((agreement * (1 - agreement) + 0.9604 / rated) / rated))
        / (1 + 3.8416 / rated) AS agreement_high,
    if(flagged = 0, nan, flagged_down / flagged) AS precision,
    if(thumbs_down = 0, nan, flagged_down / thumbs_down) AS recall,
    (flagged / rated) * (thumbs_down / rated) + (1 - flagged / rated) * (1 - thumbs_down / rated) AS chance,
    if(chance >= 1, nan, (agreement - chance) / (1 - chance)) AS kappa
FROM verdicts AS v
INNER JOIN gens AS g ON g.project_id = v.project_id AND g.trace_id = v.trace_id AND g.span_id = v.span_id
INNER JOIN flags AS f ON f.project_id = v.project_id AND f.trace_id = v.trace_id AND f.span_id = v.span_id
GROUP BY project_id, model, topic_id, scorer;
