/**
 * What the trace stage reads from and writes to ClickHouse: whole traces read
 * back (re-scores, crash recovery), which traces already carry scores, the
 * supersede of old scores, and the one lightweight UPDATE of the llm_spans
 * quality columns per flush batch. Every value travels as a bound query
 * parameter; only table names (checked identifiers) are spliced.
 */
import { z } from 'zod';
import type { GenerationFindings } from '../../enrich/trace-enricher.ts';
import type { Row, Store } from '../../store/store.ts';
import {
  EVALUATIONS,
  LLM_SPANS,
  OTEL_TRACES,
  QUALITY_EVENTS,
  qualifiedTable,
  RETRIEVAL_DOCUMENTS,
} from '../../store/tables.ts';

export type TraceStore = Pick<Store, 'database' | 'query' | 'command' | 'insert'>;

const GENERATION_OPERATIONS = ['chat', 'text_completion', 'generate_content'];

export interface TraceRows {
  llmSpans: Row[];
  documents: Row[];
  traces: Row[];
}

/** Every stored row of the traces, in the shapes `rebuildTraces` reads. */
export async function readTraces(
  store: TraceStore,
  projectId: string,
  traceIds: readonly string[],
): Promise<TraceRows> {
  const db = store.database;
  const params = { project: projectId, traces: traceIds };
  const [llmSpans, documents, traces] = await Promise.all([
    store.query(
      `SELECT project_id, trace_id, span_id, parent_span_id,
              toString(toUnixTimestamp64Nano(timestamp)) AS timestamp_ns, toString(duration_ns) AS duration_ns,
              convention, operation, name, service_name, request_model, response_model, input_messages, output_messages,
              system_instructions, tool_result, retrieval_query, session_id, user_id
         FROM ${qualifiedTable(db, LLM_SPANS)}
        WHERE project_id = {project:String} AND trace_id IN {traces:Array(String)}
        LIMIT 1 BY trace_id, span_id`,
      { params },
    ),
    store.query(
      `SELECT trace_id, span_id, document_id, rank, score, content
         FROM ${qualifiedTable(db, RETRIEVAL_DOCUMENTS)}
        WHERE project_id = {project:String} AND trace_id IN {traces:Array(String)}
        LIMIT 1 BY trace_id, span_id, rank`,
      { params },
    ),
    store.query(
      `SELECT ProjectId, TraceId, SpanId, ParentSpanId,
              toString(toUnixTimestamp64Nano(Timestamp)) AS timestamp_ns, toString(Duration) AS Duration
         FROM ${qualifiedTable(db, OTEL_TRACES)}
        WHERE ProjectId = {project:String} AND TraceId IN {traces:Array(String)}
        LIMIT 1 BY TraceId, SpanId`,
      { params },
    ),
  ]);
  return { llmSpans, documents, traces };
}

/**
 * What is stored of the traces, in one round trip: of `traceIds`, those with
 * collector rows of `evaluators` (a replay, a re-score); of `mayLack`, those
 * with LLM spans stored besides the `known` span ids (spans that reached
 * another process, or this one before it let go of them); of `seen`, those
 * with generations a stage has judged (`judged`, migration 026), scores or none.
 */
export async function storedOfTraces(
  store: TraceStore,
  projectId: string,
  traceIds: readonly string[],
  evaluators: readonly string[],
  mayLack: readonly string[] = [],
  known: readonly string[] = [],
  seen: readonly string[] = [],
): Promise<{ withScores: Set<string>; withOtherSpans: Set<string>; judged: Set<string> }> {
  const db = store.database;
  const rows = await store.query<{ trace_id: string; kind: string }>(
    `SELECT DISTINCT trace_id, 'scores' AS kind FROM ${qualifiedTable(db, EVALUATIONS)}
      WHERE project_id = {project:String} AND trace_id IN {traces:Array(String)}
        AND evaluator IN {evaluators:Array(String)} AND source = 'collector'
     UNION ALL
     SELECT DISTINCT trace_id, 'spans' AS kind FROM ${qualifiedTable(db, LLM_SPANS)}
      WHERE project_id = {project:String} AND trace_id IN {mayLack:Array(String)}
        AND span_id NOT IN {known:Array(String)}
     UNION ALL
     SELECT DISTINCT trace_id, 'judged' AS kind FROM ${qualifiedTable(db, LLM_SPANS)}
      WHERE project_id = {project:String} AND trace_id IN {seen:Array(String)} AND judged = 1`,
    { params: { project: projectId, traces: traceIds, evaluators, mayLack, known, seen } },
  );
  const out = { withScores: new Set<string>(), withOtherSpans: new Set<string>(), judged: new Set<string>() };
  const into = { scores: out.withScores, spans: out.withOtherSpans, judged: out.judged };
  for (const r of rows) into[r.kind as keyof typeof into]?.add(r.trace_id);
  return out;
}

