/**
 * Alert rules in Grafana's file-provisioning format: a ClickHouse (or
 * Prometheus) query A, reduced to one value per series (B), compared with a
 * threshold (C). Table-format queries with string columns give one alert
 * instance per project / service.
 */
import { DATASOURCE_UID, PLUGIN_ID, PROMETHEUS_UID, select } from './clickhouse.ts';
import { HALLUCINATION_ALERT_RATE } from './dashboards/hallucination.ts';
import { panelLink } from './dashboards/index.ts';

interface Threshold {
  op: 'gt' | 'lt';
  value: number;
}

interface RuleSpec {
  uid: string;
  title: string;
  /** Seconds of history query A sees (Grafana's relativeTimeRange.from). */
  lookbackSeconds: number;
  query: { kind: 'clickhouse'; sql: string } | { kind: 'prometheus'; expr: string };
  threshold: Threshold;
  /** What no rows mean (default OK: a condition written as a filter returns none while all is well). */
  noData?: 'OK' | 'Alerting';
  for: string;
  summary: string;
  /** What the one paged should look at and do: notifications carry it with the summary. */
  description: string;
  /** The panel to open (dashboard file name, panel title): Grafana links the alert to it. */
  panel?: { dashboard: string; title: string };
  severity: 'warning' | 'critical';
}

/**
 * Answers scored in the last full hour and the one under way whose
 * hallucination rate tops 10 % (20 answers at least), from the roll-up. The
 * hour under way alone holds minutes of data as it starts: a firing alert
 * would resolve at every hour's turn, and a quiet project never reach 20.
 */
export const HALLUCINATION_RATE_SQL = select(
  'project_id',
  'service_name',
  'sum(hallucinated) / sum(scored) AS value',
)
  .from('llm_quality_hourly')
  .inWholeHours()
  .where('hour >= toStartOfHour($__toTime) - INTERVAL 1 HOUR')
  .groupBy('project_id', 'service_name')
  .having('sum(scored) >= 20')
  .orderBy('project_id', 'service_name')
  .toSql();

/**
 * Injection attempts in the last full hour over the hourly mean of the hours
 * before it in the week, quiet hours included (the roll-up has rows only for
 * hours with scored texts; a baseline of at least one per hour, so a quiet
 * project's first few attempts do not page). The week starts at the
 * project's first scored hour when it is younger: measured against hours it
 * did not exist in, a new project's steady rate reads as a spike for days.
 * One number per project: Grafana alerts on a table with exactly one
 * numeric column.
 */
export const INJECTION_SPIKE_SQL = `SELECT project_id, last_hour / greatest(hourly_baseline, 1) AS value
FROM (
  SELECT project_id,
         sumIf(count, label = 'injection' AND hour = toStartOfHour($__toTime) - INTERVAL 1 HOUR) AS last_hour,
         sumIf(count, label = 'injection' AND hour < toStartOfHour($__toTime) - INTERVAL 1 HOUR)
           / greatest(dateDiff('hour', min(hour), toStartOfHour($__toTime) - INTERVAL 1 HOUR), 1)
           AS hourly_baseline
  FROM evaluations_hourly
  WHERE $__timeFilter(hour) AND evaluator = 'prompt_injection' AND source = 'collector'
  GROUP BY project_id
)
ORDER BY project_id`;

/** Topics first seen in the last day whose answers were knowledge-base gaps more than 40 % of the time (10 questions at least). */
export const NEW_TOPIC_GAP_SQL = `SELECT r.project_id AS project_id,
       any(n.label) AS topic,
       sum(r.gaps) / sum(r.gap_checked) AS value
FROM (
  -- Hours of topics merged away since count with the topic they joined (topic_map).
  SELECT q.project_id AS project_id,
         if(t.current_topic_id != 0, t.current_topic_id, q.topic_id) AS topic_id,
         q.gaps AS gaps,
         q.gap_checked AS gap_checked
  FROM llm_quality_hourly AS q
  LEFT JOIN topic_map AS t ON t.topic_id = q.topic_id
  WHERE $__timeFilter(q.hour)
) AS r
INNER JOIN (
  SELECT project_id, topic_id, argMax(label, last_seen) AS label
  FROM topics
  GROUP BY project_id, topic_id
  -- Live topics: one merged away since ends in a size-0 tombstone.
  HAVING min(first_seen) >= $__fromTime AND argMax(size, last_seen) > 0
) AS n ON n.project_id = r.project_id AND n.topic_id = r.topic_id
GROUP BY r.project_id, r.topic_id
HAVING sum(r.gap_checked) >= 10
ORDER BY project_id, topic`;

/**
 * A real backlog in the collector's write-ahead log that keeps growing, or
 * that has filled the log: a full log stops growing (appends are refused with
 * 503, counted as log_full rejections), which is when the alert matters most.
 * `without (reason)`, not `by (job, instance)`: `and` matches every label, and
 * a target with more of them (Kubernetes' namespace and pod, an `env` added
 * by relabelling) would never match a full log's refusals.
 */
