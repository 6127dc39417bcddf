/** Pieces every Oversight dashboard shares: variables, the trace link, panel defaults. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  DATASOURCE,
  DATASOURCE_UID,
  hoursInRange,
  MODEL_OF_SPAN,
  PLUGIN_ID,
  type VariableName,
  varFilter,
} from '../clickhouse.ts';

/** Steps that produce an answer (the rest are retrieval, tools, guardrails, …). */
export const GENERATION_OPS = "operation IN ('chat', 'text_completion', 'generate_content')";
/** Calls a provider bills: the answers, the embeddings, reranking and decisions around them, and speech in and out. */
export const MODEL_CALL_OPS =
  "operation IN ('chat', 'text_completion', 'generate_content', 'embeddings', 'rerank', 'generate_speech', 'transcribe', 'decide')";

/**
 * Roll-up rows (of `alias`) that hold spend: the model calls, and agents and
 * workflows with usage of their own. A remote agent (a Client span) keeps its
 * usage and cost, since its model calls are not traced here; one run inside
 * the app keeps none, its calls being rows of their own (collector
 * normalize/mapping.ts), so a group of those has nothing to add and is left
 * out, calls and all.
 */
export const spendRows = (alias: string) =>
  `(${MODEL_CALL_OPS} OR (operation IN ('invoke_agent', 'invoke_workflow') AND (${alias}.cost_usd > 0 OR ${alias}.input_tokens > 0 OR ${alias}.output_tokens > 0)))`;

// Defined beside the roll-ups, whose raw twin of flagged_traces_hourly reads them too.
export { FLAGGED, SAFETY_LABELS } from '../clickhouse.ts';

function queryVariable(name: string, label: string, sql: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(sql)
    .definition(sql)
    .multi(true)
    .includeAll(true)
    .current({ text: 'All', value: '$__all', selected: true })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

const VARIABLES: Record<VariableName, () => dashboard.QueryVariableBuilder> = {
  project: () =>
    queryVariable(
      'project',
      'Project',
      `SELECT DISTINCT project_id FROM llm_spans_hourly WHERE ${hoursInRange('hour')} ORDER BY project_id`,
    ),
  service: () =>
    queryVariable(
      'service',
      'Service',
      `SELECT DISTINCT service_name FROM llm_spans_hourly WHERE ${hoursInRange('hour')} AND ${varFilter('project_id', 'project')} ORDER BY service_name`,
    ),
  model: () =>
    queryVariable(
      'model',
      'Model',
      `SELECT DISTINCT model FROM llm_spans_hourly WHERE ${hoursInRange('hour')} AND ${varFilter('project_id', 'project')} AND ${varFilter('service_name', 'service')} AND model != '' ORDER BY model`,
    ),
  topic: () =>
    queryVariable(
      'topic',
      'Topic',
      // Live topics: a merged-away one is folded into the topic it joined.
      `SELECT topic_id, label FROM topic_map WHERE topic_id = current_topic_id AND ${varFilter('project_id', 'project')} ORDER BY label`,
    ),
};

/**
 * project → service → model → topic, each narrowed by the ones before it.
 * Values come from the hourly roll-up (cheap over 30 days); topics from the
 * topics table, id as value and label as text. A dashboard offers only the
 * variables its panels can filter by: a picker that changes nothing reads as
 * if the numbers were for the pick.
 */
export function variables(...names: VariableName[]): dashboard.QueryVariableBuilder[] {
  const wanted = names.length > 0 ? names : (Object.keys(VARIABLES) as VariableName[]);
  return wanted.map((name) => VARIABLES[name]());
}

/**
 * A panel's description when it cannot apply some of its dashboard's
 * variables (a test holds every other panel to all of them).
 */
export const NOT_NARROWED_BY = (names: VariableName[], why: string) =>
  // Plain names: Grafana would fill in a `$service` in a description.
  `Not narrowed by ${names.join(' or ')}: ${why}.`;

/** Grafana's trace view over otel_traces for the clicked trace id (the plugin's trace-id mode). */
export function traceLink(field = 'trace_id'): { title: string; url: string; targetBlank: boolean } {
  const explore = {
    datasource: DATASOURCE_UID,
    queries: [
      {
        refId: 'A',
        datasource: { type: PLUGIN_ID, uid: DATASOURCE_UID },
        editorType: 'builder',
        queryType: 'traces',
        format: 3,
        builderOptions: {
          database: 'oversight',
          table: 'otel_traces',
          queryType: 'traces',
          meta: { isTraceIdMode: true, traceId: `\${__data.fields.${field}}` },
        },
      },
    ],
    range: { from: 'now-30d', to: 'now' },
  };
  // A field data link (not a dashboard link): Grafana fills ${__data.fields.x} per row.
  return { title: 'Open trace', url: `/explore?left=${JSON.stringify(explore)}`, targetBlank: true };
}

/** The model expression on llm_spans rows, aliased as the roll-up names it. */
export const MODEL = `${MODEL_OF_SPAN} AS model`;
