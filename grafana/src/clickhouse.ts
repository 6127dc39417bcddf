/**
 * The ClickHouse side of the dashboards: the provisioned data source, a panel
 * target type for the `grafana-clickhouse-datasource` plugin (the foundation
 * SDK has none) and a small typed SELECT builder whose filters are written
 * with the plugin's own macros, so Grafana expands them exactly as the tests do.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';

export const PLUGIN_ID = 'grafana-clickhouse-datasource';
/** Pinned: the provisioning, the compose file and the macro tests all assume this version. */
export const PLUGIN_VERSION = '4.20.0';
export const DATASOURCE_UID = 'oversight-clickhouse';
export const PROMETHEUS_UID = 'oversight-prometheus';
export const DATASOURCE: common.DataSourceRef = { type: PLUGIN_ID, uid: DATASOURCE_UID };

/** The plugin's `format` field: how the backend shapes the frame. */
export const Format = { TimeSeries: 0, Table: 1, Logs: 2, Trace: 3 } as const;
export type Format = (typeof Format)[keyof typeof Format];

/** A panel target as the plugin stores it (editorType `sql`). */
export interface ClickHouseTarget extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  editorType: 'sql';
  rawSql: string;
  format: Format;
  queryType: 'table' | 'timeseries' | 'traces';
}

export class ClickHouseQuery implements cog.Builder<cog.Dataquery> {
  private readonly target: Omit<ClickHouseTarget, '_implementsDataqueryVariant'>;

  constructor(sql: string | Select, format: Format = Format.Table) {
    this.target = {
      refId: 'A',
      datasource: DATASOURCE,
      editorType: 'sql',
      rawSql: typeof sql === 'string' ? sql : sql.toSql(),
      format,
      queryType: format === Format.TimeSeries ? 'timeseries' : format === Format.Trace ? 'traces' : 'table',
    };
  }

  refId(refId: string): this {
    this.target.refId = refId;
    return this;
  }

  build(): cog.Dataquery {
    // The SDK's Dataquery is a marker interface; Grafana stores plain JSON.
    return { ...this.target } as unknown as cog.Dataquery;
  }
}

/** Tables the dashboards read, with the columns they use: a typo fails to compile. */
export interface Tables {
  llm_spans:
    | 'project_id'
    | 'timestamp'
    | 'trace_id'
    | 'span_id'
    | 'service_name'
    | 'operation'
    | 'request_model'
    | 'response_model'
    | 'status'
    | 'duration_ns'
    | 'ttft_ms'
    | 'input_tokens'
    | 'output_tokens'
    | 'cost_usd'
    | 'session_id'
    | 'user_id'
    | 'metadata'
    | 'prompt_text'
    | 'completion_text'
    | 'topic_id'
    | 'groundedness'
    | 'hallucinated'
    | 'answer_relevance'
    | 'context_relevance'
    | 'kb_gap'
    | 'gap_signals';
  llm_quality_hourly:
    | 'project_id'
    | 'hour'
    | 'service_name'
    | 'model'
    | 'topic_id'
    | 'scored'
    | 'hallucinated'
    | 'grounded_scored'
    | 'groundedness_sum'
    | 'groundedness_deciles'
    | 'relevance_scored'
    | 'answer_relevance_sum'
    | 'gap_checked'
    | 'gaps'
    | 'gap_scored'
    | 'gap_score_sum';
  llm_spans_hourly:
    | 'project_id'
    | 'hour'
    | 'service_name'
    | 'provider'
    | 'model'
    | 'operation'
    | 'calls'
    | 'errors'
    | 'input_tokens'
    | 'output_tokens'
    | 'cost_usd'
    | 'duration_ms_quantiles'
    | 'ttft_ms_quantiles';
  evaluations:
    | 'project_id'
    | 'timestamp'
    | 'trace_id'
    | 'span_id'
    | 'evaluator'
    | 'label'
    | 'score'
    | 'explanation'
    | 'source';
  evaluations_hourly:
    | 'project_id'
    | 'hour'
    | 'evaluator'
    | 'target'
    | 'label'
    | 'source'
    | 'count'
    | 'score_sum';
  flagged_traces_hourly:
    | 'project_id'
    | 'hour'
    | 'trace_id'
    | 'flags'
    | 'max_score'
    | 'first_seen'
    | 'scorers'
    | 'current'
    | 'refreshed_at';
  gap_signals_hourly:
    | 'project_id'
    | 'hour'
    | 'service_name'
    | 'model'
    | 'topic_id'
    | 'signal'
    | 'answers'
    | 'refreshed_at';
  worst_answers_hourly:
    | 'project_id'
    | 'hour'
    | 'service_name'
    | 'model'
    | 'topic_id'
    | 'timestamp'
    | 'trace_id'
    | 'span_id'
    | 'groundedness'
    | 'current'
    | 'refreshed_at';
  retrieval_documents: 'project_id' | 'timestamp' | 'trace_id' | 'span_id' | 'score' | 'document_id' | 'rank';
  feedback:
    | 'id'
    | 'project_id'
    | 'timestamp'
    | 'trace_id'
    | 'span_id'
    | 'kind'
    | 'value'
    | 'comment'
    | 'correction'
    | 'user_id';
  feedback_hourly:
    | 'project_id'
    | 'hour'
    | 'kind'
    | 'answered'
    | 'service_name'
    | 'model'
    | 'topic_id'
    | 'events'
    | 'value_sum';
  topics:
    | 'project_id'
    | 'topic_id'
    | 'label'
    | 'first_seen'
    | 'last_seen'
    | 'size'
    | 'gap_count'
    | 'representative';
  kb_gaps:
    | 'project_id'
    | 'topic_id'
    | 'label'
    | 'day'
    | 'questions'
    | 'gaps'
    | 'gap_rate'
    | 'gap_score'
    | 'sample_questions';
}
export type TableName = keyof Tables;

