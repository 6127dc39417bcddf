-- A graded knowledge-base gap score per question, beside the kb_gap flag. The
-- flag marks the clear cases only; the score ranks: the question's own
-- evidence (where its top retrieval score sits in the project's own
-- distribution, and any other gap signal) blended evenly with the mean of its
-- topic's questions so far. What `oversight eval --task kb-gaps` reports the
-- AUROC of. NULL = not assessed.
ALTER TABLE {{db}}.{{local llm_spans}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS kb_gap_score Nullable(Float32);

{{redistribute llm_spans cityHash64(trace_id)}};
