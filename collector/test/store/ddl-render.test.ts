import { describe, expect, it } from 'vitest';
import { loadMigrations, renderBootstrap, renderDdl } from '../../src/store/ddl-render.ts';

const migrations = loadMigrations();
const renderAll = (options: Parameters<typeof renderDdl>[1]) =>
  migrations.flatMap((migration) => renderDdl(migration.template, options));

describe('DDL templates', () => {
  it('ship as numbered migrations with checksums', () => {
    expect(migrations.map((m) => `${m.version}_${m.name}`)).toEqual([
      '1_otel_traces',
      '2_llm_spans',
      '3_retrieval_documents',
      '4_evaluations',
      '5_topics',
      '6_feedback',
      '7_rollups',
      '8_quality',
      '9_trace_quality',
      '10_kb_gaps_feedback',
      '11_quality_rollup',
      '12_feedback_agreement',
      '13_refreshed_rollups',
      '14_topic_merges',
      '15_kb_gap_score',
      '16_gap_score_rollup',
      '17_kb_gaps_graded',
      '18_answer_votes',
      '19_topic_term_counts',
      '20_app_step',
      '21_gap_state',
      '22_embedder_state',
      '23_topic_vocabulary',
      '24_answer_step',
      '25_rollup_dedup',
      '26_judged',
      '27_feedback_votes',
    ]);
    expect(migrations.every((m) => /^[0-9a-f]{64}$/.test(m.checksum))).toBe(true);
  });

  it('render a single node with MergeTree engines, TTL and the non-replicated dedup window', () => {
    const statements = renderAll({ database: 'oversight', ttlDays: 7, rollupTtlDays: 90, dedupWindow: 500 });
    const traces = statements.find((s) =>
      s.startsWith('CREATE TABLE IF NOT EXISTS `oversight`.otel_traces '),
    );
    expect(traces).toContain('ENGINE = MergeTree\n');
    expect(traces).toContain('PARTITION BY toDate(Timestamp)');
    expect(traces).toContain('ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)');
    expect(traces).toContain('TTL toDateTime(Timestamp) + toIntervalDay(7)');
    expect(traces).toContain('ttl_only_drop_parts = 1, non_replicated_deduplication_window = 500');
    const rollup = statements.find((s) => s.includes('`oversight`.llm_spans_hourly ('));
    expect(rollup).toContain('TTL hour + toIntervalDay(90)');
    expect(statements.some((s) => /ON CLUSTER|Replicated|Distributed|_local/.test(s))).toBe(false);
    expect(statements.every((s) => !s.includes('{{'))).toBe(true);
  });

  it('give every table an insert-fed view writes to a deduplication window of its own', () => {
    const rollupDedup = migrations.find((m) => m.name === 'rollup_dedup');
    const viewTargets = renderAll({ database: 'oversight' })
      .filter((s) => s.startsWith('CREATE MATERIALIZED VIEW') && !s.includes('REFRESH EVERY'))
      .map((s) => /\nTO `oversight`\.(\w+)/.exec(s)?.[1])
      .sort();
    expect(viewTargets).toEqual([
      'evaluations_hourly',
      'llm_quality_hourly',
      'llm_spans_hourly',
      'otel_traces_trace_id_ts',
    ]);
    expect(
      renderDdl(rollupDedup?.template ?? '', { database: 'oversight', dedupWindow: 500 }).sort(),
    ).toEqual(
      viewTargets.map(
        (t) => `ALTER TABLE \`oversight\`.${t} MODIFY SETTING non_replicated_deduplication_window = 500`,
      ),
    );
    expect(renderDdl(rollupDedup?.template ?? '', { database: 'obs', cluster: 'prod' })).toContain(
      'ALTER TABLE `obs`.llm_spans_hourly_local ON CLUSTER `prod` MODIFY SETTING replicated_deduplication_window = 10000',
    );
  });

  it('drop the TTL clause when ttlDays is 0', () => {
    const statements = renderAll({ database: 'oversight', ttlDays: 0, rollupTtlDays: 0 });
    expect(statements.some((s) => s.includes('TTL '))).toBe(false);
  });

  it('render a cluster: ON CLUSTER everywhere, replicated local tables, Distributed tables sharded by trace', () => {
    const statements = [
      ...renderBootstrap({ database: 'obs', cluster: 'prod' }),
      ...renderAll({ database: 'obs', cluster: 'prod' }),
    ];
    expect(statements.every((s) => s.includes('ON CLUSTER `prod`'))).toBe(true);
    expect(statements[0]).toBe('CREATE DATABASE IF NOT EXISTS `obs` ON CLUSTER `prod`');

    const local = statements.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS `obs`.otel_traces_local '));
    expect(local).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
    );
    expect(local).toContain('replicated_deduplication_window = 10000');
    expect(statements).toContain(
      'CREATE TABLE IF NOT EXISTS `obs`.`otel_traces` ON CLUSTER `prod` AS `obs`.`otel_traces_local`\n' +
        'ENGINE = Distributed(`prod`, `obs`, `otel_traces_local`, cityHash64(TraceId))',
    );
    expect(statements).toContain(
      'CREATE TABLE IF NOT EXISTS `obs`.`llm_spans` ON CLUSTER `prod` AS `obs`.`llm_spans_local`\n' +
        'ENGINE = Distributed(`prod`, `obs`, `llm_spans_local`, cityHash64(trace_id))',
    );
    const topics = statements.find((s) => s.includes('`obs`.topics_local ON CLUSTER'));
    expect(topics).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', last_seen)",
    );
    const view = statements.find((s) => s.includes('otel_traces_trace_id_ts_mv'));
    expect(view).toContain(
      'CREATE MATERIALIZED VIEW IF NOT EXISTS `obs`.otel_traces_trace_id_ts_mv_local ON CLUSTER `prod`',
    );
    expect(view).toContain('TO `obs`.otel_traces_trace_id_ts_local');
    expect(view).toContain('FROM `obs`.otel_traces_local');
    const hourly = statements.find(
      (s) => s.includes('llm_spans_hourly_local ON CLUSTER') && s.includes('AggregatingMergeTree'),
    );
    expect(hourly).toContain('ENGINE = ReplicatedAggregatingMergeTree(');
    const distributed = statements.filter((s) => s.includes('ENGINE = Distributed('));
    expect(distributed.map((s) => /`obs`\.`(\w+)`/.exec(s)?.[1])).toEqual([
      'otel_traces',
      'otel_traces_trace_id_ts',
      'llm_spans',
      'retrieval_documents',
      'evaluations',
      'topics',
      'feedback',
      'llm_spans_hourly',
      'evaluations_hourly',
      // 008 adds columns to the local tables, then rebuilds these Distributed tables over them
      'llm_spans',
      'topics',
      'feedback',
      'quality_events',
      'llm_quality_hourly',
      'feedback_hourly',
      'flagged_traces_hourly',
      'gap_signals_hourly',
      'worst_answers_hourly',
      // 014 adds merged_into to topics_local
      'topics',
      // 015 adds kb_gap_score to llm_spans_local
      'llm_spans',
      // 016 adds the graded gap score to the quality ledger and its roll-up
      'quality_events',
      'llm_quality_hourly',
      // 019 adds term_counts to topics_local
      'topics',
      // 020 adds app_step to llm_spans_local
      'llm_spans',
      // 021 makes gap_state, and adds the graded gap counts to topics_local
      'gap_state',
      'topics',
      // 022 makes embedder_state
      'embedder_state',
      // 023 makes topic_vocabulary
      'topic_vocabulary',
      // 026 adds judged to llm_spans_local
      'llm_spans',
    ]);
    // The roll-up's view reads the ledger's new column on each shard's local tables.
    const modified = statements.find((s) =>
      s.includes('llm_quality_hourly_mv_local ON CLUSTER `prod` MODIFY QUERY'),
    );
    expect(modified).toContain('AS gap_score_sum');
    expect(modified).toContain('FROM `obs`.quality_events_local');
    // The refreshed feedback roll-up: every replica computes its own copy from its shard's local tables.
    const feedbackHourly = statements.find((s) => s.includes('`obs`.feedback_hourly_local ON CLUSTER'));
    expect(feedbackHourly).toContain('ENGINE = ReplacingMergeTree(refreshed_at)');
    const refresh = statements.find((s) => s.includes('feedback_hourly_mv_local ON CLUSTER `prod`'));
    expect(refresh).toContain('REFRESH EVERY 5 MINUTE APPEND\nTO `obs`.feedback_hourly_local');
    expect(refresh).toContain('FROM `obs`.feedback_local');
    expect(refresh).toContain('FROM `obs`.llm_spans_local');
    expect(refresh).not.toMatch(/`obs`\.(feedback|llm_spans)\b(?!_)/);
    const rebuilt = statements.indexOf('DROP TABLE IF EXISTS `obs`.`llm_spans` ON CLUSTER `prod` SYNC');
    const altered = statements.findIndex((s) =>
      s.startsWith('ALTER TABLE `obs`.llm_spans_local ON CLUSTER `prod`'),
    );
    expect(altered).toBeGreaterThan(0);
    expect(rebuilt).toBeGreaterThan(altered);
    expect(statements[rebuilt + 1]).toContain('ENGINE = Distributed(`prod`, `obs`, `llm_spans_local`');
  });

  it('refuse names that are not plain identifiers', () => {
    expect(() => renderAll({ database: 'x`; DROP DATABASE y; --' })).toThrow(/invalid database name/);
    expect(() => renderAll({ database: 'ok', cluster: "c' OR 1" })).toThrow(/invalid cluster name/);
  });
});