/** The collector's safety evaluators with the label each flags, as `evaluations` stores them. */
export const SAFETY_LABELS = {
  pii: 'pii',
  prompt_injection: 'injection',
  jailbreak: 'jailbreak',
  toxicity: 'toxic',
  refusal: 'refusal',
} as const;

/** `(evaluator, label) IN (...)`: the rows where a safety scorer flagged the text. */
export const FLAGGED = `(evaluator, label) IN (${Object.entries(SAFETY_LABELS)
  .map(([evaluator, label]) => `('${evaluator}', '${label}')`)
  .join(', ')})`;

/** The model a row belongs to, the same expression as `llm_spans_hourly.model`. */
export const MODEL_OF_SPAN = "if(response_model != '', response_model, request_model)";

/** Dashboard variables every filter may refer to. */
export type VariableName = 'project' | 'service' | 'model' | 'topic';

/**
 * `column IN (values)` unless the variable is "All" (or empty), in which case
 * the plugin's `$__conditionalAll` turns the condition into `1=1` and the
 * query never lists every value.
 */
export function varFilter(expression: string, variable: VariableName): string {
  // A topic picked stands for every id merged into it since (topic_map, migration 014).
  const values =
    variable === 'topic'
      ? `SELECT topic_id FROM topic_map WHERE current_topic_id IN (\${topic:singlequote})`
      : `\${${variable}:singlequote}`;
  return `$__conditionalAll(${expression} IN (${values}), $${variable})`;
}

/**
 * Rows carry the topic id that was current when they were written; a later
 * merge folds a topic into another (topics.merged_into). By-topic panels join
 * `topic_map` as `t` on the row's id (`alias`.topic_id) and group by the topic
 * it belongs to now, labelled with that topic's label.
 */
export const topicMapJoin = (alias: string) => `LEFT JOIN topic_map AS t ON t.topic_id = ${alias}.topic_id`;
/** The topic a row's topic id belongs to now (itself when the topics table has not seen it yet). */
export const currentTopic = (alias: string) =>
  `if(t.current_topic_id != 0, t.current_topic_id, ${alias}.topic_id)`;