export const BACKLOG_EXPR =
  'oversight_queue_depth > 100 and (deriv(oversight_wal_bytes[15m]) > 0 or sum without (reason) (increase(oversight_spans_rejected_total{reason="log_full"}[15m])) > 0)';

/** The collector's scrape job in deploy/prometheus/prometheus.yml. */
export const COLLECTOR_JOB = 'oversight-collector';

export const RULES: RuleSpec[] = [
  {
    uid: 'oversight-hallucination-rate',
    title: 'Hallucination rate above 10 %',
    lookbackSeconds: 7200,
    query: { kind: 'clickhouse', sql: HALLUCINATION_RATE_SQL },
    threshold: { op: 'gt', value: HALLUCINATION_ALERT_RATE },
    for: '10m',
    summary:
      '{{ $labels.service_name }} in {{ $labels.project_id }}: {{ humanizePercentage $values.B.Value }} of scored answers hallucinated since the last full hour began',
    description:
      'On the Hallucination dashboard, "Hallucination rate by service" and the rates by model and by topic show where it rose; pick the project and service and "Worst recent answers" lists the answers with the claims their context did not support. A rise that starts at a deploy points at the prompt or model change; one on a single topic at its knowledge-base documents.',
    panel: { dashboard: 'hallucination', title: 'Hallucination rate by service' },
    severity: 'warning',
  },
  {
    uid: 'oversight-injection-spike',
    title: 'Prompt-injection attempts spiking',
    lookbackSeconds: 7 * 86_400,
    query: { kind: 'clickhouse', sql: INJECTION_SPIKE_SQL },
    threshold: { op: 'gt', value: 5 },
    for: '0s',
    summary:
      '{{ $labels.project_id }}: injection attempts in the last hour are {{ $values.B.Value | printf "%.1f" }}× the hourly baseline',
    description:
      'On the Safety dashboard, "Top offending traces" lists the traces flagged most: open them for the users and sessions behind the attempts, and check in "Guard decisions" whether the SDK guard blocked them. A single source can be rate-limited or its key revoked.',
    panel: { dashboard: 'safety', title: 'Top offending traces' },
    severity: 'critical',
  },
  {
    uid: 'oversight-new-topic-gap',
    title: 'New topic the knowledge base cannot answer',
    lookbackSeconds: 86_400,
    query: { kind: 'clickhouse', sql: NEW_TOPIC_GAP_SQL },
    threshold: { op: 'gt', value: 0.4 },
    for: '0s',
    summary:
      '{{ $labels.project_id }}: new topic "{{ $labels.topic }}" is a knowledge-base gap {{ humanizePercentage $values.B.Value }} of the time',
    description:
      'Users started asking about something the knowledge base does not answer. "Topics ranked by mean gap score" on the Knowledge-base gaps dashboard shows the topic\'s sample questions: add or fix the documents that answer them.',
    panel: { dashboard: 'kb-gaps', title: 'Topics ranked by mean gap score' },
    severity: 'warning',
  },
  {
    uid: 'oversight-collector-backlog',
    title: 'Collector backlog growing or log full',
    lookbackSeconds: 900,
    query: { kind: 'prometheus', expr: BACKLOG_EXPR },
    threshold: { op: 'gt', value: 0 },
    for: '5m',
    summary:
      'The collector write-ahead log holds {{ $values.B.Value }} requests not yet in ClickHouse, and grows or is full',
    description:
      'ClickHouse is unreachable or slower than the traffic: check the clickhouse service and the collector log (oversight_store_up is 0 while inserts fail). Once the log is full the collector answers 503 and SDKs drop spans after their retries; the log drains by itself once ClickHouse takes inserts again.',
    severity: 'critical',
  },
  {
    uid: 'oversight-collector-dead-letters',
    title: 'Accepted requests set aside, not stored',
    lookbackSeconds: 900,
    query: { kind: 'prometheus', expr: 'increase(oversight_dead_lettered_total[15m])' },
    threshold: { op: 'gt', value: 0 },
    for: '0s',
    summary:
      'The collector set aside {{ $values.B.Value | printf "%.0f" }} accepted requests in its dead-letter file in 15 minutes: their data is not in ClickHouse, or not whole',
    description:
      "The collector log names the file (dead-letter.jsonl beside the write-ahead log) and the first reason; `oversight dead-letters` lists them all. Each line holds the reason, the rows ClickHouse refused (table, position, its error, the rows as sent) and the raw request (base64): a refused row is usually a value out of its column's range; an undecodable entry, a log written by another version or damaged on disk.",
    severity: 'warning',
  },
  {
    uid: 'oversight-trace-stage-dropped',
    title: 'Answers left unscored: the trace stage is behind',
    lookbackSeconds: 900,
    query: {
      kind: 'prometheus',
      expr: 'sum without (kind) (increase(oversight_trace_scored_total{kind="dropped"}[15m]))',
    },
    threshold: { op: 'gt', value: 0 },
    for: '0s',
    summary:
      'The collector left {{ $values.B.Value | printf "%.0f" }} traces unscored in 15 minutes: their spans are stored, their groundedness, relevance, topic and gap columns are empty',
    description:
      'More traces became ready than the trace stage scores (a few hundred generations a second on 2 cores): it keeps the newest 50,000 waiting and lets the oldest go, or it gave up on traces whose writes failed 8 times (the collector log says which). Once its backlog is clear the collector reads the unscored traces of the last --trace-recover-minutes (60) back from ClickHouse and scores them, as it does at a start. Lasting traffic above that rate needs more collector replicas (each scores the traces it receives) or cores for --transform-workers; a high-volume service whose answers need no scoring can go to a collector run with --trace-quality false.',
    severity: 'warning',
  },
  {
    uid: 'oversight-trace-stage-saturated',
    title: 'Trace stage near capacity: scoring will fall behind',
    lookbackSeconds: 900,
    query: { kind: 'prometheus', expr: 'rate(oversight_trace_busy_seconds_total[15m])' },
    threshold: { op: 'gt', value: 0.9 },
    for: '15m',
    summary:
      'The trace stage at {{ $labels.instance }} has been scoring and writing {{ humanizePercentage $values.B.Value }} of the time for 15 minutes',
    description:
      'Traces become ready about as fast as the stage scores them (a few hundred generations a second on 2 cores), so its backlog grows and, once over 50,000 traces, the oldest are left unscored (the "Answers left unscored" alert). A burst that clears by itself is fine; a lasting rate needs more collector replicas (each scores the traces it receives) or cores for --transform-workers, or --trace-quality false on a collector for services whose answers need no scoring. oversight_trace_pending shows the backlog.',
    severity: 'warning',
  },
  {
    // The backlog rule reads no data while the collector cannot be scraped, which it must take as OK.
    uid: 'oversight-collector-down',
    title: 'Collector down or not scraped',
    lookbackSeconds: 300,
    query: { kind: 'prometheus', expr: `up{job="${COLLECTOR_JOB}"}` },
    threshold: { op: 'lt', value: 1 },
    // No `up` series at all: Prometheus no longer scrapes the collector.
    noData: 'Alerting',
    for: '2m',
    summary: 'Prometheus cannot scrape the collector at {{ $labels.instance }}',
    description:
      'The collector is down or unreachable, so it accepts no spans or feedback: senders retry, then drop what they hold. Check the collector service (its container state and log). On restart it replays its write-ahead log, so what it had accepted before it stopped still reaches ClickHouse.',
    severity: 'critical',
  },
];

