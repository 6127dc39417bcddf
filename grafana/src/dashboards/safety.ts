/**
 * Safety: how often each collector scorer flags traffic (from the hourly
 * evaluation roll-up), the traces flagged most (from the hourly top traces,
 * flagged_traces_hourly), and the SDK guard's decisions. Only the project
 * picker: evaluations carry no service, model or topic to narrow by.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { ratio, select } from '../clickhouse.ts';
import { FLAGGED, SAFETY_LABELS, variables } from './common.ts';
import { row, statPanel, tablePanel, timeSeriesPanel } from './panels.ts';

const EVALUATORS = `evaluator IN (${Object.keys(SAFETY_LABELS)
  .map((e) => `'${e}'`)
  .join(', ')})`;

const GUARD_ROWS =
  'One per risk category a guard check acted on: a check that blocked as both injection and jailbreak counts twice here, once in Guard blocks.';

const collectorScores = (...columns: string[]) =>
  select(...columns)
    .from('evaluations_hourly')
    .inRange()
    .vars('project')
    .where("source = 'collector'", EVALUATORS);

function rateStat(evaluator: keyof typeof SAFETY_LABELS, title: string) {
  return statPanel(
    title,
    collectorScores(
      `${ratio(`sumIf(count, label = '${SAFETY_LABELS[evaluator]}')`, 'sum(count)')} AS rate`,
    ).eq('evaluator', evaluator),
    'percentunit',
    4,
  );
}

export function safety(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('Oversight: Safety')
    .uid('oversight-safety')
    .tags(['oversight', 'llm', 'safety'])
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .timezone('browser');
  for (const v of variables('project')) builder.withVariable(v);
  return builder
    .withRow(row('Flag rates'))
    .withPanel(rateStat('pii', 'PII'))
    .withPanel(rateStat('prompt_injection', 'Prompt injection'))
    .withPanel(rateStat('jailbreak', 'Jailbreak'))
    .withPanel(rateStat('toxicity', 'Toxicity'))
    .withPanel(rateStat('refusal', 'Refusal'))
    .withPanel(
      statPanel(
        'Guard blocks',
        // Checks, not rows: a guard writes a row per category it acted on, so one check that
        // blocked as both injection and jailbreak is two rows. Few rows are the SDK's: read raw.
        select('uniqExact(span_id) AS blocked')
          .from('evaluations')
          .inRange()
          .vars('project')
          .where("source = 'sdk'", "label = 'blocked'"),
        'short',
        4,
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Flag rate by scorer',
        collectorScores(
          '$__timeInterval(hour) AS time',
          'evaluator',
          `${ratio(`sumIf(count, ${FLAGGED})`, 'sum(count)')} AS rate`,
        )
          .groupBy('time', 'evaluator')
          .orderBy('time', 'evaluator'),
        'percentunit',
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Guard decisions',
        select('$__timeInterval(hour) AS time', 'label AS decision', 'sum(count) AS decisions')
          .from('evaluations_hourly')
          .inRange()
          .vars('project')
          .where("source = 'sdk'", "label IN ('blocked', 'redacted', 'flagged')")
          .groupBy('time', 'decision')
          .orderBy('time', 'decision'),
        'short',
      ).description(GUARD_ROWS),
    )
    .withRow(row('Offenders'))
    .withPanel(
      tablePanel(
        'Top offending traces',
        select(
          'trace_id',
          'min(first_seen) AS first_seen',
          'sum(flags) AS flags',
          'groupUniqArrayArray(scorers) AS scorers',
          'max(max_score) AS max_score',
        )
          // The 25 most flagged traces of every hour (migration 013), so a 30-day ranking
          // reads 25 rows an hour, not every flagged evaluation grouped by trace.
          .from('flagged_traces_hourly')
          .inRange()
          .vars('project')
          .where('current = 1')
          .groupBy('trace_id')
          .orderBy('flags DESC', 'max_score DESC', 'trace_id')
          .limit(25),
        14,
        'trace_id',
      ),
    )
    .withPanel(
      tablePanel(
        'Guard decisions by category',
        select('evaluator AS category', 'label AS decision', 'sum(count) AS decisions')
          .from('evaluations_hourly')
          .inRange()
          .vars('project')
          .where("source = 'sdk'")
          .groupBy('category', 'decision')
          .orderBy('decisions DESC', 'category', 'decision'),
        10,
      ).description(GUARD_ROWS),
    );
}
