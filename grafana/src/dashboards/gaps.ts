/**
 * Knowledge-base gaps: which topics retrieval cannot answer, from the hourly
 * quality roll-up (cheap over 30 days). Its gaps are the collector's flags
 * (`kb_gap`); the kb_gaps view also counts an answer users thumbed down, which
 * the roll-up, written when the answer is scored, cannot know yet. Topics
 * rank by the mean graded gap score of their answers (llm_spans.kb_gap_score,
 * rolled up since migration 016), shrunk towards the range's mean as the
 * collector's GapTracker shrinks it, so a one-question topic cannot top the
 * list on one unlucky answer: the ranking `oversight eval --task kb-gaps`
 * measures. Gap score is the 95 % Wilson lower bound of the flagged rate, as
 * the view computes it per day; it breaks ties, as on hours rolled up before
 * the graded score was.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { GAP_SCORE_SHRINK } from '../../../collector/src/enrich/topics/gaps.ts';
import { currentTopic, select, topicLabel, topicMapJoin, varFilter, wilsonBound } from '../clickhouse.ts';
import { NOT_NARROWED_BY, variables } from './common.ts';
import { barPanel, row, tablePanel, timeSeriesPanel } from './panels.ts';

/** Five unanswered questions per topic from the range's last day: raw text only for those rows. */
const RECENT_GAP_QUESTIONS = `LEFT JOIN (
  SELECT topic_id, groupArray(5)(prompt_text) AS sample_questions
  FROM llm_spans
  WHERE timestamp >= $__toTime - INTERVAL 1 DAY AND $__timeFilter(timestamp) AND kb_gap = 1
    AND ${varFilter('project_id', 'project')}
  GROUP BY topic_id
) AS x ON x.topic_id = q.topic_id`;

// A topic's mean shrunk by answers at the range's mean, as the collector's GapTracker shrinks it.
const SHRUNK_MEAN = `(sum(q.gap_score_sum) + ${GAP_SCORE_SHRINK} * (sum(sum(q.gap_score_sum)) OVER () / sum(sum(q.gap_scored)) OVER ())) / (graded + ${GAP_SCORE_SHRINK})`;

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
        'Topics ranked by mean gap score',
        select(
          `${currentTopic('q')} AS topic_id`,
          `${topicLabel('q')} AS topic`,
          'sum(q.gap_checked) AS questions',
          'sum(q.gaps) AS gaps',
          'gaps / questions AS gap_rate',
          `${wilsonBound('gaps', 'questions', 'lower')} AS gap_score`,
          'sum(q.gap_scored) AS graded',
          `if(graded > 0, ${SHRUNK_MEAN}, NULL) AS mean_gap_score`,
          // Samples of every id folded into the topic.
          'arraySlice(groupUniqArrayArray(x.sample_questions), 1, 5) AS sample_questions',
        )
          .from('llm_quality_hourly', 'q')
          .join(topicMapJoin('q'))
          .join(RECENT_GAP_QUESTIONS)
          .inRange()
          .vars('project', 'service', 'model', 'topic')
          .groupBy('topic_id')
          .having('questions > 0')
          .orderBy('mean_gap_score DESC', 'gap_score DESC', 'topic_id')
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
          // Live topics only: a merged-away or evicted one ends in a size-0 tombstone.
          .having('questions > 0')
          .where(
            'topic_id IN (SELECT topic_id FROM topics GROUP BY topic_id HAVING $__timeFilter(min(first_seen)))',
          )
          .orderBy('first_seen DESC', 'topic_id')
          .limit(50),
        12,
      ).description(NOT_NARROWED_BY(['service', 'model'], 'a topic spans every service and model')),
    )
    .withPanel(
      timeSeriesPanel(
        'Gap rate by topic',
        select(
          '$__timeInterval(q.hour) AS time',
          `${topicLabel('q')} AS topic`,
          'sum(q.gaps) / sum(q.gap_checked) AS gap_rate',
        )
          .from('llm_quality_hourly', 'q')
          .join(topicMapJoin('q'))
          .inRange()
          .vars('project', 'service', 'model', 'topic')
          .groupBy('time', currentTopic('q'))
          // On the sums, not the rows: a re-score's take-back row (gap_checked −1) must net out before parts merge.
          .having('sum(q.gap_checked) > 0')
          .orderBy('time', 'topic'),
        'percentunit',
      ),
    )
    .withRow(row('Retrieval'))
    .withPanel(
      barPanel(
        'Top retrieval score distribution',
        select('toString(floor(score * 10) / 10) AS bucket', 'count() AS retrievals')
          .from('retrieval_documents')
          .inRange()
          .vars('project')
          .where(
            'rank = 1',
            'score IS NOT NULL',
            // A reranker's output is stored beside the retriever's, on its own scale.
            "span_id NOT IN (SELECT span_id FROM llm_spans WHERE operation = 'rerank' AND $__timeFilter(timestamp))",
          )
          .groupBy('bucket')
          .orderBy('bucket'),
        'bucket',
      ).description(
        NOT_NARROWED_BY(['service', 'model', 'topic'], 'retrieved documents are stored without them'),
      ),
    )
    .withPanel(
      barPanel(
        'Why answers were gaps',
        // From the refreshed roll-up (migration 013): the signals are set by UPDATE, which no view sees.
        select('signal', 'sum(answers) AS answers')
          .from('gap_signals_hourly')
          .inRange()
          .vars('project', 'service', 'model', 'topic')
          .groupBy('signal')
          .having('answers > 0')
          .orderBy('answers DESC', 'signal'),
        'signal',
      ),
    );
}
