/**
 * Which figure of a section is the same-run baseline of which: the results
 * file and BENCHMARKS.md print every figure next to the one it should be read
 * against. Sections keep returning flat figures; the pairing lives here so it
 * is one table to review. A rule rewrites a figure's name into its baseline's;
 * it applies when that figure exists and is a different one.
 */
type Rule = [pattern: RegExp, baseline: string];

const RULES: Record<string, Rule[]> = {
  ingest: [
    [/^collector_(all|all_in_process|none)_spans_per_s$/, 'raw_insert_spans_per_s'],
    [/^collector_(all|all_in_process)_spans_per_cpu_s$/, 'collector_none_spans_per_cpu_s'],
    [/^collector_(all|none)_peak_rss_mb$/, 'raw_insert_peak_rss_mb'],
    [/^collector_(all|all_in_process)_loop_stall_max_ms$/, 'collector_none_loop_stall_max_ms'],
  ],
  freshness: [[/^visible_(p50|p99)_ms$/, 'ack_$1_ms']],
  load: [[/^(accepted|stored|stored_llm_spans|lost)$/, 'offered']],
  // guard and export name their baselines `baseline.<figure>`.
  feedback: [[/^feedback_(req_per_s|ack_p50_ms|ack_p99_ms)$/, 'traces_one_span_$1']],
  // guard.output with context is read against guard.output without it.
  guard: [
    [/^output_with_(?:prepared_)?context\.(median_us|p99_us)$/, 'output.$1'],
    [/^(?!baseline\.)(?:input|output|scorer\.[a-z_]+)\.(median_us|p99_us)$/, 'baseline.$1'],
  ],
  'trace-quality': [[/^on_(spans_per_s|cpu_s|peak_rss_mb|loop_delay_p99_ms|loop_stall_max_ms)$/, 'off_$1']],
  export: [[/^(?:kto|dpo)\.(seconds|feedback_rows_per_s|peak_rss_mb)$/, 'baseline.$1']],
  scoring: [
    [/^all_(spans_per_s|spans_per_cpu_s)$/, 'none_$1'],
    [/^linear3_(\d+)b_windows_us$/, 'linear3_$1b_whole_us'],
  ],
  groundedness: [[/^(groundedness|allThree)PairsPerCoreS$/, 'overlapPairsPerCoreS']],
  topics: [
    [/^(assign_qps_100_topics|assign_qps_10k_topics|stream_qps)$/, 'embed_only_qps'],
    [/^heap_mib_(after_stream|quarter_stream)$/, 'heap_mib_embedders_only'],
    [/^use_(assign_qps_per_core|assign_qps_wall)$/, 'assign_qps_100_topics'],
    // A repeat is read against the same questions' first, encoded pass.
    [/^use_repeat_qps_per_core$/, 'use_assign_qps_per_core'],
    [/^student_assign_qps_100_topics$/, 'assign_qps_100_topics'],
    // What the enricher's gap part adds per question, beside the assign() it runs with.
    [/^gap_scoring_qps$/, 'assign_qps_100_topics'],
    [/^student_assign_qps_10k_topics$/, 'assign_qps_10k_topics'],
    [/^student_stream_qps$/, 'stream_qps'],
    // The student's 10k-topic space (its dense columns too) against the hashed one's.
    [/^student_heap_mib_10k_topics$/, 'heap_mib_10k_topics'],
    // Where the student's cost per topic starts to tell, against its own ~100-topic figure.
    [/^student_assign_qps_1k_topics$/, 'student_assign_qps_100_topics'],
    [/^use_loop_delay_(p99|max)_ms$/, 'idle_loop_delay_$1_ms'],
    // The projected index against the scan it replaces, same topics and questions.
    [/^dense_assign_qps_5k_topics$/, 'dense_assign_qps_5k_topics_linear'],
    // A question that also carries a step of the fit, against one the scan answers.
    [/^dense_fit_slowest_ms_5k_topics$/, 'dense_linear_ms_5k_topics'],
  ],
  decode: [[/^otlp\.decode\.json\.(.+)$/, 'otlp.decode.protobuf.$1']],
  wal: [[/^wal\.(small_4kb\.)?group_commit\.appends_per_s$/, 'wal.$1serial.appends_per_s']],
  'sdk-overhead': [[/^(.+)\.(?:oversight|openllmetry)_(median_us|p99_us|cpu_us)$/, '$1.bare_$2']],
};

/** `{ figure: baselineFigure }` for every figure of `section` that has a baseline among `figures`. */
export function baselinesOf(section: string, figures: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const figure of Object.keys(figures)) {
    for (const [pattern, replacement] of RULES[section] ?? []) {
      if (!pattern.test(figure)) continue;
      const baseline = figure.replace(pattern, replacement);
      if (baseline !== figure && baseline in figures) {
        out[figure] = baseline;
        break;
      }
    }
  }
  return out;
}