/** The current topic's label, or its id where it has none yet (with `currentTopic` as a grouping key). */
export const topicLabel = (alias: string) =>
  `if(any(t.label) != '', any(t.label), toString(${currentTopic(alias)}))`;

/** Per-table column expressions the standard variables filter on. */
const VARIABLE_COLUMNS: Partial<Record<TableName, Partial<Record<VariableName, string>>>> = {
  llm_spans: { project: 'project_id', service: 'service_name', model: MODEL_OF_SPAN, topic: 'topic_id' },
  llm_spans_hourly: { project: 'project_id', service: 'service_name', model: 'model' },
  llm_quality_hourly: { project: 'project_id', service: 'service_name', model: 'model', topic: 'topic_id' },
  evaluations: { project: 'project_id' },
  evaluations_hourly: { project: 'project_id' },
  retrieval_documents: { project: 'project_id' },
  feedback: { project: 'project_id' },
  feedback_hourly: { project: 'project_id', service: 'service_name', model: 'model', topic: 'topic_id' },
  flagged_traces_hourly: { project: 'project_id' },
  gap_signals_hourly: { project: 'project_id', service: 'service_name', model: 'model', topic: 'topic_id' },
  worst_answers_hourly: { project: 'project_id', service: 'service_name', model: 'model', topic: 'topic_id' },
  topics: { project: 'project_id', topic: 'topic_id' },
  kb_gaps: { project: 'project_id', topic: 'topic_id' },
};

const TIME_COLUMNS: Record<TableName, string | null> = {
  llm_spans: 'timestamp',
  llm_spans_hourly: 'hour',
  llm_quality_hourly: 'hour',
  evaluations: 'timestamp',
  evaluations_hourly: 'hour',
  retrieval_documents: 'timestamp',
  feedback: 'timestamp',
  feedback_hourly: 'hour',
  flagged_traces_hourly: 'hour',
  gap_signals_hourly: 'hour',
  worst_answers_hourly: 'hour',
  topics: null,
  kb_gaps: 'day',
};

/**
 * The dashboard's range on an hourly roll-up's `hour` column, widened to
 * whole hours. A row is stamped with its hour's start, so the hour the range
 * starts in is taken whole: `$__timeFilter(hour)` would drop it, and a range
 * shorter than an hour would find nothing but the hour under way, or nothing
 * at all. For the variables' option lists and the alerts, which read whole
 * hours by design; panels read `rollupInRange` where a roll-up has one.
 */
export const hoursInRange = (column: string) =>
  `${column} >= toStartOfHour($__fromTime) AND ${column} <= $__toTime`;

/** The first hour that starts inside the dashboard's range (from 10:10, 11:00; from 10:00, 10:00). */
const FIRST_WHOLE_HOUR = 'toStartOfHour($__fromTime - 1) + INTERVAL 1 HOUR';

/**
 * Roll-ups with the raw table each is built from, as the roll-up's columns
 * (those the dashboards read) and the raw rows' expressions for them, the
 * materialized view's own (007, 011, 013, 016). Raw rows are qualified
 * (`r.`): unqualified, an alias named like a column would be read inside the
 * sums. The refreshed roll-ups (013) are read with FINAL; their raw side as
 * the rows are now, which their next refresh will agree with.
 */
interface RawTwin {
  /**
   * The raw table as `r`, with any ARRAY JOIN; or a subquery as `r`, given
   * the condition that keeps a time column to the range's ends (`edges`).
   */
  raw: string | ((edges: (column: string) => string) => string);
  /** What the raw rows must be to count (the view's own WHERE). */
  where?: string;
  /** A refreshed roll-up (ReplacingMergeTree): its newest refresh, by FINAL. */
  final?: boolean;
  /** [roll-up column, raw expression]: the roll-up's grouping keys, then its sums and states. */
  keys: [string, string][];
  values: [string, string][];
}

