/**
 * Hallucination: rate over time by model, service and topic and the
 * groundedness distribution, from the hourly quality roll-up
 * (llm_quality_hourly, migration 011); the worst recent answers ranked from
 * worst_answers_hourly (migration 013), their text from raw rows.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  currentTopic,
  ratio,
  select,
  topicLabel,
  topicMapJoin,
  varFilter,
  wilsonBound,
} from '../clickhouse.ts';
import { variables } from './common.ts';
import { barPanel, row, statPanel, tablePanel, timeSeriesPanel } from './panels.ts';

/** Above this share of hallucinated answers the stat turns red and the alert fires. */
export const HALLUCINATION_ALERT_RATE = 0.1;

const quality = (...columns: string[]) =>
  select(...columns)
    .from('llm_quality_hourly')
    .inRange()
    .vars('project', 'service', 'model', 'topic');

/**
 * The 20 least grounded hallucinated answers, ranked from worst_answers_hourly
 * (migration 013: the worst 20 of every hour, service, model and topic; FINAL
 * and current = 1 for the newest refresh), not from every scored answer of the range.
 * The hour bound keeps the range's first partial hour; the timestamp filter
 * makes the edges exact.
 */
const WORST = select('timestamp', 'trace_id', 'span_id', 'service_name', 'model', 'groundedness')
  .from('worst_answers_hourly')
  .final()
  .where('hour >= toStartOfHour($__fromTime)', 'hour <= $__toTime', '$__timeFilter(timestamp)')
  .vars('project', 'service', 'model', 'topic')
  .where('current = 1')
  .orderBy('groundedness ASC', 'timestamp DESC')
  .limit(20);

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
      statPanel(
        'Hallucination rate',
        quality(`${ratio('sum(hallucinated)', 'sum(scored)')} AS hallucination_rate`),
        'percentunit',
        6,
        { red: HALLUCINATION_ALERT_RATE },
      ),
    )
    .withPanel(statPanel('Scored answers', quality('sum(scored) AS scored'), 'short'))
    .withPanel(
      statPanel(
        'Mean groundedness',
        quality(`${ratio('sum(groundedness_sum)', 'sum(grounded_scored)')} AS groundedness`),
        'percentunit',
      ),
    )
    .withPanel(
      statPanel(
        'Mean answer relevance',
        quality(`${ratio('sum(answer_relevance_sum)', 'sum(relevance_scored)')} AS answer_relevance`),
        'percentunit',
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Hallucination rate by model',
        quality(
          '$__timeInterval(hour) AS time',
          'model',
          `${ratio('sum(hallucinated)', 'sum(scored)')} AS rate`,
        )
          .groupBy('time', 'model')
          .orderBy('time', 'model'),
        'percentunit',
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Hallucination rate by service',
        quality(
          '$__timeInterval(hour) AS time',
          'service_name',
          `${ratio('sum(hallucinated)', 'sum(scored)')} AS rate`,
        )
          .groupBy('time', 'service_name')
          .orderBy('time', 'service_name'),
        'percentunit',
      ),
    )
    .withPanel(
      tablePanel(
        'Hallucination rate by topic',
        select(
          `${currentTopic('q')} AS topic_id`,
          `${topicLabel('q')} AS topic`,
          'sum(q.scored) AS answers',
          'sum(q.hallucinated) AS hallucinated_answers',
          `${ratio('hallucinated_answers', 'answers')} AS rate`,
          `${wilsonBound('hallucinated_answers', 'answers', 'lower')} AS rate_at_least`,
        )
          .from('llm_quality_hourly', 'q')
          .join(topicMapJoin('q'))
          .inRange()
          .vars('project', 'service', 'model', 'topic')
          .groupBy('topic_id')
          .orderBy('rate_at_least DESC', 'topic_id'),
        12,
      ),
    )
    .withPanel(
      barPanel(
        'Groundedness distribution',
        select('toString((decile - 1) / 10) AS bucket', 'answers')
          .fromQuery(quality('sumForEachMerge(groundedness_deciles) AS deciles'), 'd')
          .join('ARRAY JOIN deciles AS answers, arrayEnumerate(deciles) AS decile')
          .where('answers > 0')
          .orderBy('bucket'),
        'bucket',
      ),
    )
    .withRow(row('Answers'))
    .withPanel(
      tablePanel(
        'Worst recent answers',
        select(
          'w.timestamp AS timestamp',
          'w.trace_id AS trace_id',
          'w.service_name AS service_name',
          'w.model AS model',
          'w.groundedness AS groundedness',
          's.prompt_text AS question',
          's.completion_text AS answer',
          'e.explanation AS unsupported',
        )
          .with(
            `worst AS (\n${WORST.toSql()}\n)`,
            // A CTE is run again wherever it is named; a scalar subquery once per query.
            '(SELECT groupUniqArray(trace_id) FROM worst) AS worst_traces',
          )
          .fromCte('worst', 'w')
          .join(
            // Only the 20 rows' text, found by trace id (a bloom-filter index).
            `LEFT JOIN (
  SELECT trace_id, span_id, prompt_text, completion_text
  FROM llm_spans
  WHERE $__timeFilter(timestamp) AND ${varFilter('project_id', 'project')}
    AND trace_id IN (SELECT arrayJoin(worst_traces))
) AS s ON s.trace_id = w.trace_id AND s.span_id = w.span_id`,
          )
          .join(
            `LEFT JOIN (
  SELECT span_id, argMax(explanation, timestamp) AS explanation
  FROM evaluations
  WHERE evaluator = 'groundedness' AND $__timeFilter(timestamp) AND ${varFilter('project_id', 'project')}
    AND trace_id IN (SELECT arrayJoin(worst_traces))
  GROUP BY span_id
) AS e ON e.span_id = w.span_id`,
          )
          .orderBy('w.groundedness ASC', 'w.timestamp DESC'),
        24,
        'trace_id',
      ),
    );
}
