-- The trace stage (pipeline/assemble) writes quality scores after the span rows
-- are stored: one lightweight UPDATE of llm_spans per flush batch, and a
-- lightweight DELETE of superseded evaluations when a trace is re-scored. Both
-- need the block number and offset columns on the table.
ALTER TABLE {{db}}.{{local llm_spans}} {{on_cluster}}
    MODIFY SETTING enable_block_number_column = 1, enable_block_offset_column = 1;

ALTER TABLE {{db}}.{{local evaluations}} {{on_cluster}}
    MODIFY SETTING enable_block_number_column = 1, enable_block_offset_column = 1;