const RAW_TWINS: Partial<Record<TableName, RawTwin>> = {
  llm_spans_hourly: {
    raw: 'llm_spans AS r',
    keys: [
      ['project_id', 'r.project_id'],
      ['hour', 'toStartOfHour(r.timestamp)'],
      ['service_name', 'r.service_name'],
      ['provider', 'r.provider'],
      ['model', "if(r.response_model != '', r.response_model, r.request_model)"],
      ['operation', 'r.operation'],
    ],
    values: [
      ['calls', 'toUInt64(count())'],
      ['errors', "toUInt64(countIf(r.status = 'error'))"],
      ['input_tokens', 'toUInt64(sum(ifNull(r.input_tokens, 0)))'],
      ['output_tokens', 'toUInt64(sum(ifNull(r.output_tokens, 0)))'],
      ['cost_usd', 'toFloat64(sum(ifNull(r.cost_usd, 0)))'],
      ['duration_ms_quantiles', 'quantilesTDigestState(0.5, 0.9, 0.99)(r.duration_ns / 1e6)'],
      [
        'ttft_ms_quantiles',
        'quantilesTDigestStateIf(0.5, 0.9, 0.99)(ifNull(r.ttft_ms, 0), isNotNull(r.ttft_ms))',
      ],
    ],
  },
  llm_quality_hourly: {
    // The roll-up's ledger: a re-score's take-back rows (sign -1) net out here as they do there.
    raw: 'quality_events AS r',
    keys: [
      ['project_id', 'r.project_id'],
      ['hour', 'toStartOfHour(r.timestamp)'],
      ['service_name', 'r.service_name'],
      ['model', 'r.model'],
      ['topic_id', 'r.topic_id'],
    ],
    values: [
      ['scored', 'sum(toInt64(r.sign) * isNotNull(r.hallucinated))'],
      ['hallucinated', 'sum(toInt64(r.sign) * (ifNull(r.hallucinated, 0) = 1))'],
      ['grounded_scored', 'sum(toInt64(r.sign) * isNotNull(r.groundedness))'],
      ['groundedness_sum', 'sum(r.sign * toFloat64(ifNull(r.groundedness, 0)))'],
      [
        'groundedness_deciles',
        'sumForEachState(arrayMap(b -> toInt64(r.sign) * (isNotNull(r.groundedness) AND b = least(toUInt8(floor(ifNull(r.groundedness, 0) * 10)), 9)), range(10)))',
      ],
      ['relevance_scored', 'sum(toInt64(r.sign) * isNotNull(r.answer_relevance))'],
      ['answer_relevance_sum', 'sum(r.sign * toFloat64(ifNull(r.answer_relevance, 0)))'],
      ['gap_checked', 'sum(toInt64(r.sign) * isNotNull(r.kb_gap))'],
      ['gaps', 'sum(toInt64(r.sign) * (ifNull(r.kb_gap, 0) = 1))'],
      ['gap_scored', 'sum(toInt64(r.sign) * isNotNull(r.kb_gap_score))'],
      ['gap_score_sum', 'sum(r.sign * toFloat64(ifNull(r.kb_gap_score, 0)))'],
    ],
  },
  evaluations_hourly: {
    raw: 'evaluations AS r',
    keys: [
      ['project_id', 'r.project_id'],
      ['hour', 'toStartOfHour(r.timestamp)'],
      ['evaluator', 'r.evaluator'],
      ['target', 'r.target'],
      ['label', 'r.label'],
      ['source', 'r.source'],
    ],
    values: [
      ['count', 'toUInt64(count())'],
      ['score_sum', 'sum(r.score)'],
    ],
  },
  feedback_hourly: {
    // Refreshed: each feedback (the newest version of its id; of a rating, the voter's newest)
    // with the trace's answer, as the view joins them (migrations 013, 024, 027): the newest
    // answer, else the newest generation, from a day before the range on (the view: a day before
    // the hour). Only the traces with feedback at the ends are read; a voter's earlier thumbs
    // from a day before, so a vote changed later than the ends counts where the view counts it.
    raw: (edges) => `(
  SELECT fb.project_id AS project_id, fb.at AS timestamp, fb.kind AS kind, fb.value AS value,
         toUInt8(a.trace_id != '') AS answered, a.service_name AS service_name, a.model AS model,
         a.topic_id AS topic_id
  FROM (
    SELECT project_id, trace_id, kind, argMax(given, given_at) AS value, max(given_at) AS at
    FROM (
      SELECT project_id, trace_id, id, argMax(span_id, timestamp) AS span_id,
             argMax(user_id, timestamp) AS user_id, argMax(kind, timestamp) AS kind,
             argMax(value, timestamp) AS given, max(timestamp) AS given_at
      FROM feedback
      WHERE timestamp >= $__fromTime - INTERVAL 1 DAY
        AND trace_id IN (SELECT trace_id FROM feedback WHERE ${edges('timestamp')})
      GROUP BY project_id, trace_id, id
    )
    GROUP BY project_id, trace_id, span_id, kind,
             if(kind IN ('thumbs', 'score') AND user_id != '', user_id, id) AS voter
  ) AS fb
  LEFT JOIN (
    SELECT project_id, trace_id,
           argMax(service_name, (app_step = '', timestamp)) AS service_name,
           argMax(if(response_model != '', response_model, request_model), (app_step = '', timestamp)) AS model,
           argMax(topic_id, (app_step = '', timestamp)) AS topic_id
    FROM llm_spans
    WHERE timestamp >= $__fromTime - INTERVAL 1 DAY AND timestamp <= $__toTime
      AND operation IN ('chat', 'text_completion', 'generate_content')
      AND trace_id IN (SELECT trace_id FROM feedback WHERE ${edges('timestamp')})
    GROUP BY project_id, trace_id
  ) AS a ON a.project_id = fb.project_id AND a.trace_id = fb.trace_id
) AS r`,
    final: true,
    keys: [
      ['project_id', 'r.project_id'],
      ['hour', 'toStartOfHour(r.timestamp)'],
      ['kind', 'r.kind'],
      ['answered', 'r.answered'],
      ['service_name', 'r.service_name'],
      ['model', 'r.model'],
      ['topic_id', 'r.topic_id'],
    ],
    values: [
      ['events', 'toUInt64(count())'],
      ['value_sum', 'toFloat64(sum(r.value))'],
    ],
  },
  flagged_traces_hourly: {
    // Refreshed; its rows are each hour's 25 most flagged traces, of which panels rank the range's
    // own. The ends' raw rows need no top 25 of their own: every flagged trace there is a candidate.
    raw: 'evaluations AS r',
    where: `r.source = 'collector' AND ${FLAGGED}`,
    final: true,
    keys: [
      ['project_id', 'r.project_id'],
      ['hour', 'toStartOfHour(r.timestamp)'],
      ['trace_id', 'r.trace_id'],
    ],
    values: [
      ['flags', 'count()'],
      ['max_score', 'max(r.score)'],
      ['first_seen', 'min(r.timestamp)'],
      ['scorers', 'groupUniqArray(r.evaluator)'],
      ['current', 'toUInt8(1)'],
    ],
  },
  gap_signals_hourly: {
    // Refreshed (the signals are set by UPDATE, which no view sees); raw rows are read as they are now.
    raw: 'llm_spans AS r ARRAY JOIN r.gap_signals AS gap_signal',
    where: 'r.kb_gap = 1',
    final: true,
    keys: [
      ['project_id', 'r.project_id'],
      ['hour', 'toStartOfHour(r.timestamp)'],
      ['service_name', 'r.service_name'],
      ['model', "if(r.response_model != '', r.response_model, r.request_model)"],
      ['topic_id', 'r.topic_id'],
      ['signal', 'gap_signal'],
    ],
    values: [['answers', 'toUInt64(count())']],
  },
};

