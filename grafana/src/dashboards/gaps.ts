/**
 * Knowledge-base gaps: which topics retrieval cannot answer. Gap score is the
 * 95 % Wilson lower bound of the gap rate over the whole range (the kb_gaps
 * view's per-day rows summed, then bounded), so a busy topic outranks a
 * one-question one.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { select } from '../clickhouse.ts';
import { variables } from './common.ts';
import { barPanel, row, tablePanel, timeSeriesPanel } from './panels.ts';

const WILSON =
  '(gaps / questions + 1.9208 / questions - 1.96 * sqrt((gaps / questions * (1 - gaps / questions) + 0.9604 / questions) / questions)) / (1 + 3.8416 / questions)';

export function gaps(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('Oversight: Knowledge-base gaps')
    .uid('oversight-kb-gaps')
    .tags(['oversight', 'rag', 'quality'])
    .time({ from: 'now-30d', to: 'now' })
    .refresh('15m')
    .timezone('browser');
  for (const v of variables()) builder.withVariable(v);
  return builder
    .withRow(row('Topics'))
    .withPanel(
      tablePanel(
        'Topics ranked by gap score',
        select(
          'topic_id',
          'any(label) AS topic',
          'sum(questions) AS questions',
          'sum(gaps) AS gaps',
          'gaps / questions AS gap_rate',
          `${WILSON} AS gap_score`,
          'arraySlice(arrayDistinct(arrayFlatten(groupArray(sample_questions))), 1, 5) AS sample_questions',
        )
          .from('kb_gaps')
          .inRange()
          .vars('project', 'topic')
          .groupBy('topic_id')
          .orderBy('gap_score DESC', 'topic_id')
          .limit(50),
        24,
      ),
    )
    .withPanel(
      tablePanel(
        'New topics',
        select(
          'topic_id',
          'argMax(label, last_seen) AS topic',
          'min(first_seen) AS first_seen',
          'argMax(size, last_seen) AS questions',
          'argMax(gap_count, last_seen) AS gaps',
          'argMax(representative, last_seen) AS representative',
        )
          .from('topics')
          .vars('project', 'topic')
          .groupBy('topic_id')
          .where(
            'topic_id IN (SELECT topic_id FROM topics GROUP BY topic_id HAVING $__timeFilter(min(first_seen)))',
          )
          .orderBy('first_seen DESC', 'topic_id')
          .limit(50),
        12,
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Gap rate by topic',
        select('day AS time', "if(label != '', label, toString(topic_id)) AS topic", 'gap_rate')
          .from('kb_gaps')
          .inRange()
          .vars('project', 'topic')
          .orderBy('time', 'topic'),
        'percentunit',
      ),
    )
    .withRow(row('Retrieval'))
    .withPanel(
      barPanel(
        'Top retrieval score distribution',
        select('floor(top_score * 10) / 10 AS bucket', 'count() AS retrievals')
          .fromQuery(
            select('span_id', 'max(score) AS top_score')
              .from('retrieval_documents')
              .inRange()
              .vars('project')
              .where('score IS NOT NULL')
              .groupBy('span_id'),
            'r',
          )
          .groupBy('bucket')
          .orderBy('bucket'),
        'bucket',
      ),
    )
    .withPanel(
      barPanel(
        'Why answers were gaps',
        select('arrayJoin(gap_signals) AS signal', 'count() AS answers')
          .from('llm_spans')
          .inRange()
          .vars('project', 'service', 'model', 'topic')
          .where('kb_gap = 1')
          .groupBy('signal')
          .orderBy('answers DESC', 'signal'),
        'signal',
      ),
    );
}
