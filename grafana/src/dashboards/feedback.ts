/**
 * Feedback: explicit thumbs and scores plus implicit signals (regenerate,
 * copy, edit), joined to the answer they are about for model and topic.
 * feedback is a ReplacingMergeTree that SDK retries write twice: FINAL.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { select, varFilter } from '../clickhouse.ts';
import { GENERATION_OPS, MODEL, variables } from './common.ts';
import { row, statPanel, tablePanel, timeSeriesPanel } from './panels.ts';

/**
 * The answer each thumbed trace ended with: model, service and topic of its
 * last generation step. Only traces with feedback are read (feedback is a few
 * per cent of traffic; the trace_id bloom filter skips the rest).
 */
const ANSWERS = `INNER JOIN (
  SELECT trace_id, argMax(${MODEL.replace(' AS model', '')}, timestamp) AS model, argMax(service_name, timestamp) AS service_name, argMax(topic_id, timestamp) AS topic_id
  FROM llm_spans
  WHERE $__timeFilter(timestamp) AND ${GENERATION_OPS} AND ${varFilter('project_id', 'project')}
    AND trace_id IN (SELECT trace_id FROM feedback WHERE $__timeFilter(timestamp) AND kind = 'thumbs' AND ${varFilter('project_id', 'project')})
  GROUP BY trace_id
) AS a ON a.trace_id = f.trace_id`;

const TOPIC_LABELS =
  'LEFT JOIN (SELECT topic_id, argMax(label, last_seen) AS label FROM topics GROUP BY topic_id) AS t ON t.topic_id = a.topic_id';

const thumbs = (...columns: string[]) =>
  select(...columns)
    .from('feedback', 'f')
    .final()
    .join(ANSWERS)
    .inRange()
    .vars('project')
    .where(
      "f.kind = 'thumbs'",
      varFilter('a.service_name', 'service'),
      varFilter('a.model', 'model'),
      varFilter('a.topic_id', 'topic'),
    );

export function feedback(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('Oversight: Feedback')
    .uid('oversight-feedback')
    .tags(['oversight', 'llm', 'feedback'])
    .time({ from: 'now-7d', to: 'now' })
    .refresh('5m')
    .timezone('browser');
  for (const v of variables()) builder.withVariable(v);
  return builder
    .withRow(row('Thumbs'))
    .withPanel(statPanel('Thumbs-up rate', thumbs('avg(f.value) AS thumbs_up_rate'), 'percentunit', 8))
    .withPanel(statPanel('Thumbs given', thumbs('count() AS thumbs'), 'short', 8))
    .withPanel(
      statPanel(
        'Edited answers',
        select('count() AS edits').from('feedback').final().inRange().vars('project').where("kind = 'edit'"),
        'short',
        8,
      ),
    )
    .withPanel(
      tablePanel(
        'Thumbs-up rate by model',
        thumbs('a.model AS model', 'count() AS thumbs', 'avg(f.value) AS thumbs_up_rate')
          .groupBy('model')
          .orderBy('thumbs_up_rate', 'model'),
        12,
      ),
    )
    .withPanel(
      tablePanel(
        'Thumbs-up rate by topic',
        thumbs(
          'a.topic_id AS topic_id',
          "if(any(t.label) != '', any(t.label), toString(a.topic_id)) AS topic",
          'count() AS thumbs',
          'avg(f.value) AS thumbs_up_rate',
        )
          .join(TOPIC_LABELS)
          .groupBy('a.topic_id')
          .orderBy('thumbs_up_rate', 'topic_id'),
        12,
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Feedback by kind',
        select('$__timeInterval(timestamp) AS time', 'kind', 'count() AS events')
          .from('feedback')
          .final()
          .inRange()
          .vars('project')
          .groupBy('time', 'kind')
          .orderBy('time', 'kind'),
        'short',
        24,
      ),
    )
    .withRow(row('Comments'))
    .withPanel(
      tablePanel(
        'Recent comments and corrections',
        select('timestamp', 'trace_id', 'kind', 'value', 'comment', 'correction')
          .from('feedback')
          .final()
          .inRange()
          .vars('project')
          .where("(comment != '' OR correction != '')")
          .orderBy('timestamp DESC')
          .limit(50),
        24,
        'trace_id',
      ),
    );
}