/**
 * A roll-up's rows for exactly the dashboard's range: its whole hours from
 * the roll-up, the parts of hours at either end from the raw rows, summed per
 * hour as the roll-up sums them. A 15-minute range counts 15 minutes, not
 * the hour it starts in (at most two hours of raw rows are read, however long
 * the range). The hour under way counts as a part, so it is read raw too.
 * Past the raw rows' TTL (30 days by default) the part of the range's first
 * hour is gone from them: under an hour missing from a range that long.
 */
export function rollupInRange(table: TableName): string {
  const twin = RAW_TWINS[table];
  if (!twin) throw new Error(`${table} has no raw table to read the ends of a range from`);
  const edges = (column: string) =>
    `$__timeFilter(${column}) AND (${column} < ${FIRST_WHOLE_HOUR} OR ${column} >= toStartOfHour($__toTime))`;
  const names = [...twin.keys, ...twin.values].map(([name]) => name);
  const raw = [...twin.keys, ...twin.values].map(([name, expression]) => `${expression} AS ${name}`);
  return [
    `SELECT ${names.join(', ')}`,
    `FROM ${table}${twin.final ? ' FINAL' : ''}`,
    // Whole hours: from the first that starts in the range to the one the range ends in, not included.
    `WHERE hour >= ${FIRST_WHOLE_HOUR} AND hour < toStartOfHour($__toTime)`,
    'UNION ALL',
    `SELECT ${raw.join(',\n       ')}`,
    `FROM ${typeof twin.raw === 'string' ? twin.raw : twin.raw(edges)}`,
    // The rest, as two time ranges the primary key can find (one when the range is inside an hour).
    `WHERE ${edges('r.timestamp')}${twin.where ? ` AND ${twin.where}` : ''}`,
    `GROUP BY ${twin.keys.map(([name]) => name).join(', ')}`,
  ].join('\n');
}

