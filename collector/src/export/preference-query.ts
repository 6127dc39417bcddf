/**
 * The preference store: user feedback joined to the generation it rates, as
 * SQL the exporter streams. One result row is one rated generation (an
 * LLM span with a completion) with its votes summed up.
 *
 * Feedback that names no span rates the trace's newest answer to the user
 * (else its newest generation: `ANSWER_FIRST`). Votes are
 * counted once per voter (the user id, else the feedback id) and kind, the
 * newest winning, so a user who changes a thumb from down to up counts as up.
 * `feedback FINAL` collapses resent ids.
 */
import { randomBytes } from 'node:crypto';
import * as C from '@oversight/conventions';
import { z } from 'zod';
import { clickHouseTime } from '../store/json-each-row.ts';
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
  // Date.parse reads a date-time without an offset as the machine's local time; these are UTC.
  const local = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/.exec(value);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? `${value}T00:00:00Z`
    : local
      ? `${local[1]}T${local[2]}Z`
      : value;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`not a date: ${value} (use YYYY-MM-DD or an ISO date-time)`);
  return clickHouseTime(new Date(ms));
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
  model: z.string(),
  topic_id: z.coerce.string(),
  input_messages: z.string(),
  system_instructions: z.string(),
  prompt_text: z.string(),
  completion_text: z.string(),
  prompt_key: z.string(),
  system_key: z.coerce.string(),
  groundedness: z.number().nullable(),
  hallucinated: z.coerce.number().nullable(),
  /** 1 when the SDK cut one of the span's texts at its size cap (it leaves no mark in the text). */
  content_truncated: z.coerce.number(),
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

/** Lowercase, runs of anything but letters and digits as one space: case, punctuation and spacing ignored. */
const looseText = (text: string) =>
  `trimBoth(replaceRegexpAll(lowerUTF8(${text}), '[^\\\\p{L}\\\\p{N}]+', ' '))`;

/**
 * Equal keys mean the same conversation up to case, punctuation and spacing;
 * the exporter refines near-identical neighbours with the scorers' canonical
 * form and shingles. `g` is the llm_spans alias (with its dot) or ''.
 */
const promptKey = (g: string) =>
  looseText(`if(${g}input_messages = '', ${g}prompt_text,
    arrayStringConcat(arrayMap(m -> concat(JSONExtractString(m, 'role'), ' ', JSONExtractString(m, 'content')),
                               JSONExtractArrayRaw(${g}input_messages)), ' '))`);

/**
 * The system prompt's key, apart from the conversation's: answers pair only
 * under the same system prompt, which is compared exactly (up to case,
 * punctuation and spacing), never by overlap.
 */
const systemKey = (g: string) => `toString(cityHash64(${looseText(`${g}system_instructions`)}))`;

const COMPLETED = 'notEmpty(completion_text)';
const IN_PROJECT = `({project:String} = '' OR project_id = {project:String})`;

/** Feedback rows that count as votes, narrowed to a slice by `scope`. */
const feedbackCte = (feedback: string, scope: string) => `fb AS (
    SELECT project_id, trace_id, span_id, if(user_id = '', id, user_id) AS voter, kind, value, correction, timestamp
    FROM ${feedback} FINAL
    WHERE kind IN ('thumbs', 'edit', 'regenerate', 'copy')
      AND ${IN_FILTER_WINDOW}
      AND ${scope}
)`;

/**
 * Votes summed per rated generation: `latest` names the generation that
 * feedback without a span id rates (the trace's newest answer).
 */
const votesCtes = `votes AS (
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
)`;

/**
 * Which generation feedback naming no span rates: the trace's newest answer
 * to the user, before the app's own steps after it (a title, a guard of the
 * answer: app_step), as `answer_votes` takes it (migration 024).
 */
const ANSWER_FIRST = "(app_step = '', timestamp)";

/**
 * `gens`: the generations of the traces in `fb` (ids and time);
 * `latest`: each trace's newest answer (`ANSWER_FIRST`), which feedback naming no span rates.
 */
