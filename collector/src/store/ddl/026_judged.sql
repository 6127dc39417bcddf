-- Which generations the trace stage has judged, whatever it found: 1 once it
-- has paired a generation and written what the enrichers made of it, scores
-- or none. A generation with no question and no context (no user turn, no
-- retrieval: a prompt given as instructions alone) gets no score and is no
-- step of the app's own, so without this nothing said it was seen: recovery
-- read it back at every start, and enough of them filled its limit ahead of
-- generations it could score. Back to 0 while a re-score supersedes the old
-- scores, so a crash before the new ones are set leaves it to recovery.
-- Rows written before this migration keep 0: recovery also looks for NULL
-- scores and app_step = '', as it did.
ALTER TABLE {{db}}.{{local llm_spans}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS judged UInt8 DEFAULT 0;

{{redistribute llm_spans cityHash64(trace_id)}};