/**
 * Before old scores are deleted, the spans' quality columns go back to NULL
 * and `judged` to 0: a crash between the delete and the new insert then
 * leaves the spans looking unscored, and recovery scores them again instead
 * of leaving them without rows. Evaluations are deleted only of `withRows`
 * (default all of `traceIds`): a trace whose generations were judged with
 * nothing to score has none, and needs no DELETE mutation.
 */
export async function supersede(
  store: TraceStore,
  projectId: string,
  traceIds: readonly string[],
  spanIds: readonly string[],
  evaluators: readonly string[],
  withRows: readonly string[] = traceIds,
): Promise<void> {
  if (spanIds.length === 0) return;
  const params = { project: projectId, traces: traceIds, spans: spanIds, evaluators };
  await store.command(
    `UPDATE ${qualifiedTable(store.database, LLM_SPANS)}
        SET groundedness = NULL, hallucinated = NULL, answer_relevance = NULL, context_relevance = NULL,
            app_step = '', judged = 0
      WHERE project_id = {project:String} AND trace_id IN {traces:Array(String)}
        AND span_id IN {spans:Array(String)}`,
    { params },
  );
  if (withRows.length === 0) return;
  await store.command(
    `DELETE FROM ${qualifiedTable(store.database, EVALUATIONS)}
      WHERE project_id = {project:String} AND trace_id IN {traces:Array(String)}
        AND span_id IN {spans:Array(String)} AND evaluator IN {evaluators:Array(String)}
        AND source = 'collector'`,
    { params: { ...params, traces: withRows } },
  );
}

export interface SpanFindings {
  spanId: string;
  found: GenerationFindings;
  /** Pairing's `appStep` ('' for an answer to the user): written for every generation the stage saw. */
  appStep: string;
}

/**
 * One lightweight UPDATE for a project's batch: each column takes its value
 * from an array bound as a parameter, aligned with the span ids, and keeps its
 * value for spans whose entry is NULL (an enricher that found nothing about a
 * span leaves it alone). `app_step` is pairing's, known for every generation,
 * so it is always set: a late span can make a step an answer again, or the
 * reverse. `judged` says the stage saw the generation, even when nothing could
 * be scored. Of findings for one span id, the last value of each column wins.
 *
 * Arrays, not maps keyed by span id: ClickHouse looks a `Map` parameter up by
 * scanning it, for every row and every column, which made this UPDATE cost
 * about a millisecond of engine CPU per generation on a batch of 500 (more than
 * scoring it); one `indexOf` per row is a tenth of that.
 */
