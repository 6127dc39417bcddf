-- Each topic space's label vocabulary: how many of the project's questions
-- said each word and each adjacent pair of words, which a topic's label is
-- read against (tf × idf, phrases grown from pairs). Summed from the topics'
-- own term tables at a restart instead, it lacked every term a topic had
-- trimmed from its table and every evicted topic's questions, and about one
-- label in ten read otherwise after a restart than before it. Terms said by
-- one question are left out (their topic's own count is the same). One row
-- per project and space, rewritten at most every five minutes while the
-- space takes questions; the newest wins.
CREATE TABLE IF NOT EXISTS {{db}}.{{local topic_vocabulary}} {{on_cluster}} (
    project_id LowCardinality(String),
    embedder LowCardinality(String),
    questions UInt64,
    term_counts Map(String, UInt32),
    updated_at DateTime64(3)
) ENGINE = {{engine ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, embedder)
SETTINGS index_granularity = 8192, {{dedup_window}};

{{distributed topic_vocabulary cityHash64(project_id)}};