function generationCtes(spans: string): string {
  return `gens AS (
    SELECT project_id, trace_id, span_id, timestamp, app_step
    FROM ${spans}
    WHERE ${COMPLETED} AND ${IN_PROJECT}
      AND (project_id, trace_id) IN (SELECT project_id, trace_id FROM fb)
),
latest AS (
    SELECT project_id, trace_id, argMax(span_id, ${ANSWER_FIRST}) AS span_id
    FROM gens GROUP BY project_id, trace_id
)`;
}

/**
 * How many rated generations are not in llm_spans (expired, never sent, in
 * another project): nothing to export, but counted in the summary. Reads only
 * llm_spans' narrow columns (ids, time, the completion's length), so a pass
 * over the whole table per feedback slice stays cheap.
 */
function missingGenerationsSql(database: string, scope: string, where?: string): string {
  const feedback = qualifiedTable(database, FEEDBACK);
  const spans = qualifiedTable(database, LLM_SPANS);
  return `
WITH
${feedbackCte(feedback, scope)},
${generationCtes(spans)},
${votesCtes}
SELECT count() AS missing
FROM rated
WHERE (project_id, trace_id, span_id) NOT IN (SELECT project_id, trace_id, span_id FROM gens)
  -- A missing generation has topic 0.
  AND ({topic:String} = '' OR {topic:String} = '0')
  ${where ? `AND ${where}` : ''}`;
}

/**
 * llm_spans' sort key, then the ids, so every generation has its own place:
 * a range of it is a run of contiguous granules.
 */
const SPAN_KEY = (g: string) =>
  `${g}project_id, ${g}service_name, ${g}operation, toStartOfHour(${g}timestamp), ${g}timestamp, ${g}trace_id, ${g}span_id`;

interface SpanBound {
  project_id: string;
  service_name: string;
  operation: string;
  /** The timestamp in ns, as text (beyond a double's precision). */
  ns: string;
  trace_id: string;
  span_id: string;
}

const boundTuple = (p: string) =>
  `({${p}p:String}, {${p}s:String}, {${p}o:String},
    toStartOfHour(fromUnixTimestamp64Nano(toInt64({${p}ns:String}))), fromUnixTimestamp64Nano(toInt64({${p}ns:String})),
    {${p}t:String}, {${p}sp:String})`;

const boundParams = (p: string, b: SpanBound) => ({
  [`${p}p`]: b.project_id,
  [`${p}s`]: b.service_name,
  [`${p}o`]: b.operation,
  [`${p}ns`]: b.ns,
  [`${p}t`]: b.trace_id,
  [`${p}sp`]: b.span_id,
});

/**
 * The generations after `lo` up to and including `hi` in llm_spans' order.
 * The tuple comparison is exact; the plain conditions beside it restate what
 * it implies on the key's leading columns, so the primary index and the
 * partitions' time ranges skip the granules outside the range.
 */
function spanRange(
  g: string,
  lo?: SpanBound,
  hi?: SpanBound,
): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  let params: Record<string, unknown> = {};
  if (lo) {
    parts.push(`(${SPAN_KEY(g)}) > ${boundTuple('lo')}`, `${g}project_id >= {lop:String}`);
    params = { ...params, ...boundParams('lo', lo) };
  }
  if (hi) {
    parts.push(`(${SPAN_KEY(g)}) <= ${boundTuple('hi')}`, `${g}project_id <= {hip:String}`);
    params = { ...params, ...boundParams('hi', hi) };
  }
  if (
    lo &&
    hi &&
    lo.project_id === hi.project_id &&
    lo.service_name === hi.service_name &&
    lo.operation === hi.operation
  )
    parts.push(
      `${g}service_name = {los:String} AND ${g}operation = {loo:String}`,
      `${g}timestamp BETWEEN fromUnixTimestamp64Nano(toInt64({lons:String})) AND fromUnixTimestamp64Nano(toInt64({hins:String}))`,
    );
  return { sql: parts.length > 0 ? parts.join(' AND ') : '1', params };
}

