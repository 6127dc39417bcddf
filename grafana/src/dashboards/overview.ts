/**
 * Overview: traffic, errors, latency, time to first token, tokens and cost,
 * from the hourly roll-up (a range's partial hours from raw rows): traffic,
 * errors and latency of the model's answers, tokens and cost of every priced
 * call (embeddings, reranking, decisions, speech and remote agents too).
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { ratio, select, varFilter } from '../clickhouse.ts';
import { GENERATION_OPS, MODEL, spendRows, variables } from './common.ts';
import { row, statPanel, tablePanel, timeSeriesPanel } from './panels.ts';

// Aliased, so a condition can name a column that a SELECT alias (`sum(cost_usd) AS cost_usd`) shadows.
const rollup = (...columns: string[]) =>
  select(...columns)
    .from('llm_spans_hourly', 's')
    .inRange()
    .vars('project', 'service', 'model');

/** The model's answers: what requests, errors and latency are about. */
const hourly = (...columns: string[]) => rollup(...columns).where(GENERATION_OPS);

/** Every call a provider bills: embeddings, reranking, decisions, speech and remote agents cost money too. */
const spend = (...columns: string[]) => rollup(...columns).where(spendRows('s'));

const AGENT_RUN = "operation IN ('invoke_agent', 'invoke_workflow')";

/**
 * Traces with a failed step other than an agent run: an agent or workflow run
 * inside the app fails with the call that failed in it, so its row would list
 * the same failure again. A remote agent's failure has no such step and stays.
 */
const FAILED_STEPS = `SELECT trace_id FROM llm_spans
  WHERE $__timeFilter(timestamp) AND ${varFilter('project_id', 'project')} AND status = 'error' AND NOT ${AGENT_RUN}`;

export function overview(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('Oversight: Overview')
    .uid('oversight-overview')
    .tags(['oversight', 'llm'])
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .timezone('browser');
  for (const v of variables('project', 'service', 'model')) builder.withVariable(v);
  return builder
    .withRow(row('Traffic'))
    .withPanel(statPanel('Requests', hourly('sum(calls) AS requests'), 'short'))
    .withPanel(
      // 1 % and 5 %: the usual bounds of an availability objective (99 %, 95 %).
      statPanel(
        'Error rate',
        hourly(`${ratio('sum(errors)', 'sum(calls)')} AS error_rate`),
        'percentunit',
        6,
        {
          orange: 0.01,
          red: 0.05,
        },
      ),
    )
    .withPanel(statPanel('Cost', spend('sum(cost_usd) AS cost_usd'), 'currencyUSD'))
    .withPanel(statPanel('Tokens', spend('sum(input_tokens) + sum(output_tokens) AS tokens'), 'short'))
    .withPanel(
      timeSeriesPanel(
        'Requests and errors',
        hourly('$__timeInterval(hour) AS time', 'sum(calls) AS requests', 'sum(errors) AS errors')
          .groupBy('time')
          .orderBy('time'),
        'short',
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Latency p50 / p95 / p99',
        hourly(
          '$__timeInterval(hour) AS time',
          'quantilesTDigestMerge(0.5, 0.95, 0.99)(duration_ms_quantiles) AS q',
          'q[1] AS p50',
          'q[2] AS p95',
          'q[3] AS p99',
        )
          .groupBy('time')
          .orderBy('time'),
        'ms',
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Time to first token p50 / p95',
        hourly(
          '$__timeInterval(hour) AS time',
          'quantilesTDigestMerge(0.5, 0.95)(ttft_ms_quantiles) AS q',
          'q[1] AS ttft_p50',
          'q[2] AS ttft_p95',
        )
          .groupBy('time')
          // A bucket whose answers were all returned whole merges empty digests into NaN: no point, not a NaN one.
          .having('NOT isNaN(ttft_p50)')
          .orderBy('time'),
        'ms',
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Tokens by model',
        spend('$__timeInterval(hour) AS time', 'model', 'sum(input_tokens) + sum(output_tokens) AS tokens')
          .groupBy('time', 'model')
          .orderBy('time', 'model'),
        'short',
      ),
    )
    .withRow(row('Cost'))
    .withPanel(
      tablePanel(
        'Cost and tokens by model and service',
        spend(
          'model',
          'service_name',
          'sum(calls) AS requests',
          'sum(input_tokens) AS input_tokens',
          'sum(output_tokens) AS output_tokens',
          'sum(cost_usd) AS cost_usd',
          'sum(errors) / sum(calls) AS error_rate',
        )
          .groupBy('model', 'service_name')
          .orderBy('cost_usd DESC', 'model', 'service_name'),
        24,
      ),
    )
    .withRow(row('Recent errors'))
    .withPanel(
      tablePanel(
        'Recent failed calls',
        select(
          'timestamp',
          'trace_id',
          'service_name',
          'operation',
          MODEL,
          'error_type',
          'status_message',
          'duration_ns / 1e6 AS duration_ms',
        )
          .from('llm_spans')
          .inRange()
          .vars('project', 'service', 'model')
          .where("status = 'error'", `NOT (${AGENT_RUN} AND trace_id IN (${FAILED_STEPS}))`)
          .orderBy('timestamp DESC')
          .limit(50),
        24,
        'trace_id',
      ),
    );
}
