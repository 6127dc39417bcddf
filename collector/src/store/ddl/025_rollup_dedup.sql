-- Deduplication windows for the tables materialized views fill on insert.
-- A drain round that fails after some of its tables went in is sent again
-- under the same tokens: the source table drops the repeated block, but its
-- views would still push their share of it unless the target table remembers
-- the (derived) token too. The inserts carry
-- deduplicate_blocks_in_dependent_materialized_views = 1; without a window
-- here that setting has nothing to check against, and the hourly roll-ups sum
-- every retried round twice. The refreshable views of 013 and 024 are not fed
-- by inserts and need none.
ALTER TABLE {{db}}.{{local otel_traces_trace_id_ts}} {{on_cluster}} MODIFY SETTING {{dedup_window}};

ALTER TABLE {{db}}.{{local llm_spans_hourly}} {{on_cluster}} MODIFY SETTING {{dedup_window}};

ALTER TABLE {{db}}.{{local evaluations_hourly}} {{on_cluster}} MODIFY SETTING {{dedup_window}};

ALTER TABLE {{db}}.{{local llm_quality_hourly}} {{on_cluster}} MODIFY SETTING {{dedup_window}};
