/**
 * The preference store: user feedback joined to the generation it rates, as
 * SQL the exporter pages through. One result row is one rated generation (an
 * LLM span with a completion) with its votes summed up.
 *
 * Feedback that names no span rates the trace's last generation. Votes are
 * counted once per voter (the user id, else the feedback id) and kind, the
 * newest winning, so a user who changes a thumb from down to up counts as up.
 * `feedback FINAL` collapses resent ids.
 */
import { z } from 'zod';
import type { Store } from '../store/store.ts';
import { FEEDBACK, LLM_SPANS, qualifiedTable } from '../store/tables.ts';

export interface PreferenceFilter {
  /** Only this project's rows; an export never mixes projects unless none is given. */
  project?: string;
  /** Feedback received at or after (ISO date or date-time, UTC). */
  since?: string;
  /** Feedback received before. */
  until?: string;
  topic?: string;
}

const FAR_PAST = '1970-01-01 00:00:00';
// DateTime64(9) ends in 2262.
const FAR_FUTURE = '2261-12-31 23:59:59';

/** Accepts `2026-01-31`, `2026-01-31T12:00:00Z`, … and hands ClickHouse a UTC `DateTime64` literal. */
export function toClickHouseTime(value: string | undefined, fallback: string): string {
  if (value === undefined || value === '') return fallback;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(ms)) throw new Error(`not a date: ${value} (use YYYY-MM-DD or an ISO date-time)`);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function filterParams(filter: PreferenceFilter): Record<string, unknown> {
  if (filter.topic !== undefined && !/^\d+$/.test(filter.topic))
    throw new Error(`--topic takes a numeric topic id, got ${filter.topic}`);
  return {
    project: filter.project ?? '',
    since: toClickHouseTime(filter.since, FAR_PAST),
    until: toClickHouseTime(filter.until, FAR_FUTURE),
    topic: filter.topic ?? '',
  };
}

/** The rated-generation row every format is built from. */
export const RatedGenerationSchema = z.object({
  project_id: z.string(),
  trace_id: z.string(),
  span_id: z.string(),
  /** 0 when the rated generation is not in llm_spans (expired, never sent, or in another project). */
  found: z.coerce.number(),
  model: z.string(),
  topic_id: z.coerce.string(),
  input_messages: z.string(),
  prompt_text: z.string(),
  completion_text: z.string(),
  prompt_key: z.string(),
  groundedness: z.number().nullable(),
  hallucinated: z.coerce.number().nullable(),
  ups: z.coerce.number(),
  downs: z.coerce.number(),
  copies: z.coerce.number(),
  regenerates: z.coerce.number(),
  correction: z.string(),
});
export type RatedGeneration = z.infer<typeof RatedGenerationSchema>;

/** Feedback rows the filter selects: its project (or every one) and its time window. */
const IN_FILTER_WINDOW = `({project:String} = '' OR project_id = {project:String})
      AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}`;

/**
 * `scope` narrows the feedback read (a page of traces, or nothing); `order`
 * and `after` are the keyset the caller pages by.
 */
function ratedGenerationsSql(database: string, scope: string, tail: string): string {
  const feedback = qualifiedTable(database, FEEDBACK);
  const spans = qualifiedTable(database, LLM_SPANS);
  return `
WITH
fb AS (
    SELECT project_id, trace_id, span_id, if(user_id = '', id, user_id) AS voter, kind, value, correction, timestamp
    FROM ${feedback} FINAL
    WHERE kind IN ('thumbs', 'edit', 'regenerate', 'copy')
      AND ${IN_FILTER_WINDOW}
      ${scope}
),
gens AS (
    SELECT project_id, trace_id, span_id, timestamp,
           if(response_model != '', response_model, request_model) AS model,
           topic_id, input_messages, prompt_text, completion_text, groundedness, hallucinated
    FROM ${spans}
    WHERE completion_text != ''
      AND ({project:String} = '' OR project_id = {project:String})
      AND (project_id, trace_id) IN (SELECT project_id, trace_id FROM fb)
),
latest AS (
    SELECT project_id, trace_id, argMax(span_id, timestamp) AS span_id
    FROM gens GROUP BY project_id, trace_id
),
votes AS (
    SELECT fb.project_id AS project_id, fb.trace_id AS trace_id,
           if(fb.span_id = '', latest.span_id, fb.span_id) AS gen_span_id,
           fb.voter AS voter, fb.kind AS kind,
           argMax(fb.value, fb.timestamp) AS value,
           argMax(fb.correction, fb.timestamp) AS correction,
           max(fb.timestamp) AS at
    FROM fb LEFT JOIN latest ON latest.project_id = fb.project_id AND latest.trace_id = fb.trace_id
    GROUP BY project_id, trace_id, gen_span_id, voter, kind
),
rated AS (
    SELECT project_id, trace_id, gen_span_id AS span_id,
           countIf(kind = 'thumbs' AND value > 0) AS ups,
           countIf(kind = 'thumbs' AND value <= 0) AS downs,
           countIf(kind = 'copy') AS copies,
           countIf(kind = 'regenerate') AS regenerates,
           argMaxIf(correction, at, kind = 'edit' AND correction != '') AS correction
    FROM votes GROUP BY project_id, trace_id, span_id
)
SELECT * FROM (
    SELECT r.project_id AS project_id, r.trace_id AS trace_id, r.span_id AS span_id,
           g.trace_id != '' AS found,
           g.model AS model, toString(g.topic_id) AS topic_id,
           g.input_messages AS input_messages, g.prompt_text AS prompt_text, g.completion_text AS completion_text,
           -- Equal keys mean the same question up to case, punctuation and spacing; the exporter
           -- refines near-identical neighbours with the scorers' canonical form and shingles.
           trimBoth(replaceRegexpAll(lowerUTF8(if(g.input_messages = '', g.prompt_text, arrayStringConcat(
               arrayMap(m -> concat(JSONExtractString(m, 'role'), ' ', JSONExtractString(m, 'content')),
                        JSONExtractArrayRaw(g.input_messages)), ' '))), '[^\\\\p{L}\\\\p{N}]+', ' ')) AS prompt_key,
           g.groundedness AS groundedness, g.hallucinated AS hallucinated,
           r.ups AS ups, r.downs AS downs, r.copies AS copies, r.regenerates AS regenerates,
           r.correction AS correction
    FROM rated AS r
    LEFT JOIN gens AS g ON g.project_id = r.project_id AND g.trace_id = r.trace_id AND g.span_id = r.span_id
    WHERE {topic:String} = '' OR toString(g.topic_id) = {topic:String}
)
${tail}`;
}

