-- How often each automatic scorer agrees with what users said about the same
-- answer, per project, model, topic and scorer. A rated generation is one
-- with more thumbs one way than the other (one vote per user, the newest;
-- feedback without a span id rates the trace's last generation); a scorer
-- "agrees" when it flagged a thumbed-down answer or passed a thumbed-up one.
-- Counts are additive: re-aggregate them with sum() for coarser groups and
-- recompute the rates. agreement_low/high are the 95 % Wilson interval;
-- kappa is Cohen's kappa (agreement beyond what the two base rates give by
-- chance: 0 = chance, 1 = perfect; near 0 with high agreement means the
-- scorer almost never fires or users almost never thumb down).
CREATE VIEW IF NOT EXISTS {{db}}.feedback_agreement {{on_cluster}} AS
WITH
fb AS (
    SELECT project_id, trace_id, span_id, if(user_id = '', id, user_id) AS voter, value, timestamp
    FROM {{db}}.feedback FINAL
    WHERE kind = 'thumbs'
),
gens AS (
    SELECT project_id, trace_id, span_id, timestamp,
           if(response_model != '', response_model, request_model) AS model, topic_id, hallucinated
    FROM {{db}}.llm_spans
    WHERE completion_text != '' AND (project_id, trace_id) IN (SELECT project_id, trace_id FROM fb)
),
latest AS (
    SELECT project_id, trace_id, argMax(span_id, timestamp) AS span_id FROM gens GROUP BY project_id, trace_id
),
votes AS (
    SELECT fb.project_id AS project_id, fb.trace_id AS trace_id,
           if(fb.span_id = '', latest.span_id, fb.span_id) AS gen_span_id, fb.voter AS voter,
           argMax(fb.value, fb.timestamp) AS value
    FROM fb LEFT JOIN latest ON latest.project_id = fb.project_id AND latest.trace_id = fb.trace_id
    GROUP BY project_id, trace_id, gen_span_id, voter
),
verdicts AS (
    SELECT project_id, trace_id, gen_span_id AS span_id, countIf(value <= 0) > countIf(value > 0) AS down
    FROM votes
    GROUP BY project_id, trace_id, span_id
    HAVING countIf(value <= 0) != countIf(value > 0)
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
      AND (project_id, trace_id) IN (SELECT project_id, trace_id FROM fb)
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
