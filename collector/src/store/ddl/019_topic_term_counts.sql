-- A topic's label counts: how many of its questions said each of its terms
-- (content words and adjacent pairs of them, at most 64). A label is read from
-- these beside the project's counts (tf × idf, phrases grown from pairs).
-- Before this column a restart had only top_terms to go on, and rebuilt the
-- counts from their ranks: about two in five labels then came out otherwise
-- than before the restart. Empty in tombstones and in rows written before it.
ALTER TABLE {{db}}.{{local topics}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS term_counts Map(String, UInt32);

{{redistribute topics cityHash64(project_id, topic_id)}};