/**
 * Rows per page: memory grows with it, and so does the share of the
 * generations table each page's join reads (a page's traces are scattered
 * through it), so fewer, larger pages export faster.
 */
export const DEFAULT_PAGE_SIZE = 50_000;

export interface PageOptions {
  pageSize?: number;
  onPage?: (rows: number) => void;
}

/**
 * Rated generations page by page along the feedback table's primary key
 * (project_id, trace_id): each page reads one key range of feedback, so memory
 * is bounded by the page, not the export. The order is by trace.
 */
export async function* ratedByTrace(
  store: Store,
  filter: PreferenceFilter,
  options: PageOptions = {},
): AsyncGenerator<RatedGeneration[]> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const params = filterParams(filter);
  const feedback = qualifiedTable(store.database, FEEDBACK);
  let after = { p: '', t: '' };
  for (;;) {
    const [upper] = await store.query<{ project_id: string; trace_id: string }>(
      `SELECT project_id, trace_id FROM (
         SELECT DISTINCT project_id, trace_id FROM ${feedback}
         WHERE (project_id, trace_id) > ({afterProject:String}, {afterTrace:String})
           AND ${IN_FILTER_WINDOW}
         ORDER BY project_id, trace_id LIMIT {pageSize:UInt32})
       ORDER BY project_id DESC, trace_id DESC LIMIT 1`,
      { params: { ...params, afterProject: after.p, afterTrace: after.t, pageSize }, readonly: true },
    );
    if (!upper) return;
    const rows = await store.query(
      ratedGenerationsSql(
        store.database,
        `AND (project_id, trace_id) > ({afterProject:String}, {afterTrace:String})
         AND (project_id, trace_id) <= ({upperProject:String}, {upperTrace:String})`,
        'ORDER BY project_id, trace_id, span_id',
      ),
      {
        params: {
          ...params,
          afterProject: after.p,
          afterTrace: after.t,
          upperProject: upper.project_id,
          upperTrace: upper.trace_id,
        },
        readonly: true,
      },
    );
    after = { p: upper.project_id, t: upper.trace_id };
    options.onPage?.(rows.length);
    yield rows.map((row) => RatedGenerationSchema.parse(row));
  }
}

/**
 * Rated generations that can form DPO pairs (a thumb either way, or an edit),
 * ordered by (project, prompt key) so equal and near-identical prompts arrive
 * next to each other; paged by that keyset. Each page re-runs the join, so
 * this costs more than the by-trace order; it reads only thumbs and edits.
 */
export async function* ratedByPrompt(
  store: Store,
  filter: PreferenceFilter,
  options: PageOptions = {},
): AsyncGenerator<RatedGeneration[]> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const params = filterParams(filter);
  let after = { p: '', k: '', t: '', s: '' };
  for (;;) {
    const rows = (
      await store.query(
        ratedGenerationsSql(
          store.database,
          '',
          `WHERE (ups + downs > 0 OR correction != '')
             AND (project_id, prompt_key, trace_id, span_id) >
                 ({afterProject:String}, {afterKey:String}, {afterTrace:String}, {afterSpan:String})
           ORDER BY project_id, prompt_key, trace_id, span_id
           LIMIT {pageSize:UInt32}`,
        ),
        {
          params: {
            ...params,
            afterProject: after.p,
            afterKey: after.k,
            afterTrace: after.t,
            afterSpan: after.s,
            pageSize,
          },
          readonly: true,
        },
      )
    ).map((row) => RatedGenerationSchema.parse(row));
    if (rows.length === 0) return;
    const last = rows[rows.length - 1] as RatedGeneration;
    after = { p: last.project_id, k: last.prompt_key, t: last.trace_id, s: last.span_id };
    options.onPage?.(rows.length);
    yield rows;
    if (rows.length < pageSize) return;
  }
}

/** How many feedback rows the filter selects: the progress bar's total. */
export async function countFeedback(store: Store, filter: PreferenceFilter): Promise<number> {
  const feedback = qualifiedTable(store.database, FEEDBACK);
  const [row] = await store.query<{ n: number }>(
    `SELECT count() AS n FROM ${feedback}
     WHERE ${IN_FILTER_WINDOW}`,
    { params: filterParams(filter), readonly: true },
  );
  return Number(row?.n ?? 0);
}