/**
 * A SELECT over one table (optionally aliased, with joins as raw text) whose
 * WHERE starts with the dashboard's time range and variables.
 */
export class Select<T extends TableName = TableName> {
  private readonly columns: string[];
  private source = '';
  private alias = '';
  private readonly joins: string[] = [];
  private readonly conditions: string[] = [];
  private groups: string[] = [];
  private havings: string[] = [];
  private orders: string[] = [];
  private limitRows: number | null = null;
  private finalModifier = false;
  private exactRange = false;
  private withs: string[] = [];

  constructor(columns: string[]) {
    this.columns = columns;
  }

  static of(...columns: string[]): Select {
    return new Select(columns);
  }

  with(...expressions: string[]): this {
    this.withs = expressions;
    return this;
  }

  from<U extends T>(table: U, alias = ''): Select<U> {
    const self = this as unknown as Select<U>;
    self.source = table;
    self.alias = alias;
    return self;
  }

  /** A subquery as the source; the time range and variables belong inside it. */
  fromQuery(inner: Select, alias: string): this {
    this.source = `(\n${inner.toSql()}\n)`;
    this.alias = alias;
    return this;
  }

  /** A common table expression of with() as the source; the time range and variables belong inside it. */
  fromCte(name: string, alias: string): this {
    this.source = name;
    this.alias = alias;
    return this;
  }

  /** FINAL: for ReplacingMergeTree tables whose duplicates have not merged yet. */
  final(): this {
    this.finalModifier = true;
    return this;
  }

  join(clause: string): this {
    this.joins.push(clause);
    return this;
  }

  /**
   * The dashboard's range on the table's time column: on a roll-up with a
   * raw twin, exactly the range (rollupInRange); on one without, the whole
   * hours it touches (hoursInRange).
   */
  inRange(): this {
    if (RAW_TWINS[this.source as TableName]) {
      this.exactRange = true;
      return this;
    }
    return this.inWholeHours();
  }

  /** The whole hours the range touches, on a roll-up (the alerts read whole hours). */
  inWholeHours(): this {
    const column = TIME_COLUMNS[this.source as TableName];
    if (!column) throw new Error(`${this.source} has no time column`);
    const q = this.qualified(column);
    this.conditions.push(column === 'hour' ? hoursInRange(q) : `$__timeFilter(${q})`);
    return this;
  }

