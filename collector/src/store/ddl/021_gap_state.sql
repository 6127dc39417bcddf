-- What a project's knowledge-base gap evidence is read against, kept so a
-- restart does not start it cold. The topics enricher judges a question's top
-- retrieval score by where it sits in the project's own recent scores, against
-- how near the project's earlier questions came to it, and its context
-- relevance among the project's own: reservoirs of recent values (2,048 each,
-- gaps.ts), which lived in memory alone. One row per reservoir, rewritten at
-- most every five minutes while it takes values; the newest wins.
--   kind: 'retrieval' (top scores, key = the score's scale: retrieval or
--   rerank), 'relative' (the readings against the peers, key = scale),
--   'nearness' (key = topic space), 'relevance' (key '').
CREATE TABLE IF NOT EXISTS {{db}}.{{local gap_state}} {{on_cluster}} (
    project_id LowCardinality(String),
    kind LowCardinality(String),
    key String,
    sample Array(Float64),
    seen UInt64,
    updated_at DateTime64(3)
) ENGINE = {{engine ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, kind, key)
SETTINGS index_granularity = 8192, {{dedup_window}};

{{distributed gap_state cityHash64(project_id)}};

-- A topic's graded questions and the sum of their gap scores: the topic's
-- mean score, which every new question's score blends in, so it carries on
-- after a restart as the topic's gap count does.
ALTER TABLE {{db}}.{{local topics}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS graded UInt64,
    ADD COLUMN IF NOT EXISTS gap_score_sum Float64;

{{redistribute topics cityHash64(project_id, topic_id)}};