export async function updateQualityColumns(
  store: TraceStore,
  projectId: string,
  traceIds: readonly string[],
  findings: readonly SpanFindings[],
): Promise<number> {
  if (findings.length === 0) return 0;
  const bySpan = new Map<string, { appStep: string; found: GenerationFindings }>();
  for (const { spanId, found, appStep } of findings) {
    const seen = bySpan.get(spanId);
    // Defined values only: a later finding without a column keeps the earlier one's.
    const defined = Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined));
    bySpan.set(spanId, { appStep, found: { ...seen?.found, ...defined } });
  }
  const entries = [...bySpan.values()];
  const column = <T>(read: (f: GenerationFindings) => T | undefined): (T | null)[] =>
    entries.map(({ found }) => read(found) ?? null);
  const at = 'indexOf({spans:Array(String)}, span_id)';
  const pick = (name: string, param: string, type: string) =>
    `${name} = ifNull({${param}:Array(Nullable(${type}))}[${at}], ${name})`;
  await store.command(
    `UPDATE ${qualifiedTable(store.database, LLM_SPANS)} SET
        ${pick('groundedness', 'g', 'Float32')},
        ${pick('hallucinated', 'h', 'UInt8')},
        ${pick('answer_relevance', 'ar', 'Float32')},
        ${pick('context_relevance', 'cr', 'Float32')},
        ${pick('kb_gap', 'kb', 'UInt8')},
        ${pick('kb_gap_score', 'ks', 'Float32')},
        topic_id = ifNull(toUInt64({topic:Array(Nullable(String))}[${at}]), topic_id),
        gap_signals = if({hasSignals:Array(UInt8)}[${at}] = 1, {signals:Array(Array(String))}[${at}], gap_signals),
        app_step = {steps:Array(String)}[${at}],
        judged = 1
      WHERE project_id = {project:String} AND trace_id IN {traces:Array(String)}
        AND span_id IN {spans:Array(String)}`,
    {
      params: {
        project: projectId,
        traces: traceIds,
        spans: [...bySpan.keys()],
        g: column((f) => f.groundedness),
        h: column((f) => (f.hallucinated === undefined ? undefined : f.hallucinated ? 1 : 0)),
        ar: column((f) => f.answerRelevance),
        cr: column((f) => f.contextRelevance),
        kb: column((f) => (f.kbGap === undefined ? undefined : f.kbGap ? 1 : 0)),
        ks: column((f) => f.kbGapScore),
        topic: column((f) => f.topicId?.toString()),
        hasSignals: entries.map(({ found }) => (found.gapSignals === undefined ? 0 : 1)),
        signals: entries.map(({ found }) => found.gapSignals ?? []),
        steps: entries.map((e) => e.appStep),
      },
    },
  );
  return findings.length;
}

/** One generation's quality as the roll-up counts it (a quality_events row without its sign). */
export interface QualityState {
  traceId: string;
  spanId: string;
  /** Nanoseconds since the epoch, the generation's start. */
  timestampNs: bigint;
  serviceName: string;
  model: string;
  topicId: bigint;
  groundedness: number | null;
  hallucinated: number | null;
  answerRelevance: number | null;
  kbGap: number | null;
  kbGapScore: number | null;
}

const outstandingRow = z.object({
  trace_id: z.string(),
  span_id: z.string(),
  timestamp_ns: z.string(),
  service_name: z.string(),
  model: z.string(),
  topic_id: z.coerce.string(),
  groundedness: z.number().nullable(),
  hallucinated: z.number().nullable(),
  answer_relevance: z.number().nullable(),
  kb_gap: z.number().nullable(),
  kb_gap_score: z.number().nullable(),
  net: z.number().int(),
});

/**
 * What the roll-up currently counts for the traces' spans: the quality_events
 * rows whose signs do not cancel, with their multiplicity. Read from the ledger
 * itself rather than the llm_spans columns, because those are NULLed by
 * `supersede` and set by a later UPDATE: after a crash between the ledger insert
 * and that UPDATE they disagree with what was counted, the ledger never does.
 */
export async function outstandingQuality(
  store: TraceStore,
  projectId: string,
  traceIds: readonly string[],
): Promise<Map<string, { state: QualityState; net: number }[]>> {
  const rows = await store.query(
    `SELECT trace_id, span_id, toString(toUnixTimestamp64Nano(timestamp)) AS timestamp_ns, service_name, model,
            toString(topic_id) AS topic_id, groundedness, hallucinated, answer_relevance, kb_gap,
            kb_gap_score, toInt32(sum(sign)) AS net
       FROM ${qualifiedTable(store.database, QUALITY_EVENTS)}
      WHERE project_id = {project:String} AND trace_id IN {traces:Array(String)}
      GROUP BY trace_id, span_id, timestamp, service_name, model, topic_id,
               groundedness, hallucinated, answer_relevance, kb_gap, kb_gap_score
     HAVING net != 0`,
    { params: { project: projectId, traces: traceIds } },
  );
  const out = new Map<string, { state: QualityState; net: number }[]>();
  for (const raw of rows) {
    const r = outstandingRow.parse(raw);
    const state: QualityState = {
      traceId: r.trace_id,
      spanId: r.span_id,
      timestampNs: BigInt(r.timestamp_ns),
      serviceName: r.service_name,
      model: r.model,
      topicId: BigInt(r.topic_id),
      groundedness: r.groundedness,
      hallucinated: r.hallucinated,
      answerRelevance: r.answer_relevance,
      kbGap: r.kb_gap,
      kbGapScore: r.kb_gap_score,
    };
    const key = `${r.trace_id}\u0000${r.span_id}`;
    out.set(key, [...(out.get(key) ?? []), { state, net: r.net }]);
  }
  return out;
}

