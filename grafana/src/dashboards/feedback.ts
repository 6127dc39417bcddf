/**
 * Feedback: explicit thumbs and scores plus implicit signals (regenerate,
 * copy, edit). Counts and rates come from the hourly roll-up feedback_hourly
 * (migration 013: feedback deduplicated by id, each row with the service,
 * model and topic of the answer it is about, refreshed every 5 minutes), so a
 * 30-day view reads hours instead of joining every thumb to its answer; the
 * parts of hours at the range's ends are joined from raw rows
 * (rollupInRange). The comment list reads raw rows, for its 50 newest.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { currentTopic, ratio, select, topicLabel, topicMapJoin, wilsonBound } from '../clickhouse.ts';
import { NOT_NARROWED_BY, variables } from './common.ts';
import { row, statPanel, tablePanel, timeSeriesPanel } from './panels.ts';

/**
 * ReplacingMergeTree keeps each refresh's newest row: FINAL (rollupInRange
 * adds it), then sum. A group an hour lost stays as a zero row, so grouped
 * panels drop empty groups.
 * Narrowed by the service, model and topic of the answer the feedback is
 * about; with "All", feedback on no known answer counts too.
 */
const rollup = (...columns: string[]) =>
  select(...columns)
    .from('feedback_hourly', 'f')
    .inRange()
    .vars('project', 'service', 'model', 'topic');

/**
 * Every thumb: one on a trace whose answer the roll-up did not find (a day
 * or more late, or its spans never sent) still counts while nothing narrows
 * by service, model or topic; a pick leaves it out, as it has none of them.
 */
const allThumbs = (...columns: string[]) => rollup(...columns).where("f.kind = 'thumbs'");

/** Thumbs on traces with an answer: the breakdowns by the answer's model and topic. */
const thumbs = (...columns: string[]) => allThumbs(...columns).where('f.answered = 1');

/**
 * Candidates for the 50 newest feedback with text: the newest 100 such rows,
 * found by a top-N sort (a LIMIT BY id here would sort every row), so up to 50
 * resent ids still leave 50. Only their rows are then read whole, by primary
 * key and FINAL, so a resent id shows once, as its newest version.
 */
const RECENT_WITH_TEXT = `(project_id, trace_id, id) IN (
  SELECT project_id, trace_id, id
  FROM feedback
  WHERE $__timeFilter(timestamp) AND $__conditionalAll(project_id IN (\${project:singlequote}), $project)
    AND (comment != '' OR correction != '')
  ORDER BY timestamp DESC
  LIMIT 100
)`;

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
    .withPanel(
      statPanel(
        'Thumbs-up rate',
        allThumbs(`${ratio('sum(f.value_sum)', 'sum(f.events)')} AS thumbs_up_rate`),
        'percentunit',
        8,
      ),
    )
    .withPanel(statPanel('Thumbs given', allThumbs('sum(f.events) AS thumbs'), 'short', 8))
    .withPanel(
      statPanel('Edited answers', rollup('sum(f.events) AS edits').where("f.kind = 'edit'"), 'short', 8),
    )
    .withPanel(
      tablePanel(
        'Thumbs-up rate by model',
        thumbs(
          'f.model AS model',
          'sum(f.events) AS thumbs',
          'sum(f.value_sum) / thumbs AS thumbs_up_rate',
          `${wilsonBound('sum(f.value_sum)', 'thumbs', 'upper')} AS thumbs_up_rate_at_most`,
        )
          .groupBy('model')
          .having('thumbs > 0')
          .orderBy('thumbs_up_rate_at_most', 'model'),
        12,
      ),
    )
    .withPanel(
      tablePanel(
        'Thumbs-up rate by topic',
        thumbs(
          `${currentTopic('f')} AS topic_id`,
          `${topicLabel('f')} AS topic`,
          'sum(f.events) AS thumbs',
          'sum(f.value_sum) / thumbs AS thumbs_up_rate',
          `${wilsonBound('sum(f.value_sum)', 'thumbs', 'upper')} AS thumbs_up_rate_at_most`,
        )
          .join(topicMapJoin('f'))
          .groupBy('topic_id')
          .having('thumbs > 0')
          .orderBy('thumbs_up_rate_at_most', 'topic_id'),
        12,
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Feedback by kind',
        rollup('$__timeInterval(f.hour) AS time', 'f.kind AS kind', 'sum(f.events) AS events')
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
          .where(RECENT_WITH_TEXT, "(comment != '' OR correction != '')")
          .orderBy('timestamp DESC')
          .limit(50),
        24,
        'trace_id',
      ).description(NOT_NARROWED_BY(['service', 'model', 'topic'], 'raw feedback rows carry none of them')),
    );
}