/** The llm_spans columns a rated generation is built from, its sort key among them. */
const GENERATION_COLUMNS = `project_id, service_name, operation, timestamp, trace_id, span_id, request_model,
               response_model, topic_id, input_messages, system_instructions, prompt_text, completion_text,
               groundedness, hallucinated,
               toUInt8(metadata['${C.ATTR_OVERSIGHT_CONTENT_TRUNCATED}'] = 'true') AS content_truncated`;

/**
 * Rated generations found in llm_spans between two places in its order,
 * ordered the same way: llm_spans is read once over all slices, contiguous
 * granules per slice, and its wide columns only where rated generations are.
 * The slice's feedback (narrow) comes in through a semi-join on its traces.
 */
function foundInRangeSql(
  database: string,
  range: string,
  { withPromptKey, where, ordered }: { withPromptKey: boolean; where?: string; ordered: boolean },
): string {
  const feedback = qualifiedTable(database, FEEDBACK);
  const spans = qualifiedTable(database, LLM_SPANS);
  const sliceTraces = `(project_id, trace_id) IN (
        SELECT project_id, trace_id FROM ${spans} AS g WHERE ${COMPLETED} AND ${IN_PROJECT} AND ${range})`;
  return `
WITH
${feedbackCte(feedback, sliceTraces)},
latest AS (
    -- Traces with feedback that names no span: their newest answer may lie outside the slice.
    -- Read from the feedback table's narrow columns rather than from fb, which would run fb twice.
    SELECT project_id, trace_id, argMax(span_id, ${ANSWER_FIRST}) AS span_id
    FROM ${spans}
    WHERE ${COMPLETED} AND ${IN_PROJECT}
      AND (project_id, trace_id) IN (
        SELECT project_id, trace_id FROM ${feedback}
        WHERE span_id = '' AND kind IN ('thumbs', 'edit', 'regenerate', 'copy')
          AND ${IN_FILTER_WINDOW} AND ${sliceTraces})
    GROUP BY project_id, trace_id
),
${votesCtes}
SELECT project_id, trace_id, span_id, model, topic_id, input_messages, system_instructions, prompt_text,
       completion_text, prompt_key, system_key, groundedness, hallucinated, content_truncated, ups, downs, copies, regenerates, correction
FROM (
    SELECT g.project_id AS project_id, g.trace_id AS trace_id, g.span_id AS span_id,
           if(g.response_model != '', g.response_model, g.request_model) AS model, toString(g.topic_id) AS topic_id,
           g.input_messages AS input_messages, g.system_instructions AS system_instructions,
           g.prompt_text AS prompt_text, g.completion_text AS completion_text,
           ${withPromptKey ? promptKey('g.') : "''"} AS prompt_key,
           ${withPromptKey ? systemKey('g.') : "''"} AS system_key,
           g.groundedness AS groundedness, g.hallucinated AS hallucinated, g.content_truncated AS content_truncated,
           r.ups AS ups, r.downs AS downs, r.copies AS copies, r.regenerates AS regenerates,
           r.correction AS correction,
           ${SPAN_KEY('g.')
             .split(', ')
             .map((c, i) => `${c} AS k${i}`)
             .join(', ')}
    FROM (
        -- One row per generation: llm_spans is a plain MergeTree, so a request an OTLP exporter resent after
        -- the collector had accepted it is stored again, and every copy would join its votes. Copies share
        -- their sort key, so they fall in the same slice.
        SELECT ${GENERATION_COLUMNS}
        FROM ${spans} AS g
        WHERE notEmpty(g.completion_text)
          AND ({project:String} = '' OR g.project_id = {project:String})
          AND ${range}
          AND ({topic:String} = '' OR toString(g.topic_id) = {topic:String})
        LIMIT 1 BY project_id, trace_id, span_id
    ) AS g
    INNER JOIN rated AS r ON g.project_id = r.project_id AND g.trace_id = r.trace_id AND g.span_id = r.span_id
)
${where ? `WHERE ${where}` : ''}
${ordered ? 'ORDER BY k0, k1, k2, k3, k4, k5, k6' : ''}`;
}