// Float32 columns: a score read back prints as its float32 value, so both sides compare as float32.
const f32 = (x: number | null) => (x === null ? null : Math.fround(x));
const sameState = (a: QualityState, b: QualityState) =>
  a.timestampNs === b.timestampNs &&
  a.serviceName === b.serviceName &&
  a.model === b.model &&
  a.topicId === b.topicId &&
  f32(a.groundedness) === f32(b.groundedness) &&
  a.hallucinated === b.hallucinated &&
  f32(a.answerRelevance) === f32(b.answerRelevance) &&
  a.kbGap === b.kbGap &&
  f32(a.kbGapScore) === f32(b.kbGapScore);

/**
 * The ledger rows that move the roll-up from `outstanding` to `next` for one
 * span: the outstanding rows taken back (sign −net) and `next` added (+1). An
 * unchanged score writes nothing, so replays and re-scores that agree cost no rows.
 */
export function qualityDelta(
  projectId: string,
  outstanding: readonly { state: QualityState; net: number }[],
  next: QualityState | undefined,
): Row[] {
  const only = outstanding.length === 1 ? outstanding[0] : undefined;
  if (next && only && only.net === 1 && sameState(only.state, next)) return [];
  if (!next && outstanding.length === 0) return [];
  const row = (q: QualityState, sign: number): Row => ({
    project_id: projectId,
    timestamp: q.timestampNs,
    trace_id: q.traceId,
    span_id: q.spanId,
    service_name: q.serviceName,
    model: q.model,
    topic_id: q.topicId,
    sign,
    groundedness: q.groundedness,
    hallucinated: q.hallucinated,
    answer_relevance: q.answerRelevance,
    kb_gap: q.kbGap,
    kb_gap_score: q.kbGapScore,
  });
  const rows: Row[] = [];
  for (const o of outstanding) {
    // sign is Int8: a (pathological) multiplicity beyond it is taken back in steps.
    for (let left = o.net; left !== 0; ) {
      const step = Math.max(-127, Math.min(127, left));
      rows.push(row(o.state, -step));
      left -= step;
    }
  }
  if (next) rows.push(row(next, 1));
  return rows;
}

/**
 * Generations of the last `windowMs` the stage has not judged: their traces
 * were open in a process that died, or it died before the columns were set.
 * Newest first, at most `limit` traces. `judged` says the stage saw a
 * generation, scored or not (no question and no context: nothing to score);
 * rows from before it (migration 026) say so with their scores or `app_step`.
 */
export async function unscoredTraces(
  store: TraceStore,
  windowMs: number,
  limit: number,
): Promise<{ projectId: string; traceId: string }[]> {
  const rows = await store.query<{ project_id: string; trace_id: string }>(
    `SELECT project_id, trace_id FROM ${qualifiedTable(store.database, LLM_SPANS)}
      WHERE timestamp >= now64(9) - toIntervalMillisecond({window:UInt64})
        AND operation IN {operations:Array(String)}
        AND judged = 0 AND groundedness IS NULL AND answer_relevance IS NULL AND app_step = ''
        AND completion_text != ''
      GROUP BY project_id, trace_id
      ORDER BY max(timestamp) DESC
      LIMIT {limit:UInt32}`,
    { params: { window: windowMs, operations: GENERATION_OPERATIONS, limit } },
  );
  return rows.map((r) => ({ projectId: r.project_id, traceId: r.trace_id }));
}