  /** Filters for the given dashboard variables, on this table's columns. */
  vars(...variables: VariableName[]): this {
    for (const variable of variables) {
      const expression = VARIABLE_COLUMNS[this.source as TableName]?.[variable];
      if (!expression) throw new Error(`${this.source} cannot be filtered by $${variable}`);
      this.conditions.push(varFilter(this.qualified(expression), variable));
    }
    return this;
  }

  where(...conditions: string[]): this {
    this.conditions.push(...conditions);
    return this;
  }

  /** Equality on a column of the table, with the value as a SQL literal. */
  eq(column: Tables[T], value: string | number): this {
    const literal = typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "\\'")}'`;
    this.conditions.push(`${this.qualified(column)} = ${literal}`);
    return this;
  }

  groupBy(...expressions: string[]): this {
    this.groups = expressions;
    return this;
  }

  having(...conditions: string[]): this {
    this.havings = conditions;
    return this;
  }

  orderBy(...expressions: string[]): this {
    this.orders = expressions;
    return this;
  }

  limit(rows: number): this {
    this.limitRows = rows;
    return this;
  }

  /** The names the result's columns come under: an alias, or the column itself. */
  columnNames(): string[] {
    return this.columns.map((c) => /(?:^|\s)AS (\w+)$/.exec(c)?.[1] ?? c.replace(/^\w+\./, ''));
  }

  private qualified(column: string): string {
    return this.alias && /^[a-z_]+$/.test(column) ? `${this.alias}.${column}` : column;
  }

  toSql(): string {
    if (!this.source) throw new Error('Select without from()');
    const lines: string[] = [];
    if (this.withs.length > 0) lines.push(`WITH ${this.withs.join(',\n     ')}`);
    lines.push(`SELECT ${this.columns.join(',\n       ')}`);
    if (this.exactRange && this.finalModifier)
      throw new Error(`${this.source}: FINAL is the twin's to add, on the roll-up part (rollupInRange)`);
    if (this.exactRange)
      lines.push(`FROM (\n${rollupInRange(this.source as TableName)}\n) AS ${this.alias || this.source}`);
    else
      lines.push(
        `FROM ${this.source}${this.alias ? ` AS ${this.alias}` : ''}${this.finalModifier ? ' FINAL' : ''}`,
      );
    lines.push(...this.joins);
    if (this.conditions.length > 0) lines.push(`WHERE ${this.conditions.join('\n  AND ')}`);
    if (this.groups.length > 0) lines.push(`GROUP BY ${this.groups.join(', ')}`);
    if (this.havings.length > 0) lines.push(`HAVING ${this.havings.join(' AND ')}`);
    if (this.orders.length > 0) lines.push(`ORDER BY ${this.orders.join(', ')}`);
    if (this.limitRows !== null) lines.push(`LIMIT ${this.limitRows}`);
    return lines.join('\n');
  }
}

/**
 * `numerator / denominator`, NULL where nothing was counted: 0 / 0 is NaN in
 * ClickHouse, which a stat shows as "NaN" and a series as a broken point;
 * NULL reads as "No data".
 */
export const ratio = (numerator: string, denominator: string) => `${numerator} / nullIf(${denominator}, 0)`;

/**
 * A bound of the 95 % Wilson score interval of `successes / trials`, NULL where
 * nothing was counted. Tables rank by it, not by the rate itself: by the rate,
 * a topic with 1 hallucinated answer of 1 heads the list above one with 30 of
 * 100, and a model with one thumbs-down is the worst model. The lower bound
 * ranks "most surely bad" first, the upper bound "most surely poorly rated".
 */
export function wilsonBound(successes: string, trials: string, side: 'lower' | 'upper'): string {
  const n = `nullIf(${trials}, 0)`;
  const p = `(${successes} / ${n})`;
  const sign = side === 'lower' ? '-' : '+';
  return `(${p} + 1.9208 / ${n} ${sign} 1.96 * sqrt((${p} * (1 - ${p}) + 0.9604 / ${n}) / ${n})) / (1 + 3.8416 / ${n})`;
}

/** Shorthand: `select('a', 'b').from('llm_spans')`. */
export function select(...columns: string[]): Select {
  return new Select(columns);
}
