-- The clusterer rewrites a topic as it grows; the newest last_seen wins.
CREATE TABLE IF NOT EXISTS {{db}}.{{local topics}} {{on_cluster}} (
    project_id LowCardinality(String),
    topic_id UInt64,
    label String,
    top_terms Array(String),
    size UInt64,
    first_seen DateTime64(3),
    last_seen DateTime64(3)
) ENGINE = {{engine ReplacingMergeTree(last_seen)}}
ORDER BY (project_id, topic_id)
SETTINGS index_granularity = 8192, {{dedup_window}};

{{distributed topics cityHash64(project_id, topic_id)}};