/**
 * Rows per slice: llm_spans rows by span order (so at most as many rated
 * generations), feedback traces by trace, about as many generations by
 * prompt. The engine's memory for a slice's aggregation, join and sort grows
 * with it; by span order llm_spans is read once whatever the slice, so this
 * bounds memory without costing passes there.
 */
export const DEFAULT_SLICE_ROWS = 50_000;

export interface SliceOptions {
  sliceRows?: number;
  /** Called after each batch with the rated generations in it. */
  onRows?: (rows: number) => void;
  /**
   * DPO only: called as the prompt-sorting pass works through llm_spans, with
   * the spans it has covered and their total (the pass yields no rows, and
   * takes tens of seconds at a million spans).
   */
  onSorting?: (spans: number, total: number) => void;
  /** Called with the rated generations not in llm_spans, a count per feedback slice (they yield no rows). */
  onMissing?: (generations: number) => void;
}

const PROMPT_ORDER = 'project_id, system_key, prompt_key, trace_id, span_id';
/** Generations that can form DPO pairs: a thumb either way, or an edit. */
const PAIRABLE = `(ups + downs > 0 OR correction != '')`;

/** One slice's rated generations, streamed batch by batch as the engine produces them. */
async function* streamSlice(
  store: Store,
  sql: string,
  params: Record<string, unknown>,
  options: SliceOptions,
): AsyncGenerator<RatedGeneration[]> {
  for await (const batch of store.stream<Record<string, unknown>>(sql, { params, readonly: true })) {
    options.onRows?.(batch.length);
    yield batch.map((row) => RatedGenerationSchema.parse(row));
  }
}

/**
 * Rated generations in llm_spans' order (the order its rows are stored in),
 * then a count of the rated generations that are not in llm_spans. Each slice is a range
 * of at most `sliceRows` llm_spans rows found by walking the primary index,
 * so the engine's memory is bounded by the slice and each slice is streamed,
 * so this process holds one batch.
 */
export async function* ratedByTrace(
  store: Store,
  filter: PreferenceFilter,
  options: SliceOptions = {},
): AsyncGenerator<RatedGeneration[]> {
  const params = filterParams(filter);
  for await (const range of spanSlices(store, params, options.sliceRows ?? DEFAULT_SLICE_ROWS))
    yield* streamSlice(
      store,
      foundInRangeSql(store.database, range.sql, { withPromptKey: false, ordered: true }),
      { ...params, ...range.params },
      options,
    );
  await countMissing(store, filter, options);
}

/**
 * Ranges of llm_spans' order holding `sliceRows` rows each (the last one the
 * rest), found by walking the primary index, as conditions on alias `g`.
 */
async function* spanSlices(
  store: Store,
  params: Record<string, unknown>,
  sliceRows: number,
): AsyncGenerator<{ sql: string; params: Record<string, unknown> }> {
  const spans = qualifiedTable(store.database, LLM_SPANS);
  let lo: SpanBound | undefined;
  let done = false;
  while (!done) {
    const after = spanRange('', lo);
    const [hi] = await store.query<SpanBound>(
      `SELECT project_id, service_name, operation, toString(toUnixTimestamp64Nano(timestamp)) AS ns, trace_id, span_id
       FROM ${spans}
       WHERE ${IN_PROJECT} AND ${after.sql}
       ORDER BY ${SPAN_KEY('')} LIMIT 1 OFFSET {skip:UInt32}`,
      { params: { ...params, ...after.params, skip: sliceRows - 1 }, readonly: true },
    );
    // No row sliceRows on: the rest is the last slice.
    done = hi === undefined;
    yield spanRange('g.', lo, hi);
    lo = hi;
  }
}

const MISSING_SLICE_FACTOR = 8;