function queryA(rule: RuleSpec): Record<string, unknown> {
  const relativeTimeRange = { from: rule.lookbackSeconds, to: 0 };
  if (rule.query.kind === 'prometheus')
    return {
      refId: 'A',
      relativeTimeRange,
      datasourceUid: PROMETHEUS_UID,
      model: { refId: 'A', expr: rule.query.expr, instant: true, intervalMs: 60_000, maxDataPoints: 43_200 },
    };
  return {
    refId: 'A',
    relativeTimeRange,
    datasourceUid: DATASOURCE_UID,
    model: {
      refId: 'A',
      datasource: { type: PLUGIN_ID, uid: DATASOURCE_UID },
      editorType: 'sql',
      format: 1,
      queryType: 'table',
      rawSql: rule.query.sql,
      intervalMs: 60_000,
      maxDataPoints: 43_200,
    },
  };
}

/** The provisioning document Grafana reads from provisioning/alerting/. */
export function alertRules(): Record<string, unknown> {
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: 'oversight',
        folder: 'Oversight',
        interval: '1m',
        rules: RULES.map((rule) => ({
          uid: rule.uid,
          title: rule.title,
          condition: 'C',
          data: [
            queryA(rule),
            {
              refId: 'B',
              relativeTimeRange: { from: 0, to: 0 },
              datasourceUid: '__expr__',
              model: {
                refId: 'B',
                type: 'reduce',
                expression: 'A',
                reducer: 'last',
                settings: { mode: 'dropNN' },
              },
            },
            {
              refId: 'C',
              relativeTimeRange: { from: 0, to: 0 },
              datasourceUid: '__expr__',
              model: {
                refId: 'C',
                type: 'threshold',
                expression: 'B',
                conditions: [{ evaluator: { type: rule.threshold.op, params: [rule.threshold.value] } }],
              },
            },
          ],
          ...(rule.panel ? panelLink(rule.panel.dashboard, rule.panel.title) : {}),
          noDataState: rule.noData ?? 'OK',
          execErrState: 'Error',
          for: rule.for,
          annotations: { summary: rule.summary, description: rule.description },
          labels: { team: 'oversight', severity: rule.severity },
          isPaused: false,
        })),
      },
    ],
  };
}
