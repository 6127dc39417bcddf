-- Which generations are steps of the app's own rather than answers to its
-- user (the trace stage's pairing): 'feeds' when the next prompt or search
-- reads the call's output (a question rewritten for retrieval, a hypothetical
-- answer written to search with), 'quotes' when its prompt quotes another
-- call's question or answer and it answers in a few words (a guard's verdict,
-- a title); '' for an answer to the user, and before the trace is scored.
-- Such a step is not grounded against the documents (a title is unsupported
-- by design, not a hallucination), and this column is what tells recovery it
-- was seen, where an answer says so with its scores.
ALTER TABLE {{db}}.{{local llm_spans}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS app_step LowCardinality(String) DEFAULT '';

{{redistribute llm_spans cityHash64(trace_id)}};
