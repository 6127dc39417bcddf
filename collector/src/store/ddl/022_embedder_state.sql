-- What each project's built-in topics embedder learnt from its questions,
-- kept so a restart embeds as the running collector did: the IDF table of its
-- hashed features (only the non-zero slots of the 65,536, with how many
-- questions said each), the running mean its sentence student's part is
-- centred on, and whether the student reads the project's language. Rebuilt
-- from one question per topic instead, every cosine moved a little after a
-- restart. One row per project and embedder, rewritten at most every five
-- minutes while the project asks questions; the newest wins, and a row for
-- another embedder (another student's weights) is left unread.
CREATE TABLE IF NOT EXISTS {{db}}.{{local embedder_state}} {{on_cluster}} (
    project_id LowCardinality(String),
    embedder LowCardinality(String),
    documents UInt64,
    df_slots Array(UInt32),
    df_counts Array(UInt32),
    mean Array(Float64),
    mean_seen UInt32,
    coverage Float64,
    coverage_seen UInt32,
    student_reads Bool,
    updated_at DateTime64(3)
) ENGINE = {{engine ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, embedder)
SETTINGS index_granularity = 8192, {{dedup_window}};

{{distributed embedder_state cityHash64(project_id)}};