/** Counts rated generations not in llm_spans, slice by slice along the feedback table's primary key. */
async function countMissing(
  store: Store,
  filter: PreferenceFilter,
  options: SliceOptions,
  where?: string,
): Promise<void> {
  // Narrow on both sides (ids and votes), so a slice can hold more traces; each slice still reads
  // llm_spans' id columns in full, and fewer slices are fewer of those reads.
  const sliceRows = (options.sliceRows ?? DEFAULT_SLICE_ROWS) * MISSING_SLICE_FACTOR;
  const params = filterParams(filter);
  const feedback = qualifiedTable(store.database, FEEDBACK);
  let after = { p: '', t: '' };
  for (;;) {
    const [upper] = await store.query<{ project_id: string; trace_id: string }>(
      `SELECT project_id, trace_id FROM (
         SELECT DISTINCT project_id, trace_id FROM ${feedback}
         WHERE (project_id, trace_id) > ({afterProject:String}, {afterTrace:String})
           AND ${IN_FILTER_WINDOW}
         ORDER BY project_id, trace_id LIMIT {sliceRows:UInt32})
       ORDER BY project_id DESC, trace_id DESC LIMIT 1`,
      { params: { ...params, afterProject: after.p, afterTrace: after.t, sliceRows }, readonly: true },
    );
    if (!upper) return;
    const [counted] = await store.query<{ missing: number | string }>(
      missingGenerationsSql(
        store.database,
        `(project_id, trace_id) > ({afterProject:String}, {afterTrace:String})
            AND (project_id, trace_id) <= ({upperProject:String}, {upperTrace:String})`,
        where,
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
    const missing = Number(counted?.missing ?? 0);
    options.onRows?.(missing);
    options.onMissing?.(missing);
    after = { p: upper.project_id, t: upper.trace_id };
  }
}

/**
 * The DPO export's work tables are named `export_dpo_<unix seconds>_<random>`
 * (and `…_bounds`): the time tells a table a killed export left behind from one
 * an export is still using.
 */
const WORK_TABLE = /^export_dpo_(\d+)_[0-9a-f]+(?:_bounds)?$/;
/** Far longer than any export runs; older work tables were left by an export that died. */
const STALE_WORK_TABLE_S = 24 * 3600;

async function dropStaleWorkTables(store: Store): Promise<void> {
  const tables = await store.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = {db:String} AND startsWith(name, 'export_dpo_')`,
    { params: { db: store.database }, readonly: true },
  );
  const now = Date.now() / 1000;
  for (const { name } of tables) {
    const created = Number(WORK_TABLE.exec(name)?.[1]);
    if (Number.isFinite(created) && now - created > STALE_WORK_TABLE_S)
      await store.command(`DROP TABLE IF EXISTS ${qualifiedTable(store.database, name)} SYNC`);
  }
}

/**
 * Rated generations that can form DPO pairs, ordered by (project, system
 * prompt, prompt key) so equal and near-identical prompts arrive next to each other and the
 * pairer holds one group. Generations that are not in llm_spans have no
 * prompt; they come first, from the feedback slices.
 *
 * Prompt order is unrelated to llm_spans' order, so a slice by prompt read
 * from llm_spans would touch every granule. Instead one pass, in bounded
 * slices of llm_spans' order, computes each pairable generation's prompt key
 * once and writes the rows into a work table sorted by prompt; slices of that
 * table, bounded by keys sampled from it (about 32 per slice), are then read
 * in order, each only its own granules. The work tables are dropped when the
 * export ends, however it ends.
 */
export async function* ratedByPrompt(
  store: Store,
  filter: PreferenceFilter,
  options: SliceOptions = {},
): AsyncGenerator<RatedGeneration[]> {
  const sliceRows = options.sliceRows ?? DEFAULT_SLICE_ROWS;
  const params = filterParams(filter);

  // Not in llm_spans: nothing to pair, but counted in the summary.
  await countMissing(store, filter, options, PAIRABLE);

  await dropStaleWorkTables(store);
  const name = `export_dpo_${Math.floor(Date.now() / 1000)}_${randomBytes(6).toString('hex')}`;
  const keyed = qualifiedTable(store.database, name);
  const bounds = qualifiedTable(store.database, `${name}_bounds`);
  const pairable = (range: string) =>
    foundInRangeSql(store.database, range, { withPromptKey: true, where: PAIRABLE, ordered: false });
  let failed = false;
  try {
    // Columns as the query that fills it makes them, so the two cannot drift apart.
    await store.command(
      `CREATE TABLE ${keyed} ENGINE = MergeTree ORDER BY (${PROMPT_ORDER}) EMPTY AS ${pairable('0')}`,
      { params },
    );
    const spansTotal = options.onSorting ? await countSpans(store, params) : 0;
    let sorted = 0;
    for await (const range of spanSlices(store, params, sliceRows)) {
      await store.command(`INSERT INTO ${keyed} ${pairable(range.sql)}`, {
        params: { ...params, ...range.params },
      });
      sorted = Math.min(sorted + sliceRows, spansTotal);
      options.onSorting?.(sorted, spansTotal);
    }

    // Bounds stay in the engine: a prompt key can be longer than a URL may carry as a parameter.
    const perSample = Math.min(32, sliceRows);
    await store.command(
      `CREATE TABLE ${bounds} ENGINE = MergeTree ORDER BY (${PROMPT_ORDER}) AS
       SELECT ${PROMPT_ORDER} FROM (
         SELECT ${PROMPT_ORDER}, row_number() OVER (ORDER BY ${PROMPT_ORDER}) AS n
         FROM ${keyed} WHERE cityHash64(trace_id) % {modulo:UInt32} = 0)
       WHERE n > 1 AND (n - 1) % {perSample:UInt32} = 0`,
      { params: { modulo: Math.max(1, Math.floor(sliceRows / perSample)), perSample } },
    );
    const [count] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${bounds}`, {
      readonly: true,
    });
    const boundCount = Number(count?.n ?? 0);
    const bound = (param: string) =>
      `(SELECT (${PROMPT_ORDER}) FROM ${bounds} ORDER BY ${PROMPT_ORDER} LIMIT 1 OFFSET {${param}:UInt32}) AS ${param}`;
    for (let i = 0; i <= boundCount; i++) {
      const lo = i > 0;
      const hi = i < boundCount;
      // The tuple comparison is exact; the index uses only the conditions on the leading columns beside it.
      const where = [
        lo
          ? `(${PROMPT_ORDER}) > lo AND (project_id > lo.1 OR (project_id = lo.1 AND
               (system_key > lo.2 OR (system_key = lo.2 AND prompt_key >= lo.3))))`
          : '',
        hi
          ? `(${PROMPT_ORDER}) <= hi AND (project_id < hi.1 OR (project_id = hi.1 AND
               (system_key < hi.2 OR (system_key = hi.2 AND prompt_key <= hi.3))))`
          : '',
      ].filter(Boolean);
      const with_ = [lo ? bound('lo') : '', hi ? bound('hi') : ''].filter(Boolean);
      yield* streamSlice(
        store,
        `${with_.length > 0 ? `WITH ${with_.join(', ')}` : ''}
         SELECT * FROM ${keyed} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${PROMPT_ORDER}`,
        { ...(lo ? { lo: i - 1 } : {}), ...(hi ? { hi: i } : {}) },
        options,
      );
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await dropWorkTables(store, [bounds, keyed], failed);
  }
}

async function dropWorkTables(store: Store, tables: string[], exportFailed: boolean): Promise<void> {
  for (const table of tables) {
    try {
      await store.command(`DROP TABLE IF EXISTS ${table} SYNC`);
    } catch (error) {
      // After a failed export its own error is the one to report; a table left behind is dropped by a later export.
      if (!exportFailed) throw error;
    }
  }
}

/** The llm_spans rows the prompt-sorting pass walks (every span of the project filter). */
async function countSpans(store: Store, params: Record<string, unknown>): Promise<number> {
  const [row] = await store.query<{ n: number | string }>(
    `SELECT count() AS n FROM ${qualifiedTable(store.database, LLM_SPANS)} WHERE ${IN_PROJECT}`,
    { params, readonly: true },
  );
  return Number(row?.n ?? 0);
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
