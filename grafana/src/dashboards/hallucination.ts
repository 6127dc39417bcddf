/**
 * Hallucination: rate over time by model, service and topic, the groundedness
 * distribution and the worst recent answers. `hallucinated` and
 * `groundedness` are NULL when an answer was not scored, so avg() is the rate
 * among scored answers.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { select } from '../clickhouse.ts';
import { MODEL, variables } from './common.ts';
import { barPanel, row, statPanel, tablePanel, timeSeriesPanel } from './panels.ts';

const scored = (...columns: string[]) =>
  select(...columns)
    .from('llm_spans')
    .inRange()
    .vars('project', 'service', 'model', 'topic')
    .where('hallucinated IS NOT NULL');

export function hallucination(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('Oversight: Hallucination')
    .uid('oversight-hallucination')
    .tags(['oversight', 'llm', 'quality'])
    .time({ from: 'now-7d', to: 'now' })
    .refresh('5m')
    .timezone('browser');
  for (const v of variables()) builder.withVariable(v);
  return builder
    .withRow(row('Rate'))
    .withPanel(
      statPanel('Hallucination rate', scored('avg(hallucinated) AS hallucination_rate'), 'percentunit'),
    )
    .withPanel(statPanel('Scored answers', scored('count() AS scored'), 'short'))
    .withPanel(statPanel('Mean groundedness', scored('avg(groundedness) AS groundedness'), 'percentunit'))
    .withPanel(
      statPanel('Mean answer relevance', scored('avg(answer_relevance) AS answer_relevance'), 'percentunit'),
    )
    .withPanel(
      timeSeriesPanel(
        'Hallucination rate by model',
        scored('$__timeInterval(timestamp) AS time', MODEL, 'avg(hallucinated) AS rate')
          .groupBy('time', 'model')
          .orderBy('time', 'model'),
        'percentunit',
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Hallucination rate by service',
        scored('$__timeInterval(timestamp) AS time', 'service_name', 'avg(hallucinated) AS rate')
          .groupBy('time', 'service_name')
          .orderBy('time', 'service_name'),
        'percentunit',
      ),
    )
    .withPanel(
      tablePanel(
        'Hallucination rate by topic',
        select(
          's.topic_id AS topic_id',
          "if(any(t.label) != '', any(t.label), toString(s.topic_id)) AS topic",
          'count() AS answers',
          'sum(s.hallucinated) AS hallucinated',
          'avg(s.hallucinated) AS rate',
        )
          .from('llm_spans', 's')
          .join(
            'LEFT JOIN (SELECT topic_id, argMax(label, last_seen) AS label FROM topics GROUP BY topic_id) AS t ON t.topic_id = s.topic_id',
          )
          .inRange()
          .vars('project', 'service', 'model', 'topic')
          .where('s.hallucinated IS NOT NULL')
          .groupBy('s.topic_id')
          .orderBy('rate DESC', 'topic_id'),
        12,
      ),
    )
    .withPanel(
      barPanel(
        'Groundedness distribution',
        scored('floor(groundedness * 10) / 10 AS bucket', 'count() AS answers')
          .where('groundedness IS NOT NULL')
          .groupBy('bucket')
          .orderBy('bucket'),
        'bucket',
      ),
    )
    .withRow(row('Answers'))
    .withPanel(
      tablePanel(
        'Worst recent answers',
        select(
          's.timestamp AS timestamp',
          's.trace_id AS trace_id',
          's.service_name AS service_name',
          MODEL,
          's.groundedness AS groundedness',
          's.prompt_text AS question',
          's.completion_text AS answer',
          'e.explanation AS unsupported',
        )
          .from('llm_spans', 's')
          .join(
            "LEFT JOIN (SELECT span_id, argMax(explanation, timestamp) AS explanation FROM evaluations WHERE evaluator = 'groundedness' AND $__timeFilter(timestamp) GROUP BY span_id) AS e ON e.span_id = s.span_id",
          )
          .inRange()
          .vars('project', 'service', 'model', 'topic')
          .where('s.hallucinated = 1')
          .orderBy('s.groundedness ASC', 's.timestamp DESC')
          .limit(20),
        24,
        'trace_id',
      ),
    );
}
