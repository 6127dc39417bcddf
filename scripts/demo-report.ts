/**
 * The report `npm start` prints after the demo: what Oversight found in the
 * run, read back from ClickHouse through the running collector (the same path
 * as `oversight sql`), never from the demo's own counters, so it shows what a
 * user's dashboards would show.
 */
import { z } from 'zod';
import { GAP_SIGNALS, type GapSignal } from '../collector/src/enrich/topics/gaps.ts';

/** Runs one read-only query and returns its rows (JSONEachRow, 64-bit numbers as strings). */
export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

const num = z.coerce.number();
const optionalNum = z.union([z.null(), z.coerce.number()]);

/** A collector scorer's positive label per safety evaluator; an SDK guard's rows carry its decision instead. */
const SAFETY_KINDS: Record<string, { title: string; positive: string }> = {
  pii: { title: 'PII', positive: 'pii' },
  prompt_injection: { title: 'prompt injection', positive: 'injection' },
  jailbreak: { title: 'jailbreak', positive: 'jailbreak' },
  toxicity: { title: 'toxicity', positive: 'toxic' },
};

const OverviewRow = z.object({
  traces: num,
  llm_calls: num,
  input_tokens: num,
  output_tokens: num,
  cost_usd: num,
  p50_ms: optionalNum,
  p95_ms: optionalNum,
  llm_p50_ms: optionalNum,
  llm_p95_ms: optionalNum,
});
const QualityRow = z.object({ scored_answers: num, unsupported_answers: num });
const WorstRow = z.object({
  trace_id: z.string(),
  score: num,
  explanation: z.string(),
  question: z.string(),
  answer: z.string(),
});
const SafetyRow = z.object({
  evaluator: z.string(),
  source: z.string(),
  label: z.string(),
  traces: num,
});
const GapRow = z.object({
  topic_id: z.string(),
  label: z.string(),
  questions: num,
  gaps: num,
  gap_score: num,
  /** Of the gaps, answers users thumbed down (kb_gaps counts those without a flag too). */
  thumbs_down: num,
  samples: z.array(z.string()),
});
const GapSignalRow = z.object({ topic_id: z.string(), signal: z.enum(GAP_SIGNALS), questions: num });

/** Why a question counted as a gap, in the report's words. */
const GAP_REASONS: Record<GapSignal, string> = {
  no_documents: 'nothing retrieved',
  low_retrieval_score: 'weak retrieval',
  low_context_relevance: 'documents off the question',
  refusal: '"I don\'t know"',
  low_groundedness: 'unsupported answer',
  negative_feedback: 'thumbs down',
};

/** A gap topic with how many of its gaps each reason flagged (a question may have several). */
export type GapTopic = z.infer<typeof GapRow> & { reasons: [GapSignal, number][] };
const FeedbackRow = z.object({ thumbs: num, up: num, edits: num });

export interface SafetyKind {
  evaluator: string;
  title: string;
  /** Traces a collector scorer labelled positive. */
  scored: number;
  /** Traces an SDK guard decided on, by decision (blocked, redacted, flagged). */
  decisions: Record<string, number>;
}

export interface DemoReport {
  overview: z.infer<typeof OverviewRow>;
  quality: z.infer<typeof QualityRow>;
  worst: z.infer<typeof WorstRow> | undefined;
  safety: SafetyKind[];
  gaps: GapTopic[];
  feedback: z.infer<typeof FeedbackRow>;
}

function parseRows<T>(schema: z.ZodType<T>, rows: Record<string, unknown>[], what: string): T[] {
  return rows.map((row) => {
    const parsed = schema.safeParse(row);
    if (!parsed.success)
      throw new Error(`report: unexpected ${what} row ${JSON.stringify(row)}: ${parsed.error.message}`);
    return parsed.data;
  });
}

/** `timestamp >= …` for rows of this run only, so a reused data directory does not blur the figures. */
const since = (sinceMs: number, column = 'timestamp') =>
  `${column} >= fromUnixTimestamp64Milli(toInt64(${Math.floor(sinceMs)}))`;
/** The same from the run's day on: kb_gaps counts by day. */
const sinceDay = (sinceMs: number, column: string) =>
  `${column} >= toStartOfDay(fromUnixTimestamp64Milli(toInt64(${Math.floor(sinceMs)})))`;

export async function readReport(query: Query, sinceMs: number): Promise<DemoReport> {
  const [overview] = parseRows(
    OverviewRow,
    await query(`
      WITH per_trace AS (
        SELECT trace_id,
               (max(toUnixTimestamp64Nano(timestamp) + duration_ns) - min(toUnixTimestamp64Nano(timestamp))) / 1e6 AS ms
          FROM llm_spans WHERE ${since(sinceMs)} GROUP BY trace_id)
      SELECT
        (SELECT count() FROM per_trace) AS traces,
        countIf(operation = 'chat') AS llm_calls,
        sum(ifNull(input_tokens, 0)) AS input_tokens,
        sum(ifNull(output_tokens, 0)) AS output_tokens,
        sum(ifNull(cost_usd, 0)) AS cost_usd,
        (SELECT quantileExact(0.5)(ms) FROM per_trace) AS p50_ms,
        (SELECT quantileExact(0.95)(ms) FROM per_trace) AS p95_ms,
        quantileExactIf(0.5)(duration_ns / 1e6, operation = 'chat') AS llm_p50_ms,
        quantileExactIf(0.95)(duration_ns / 1e6, operation = 'chat') AS llm_p95_ms
      FROM llm_spans WHERE ${since(sinceMs)}`),
    'overview',
  );
  const [quality] = parseRows(
    QualityRow,
    await query(`
      SELECT countIf(hallucinated IS NOT NULL) AS scored_answers, countIf(hallucinated = 1) AS unsupported_answers
        FROM llm_spans WHERE ${since(sinceMs)}`),
    'hallucination',
  );
  // The lowest groundedness score of the run; its explanation lists the unsupported sentences.
  const [worst] = parseRows(
    WorstRow,
    await query(`
      SELECT e.trace_id AS trace_id, e.score AS score, e.explanation AS explanation,
             s.question AS question, s.answer AS answer
        FROM (SELECT trace_id, score, explanation FROM evaluations
               WHERE evaluator = 'groundedness' AND label = 'hallucinated' AND ${since(sinceMs)}
               ORDER BY score ASC, timestamp ASC LIMIT 1) AS e
        LEFT JOIN (SELECT trace_id, argMax(prompt_text, timestamp) AS question,
                          argMax(completion_text, timestamp) AS answer
                     FROM llm_spans WHERE operation = 'chat' AND ${since(sinceMs)} GROUP BY trace_id) AS s
          ON s.trace_id = e.trace_id`),
    'worst answer',
  );
  const kinds = Object.keys(SAFETY_KINDS)
    .map((k) => `'${k}'`)
    .join(', ');
  const safetyRows = parseRows(
    SafetyRow,
    await query(`
      SELECT evaluator, source, label, uniqExact(trace_id) AS traces FROM evaluations
       WHERE evaluator IN (${kinds}) AND ${since(sinceMs)}
       GROUP BY evaluator, source, label ORDER BY evaluator, source, label`),
    'safety',
  );
  const gapRows = parseRows(
    GapRow,
    await query(`
      SELECT toString(topic_id) AS topic_id, any(label) AS label, sum(questions) AS questions, sum(gaps) AS gaps,
             max(gap_score) AS gap_score, sum(negative_feedback) AS thumbs_down,
             arraySlice(arrayDistinct(arrayFlatten(groupArray(sample_questions))), 1, 3) AS samples
        FROM kb_gaps WHERE ${sinceDay(sinceMs, 'day')}
       GROUP BY topic_id HAVING gaps > 0
       ORDER BY gap_score DESC, gaps DESC, topic_id LIMIT 3`),
    'kb gap',
  );
  // The flags' reasons per topic, counted under the topic each question belongs to now, as kb_gaps counts it.
  const signals = parseRows(
    GapSignalRow,
    await query(`
      SELECT toString(if(t.current_topic_id != 0, t.current_topic_id, s.topic_id)) AS topic_id, signal,
             count() AS questions
        FROM llm_spans AS s ARRAY JOIN s.gap_signals AS signal
        LEFT JOIN topic_map AS t ON t.project_id = s.project_id AND t.topic_id = s.topic_id
       WHERE s.kb_gap = 1 AND s.topic_id != 0 AND ${sinceDay(sinceMs, 's.timestamp')}
       GROUP BY topic_id, signal`),
    'gap signal',
  );
  const gaps = gapRows.map((g): GapTopic => {
    const counts = new Map<GapSignal, number>(
      signals.filter((r) => r.topic_id === g.topic_id).map((r) => [r.signal, r.questions]),
    );
    // A thumb-down comes after the trace was scored: kb_gaps joins it, so it counts from there.
    counts.set('negative_feedback', g.thumbs_down);
    const reasons = GAP_SIGNALS.flatMap((signal): [GapSignal, number][] => {
      const n = counts.get(signal) ?? 0;
      return n > 0 ? [[signal, n]] : [];
    });
    return { ...g, reasons };
  });
  const [feedback] = parseRows(
    FeedbackRow,
    await query(`
      SELECT countIf(kind = 'thumbs') AS thumbs, countIf(kind = 'thumbs' AND value = 1) AS up,
             countIf(kind = 'edit') AS edits
        FROM feedback FINAL WHERE ${since(sinceMs)}`),
    'feedback',
  );

  const safety = Object.entries(SAFETY_KINDS).map(([evaluator, { title, positive }]): SafetyKind => {
    const rows = safetyRows.filter((r) => r.evaluator === evaluator);
    const decisions: Record<string, number> = {};
    for (const r of rows.filter((r) => r.source === 'sdk'))
      decisions[r.label] = (decisions[r.label] ?? 0) + r.traces;
    const scored = rows
      .filter((r) => r.source !== 'sdk' && r.label === positive)
      .reduce((n, r) => n + r.traces, 0);
    return { evaluator, title, scored, decisions };
  });

  return {
    overview: overview as DemoReport['overview'],
    quality: quality as DemoReport['quality'],
    worst,
    safety,
    gaps,
    feedback: feedback as DemoReport['feedback'],
  };
}

const pct = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : 'n/a');
const ms = (value: number | null) =>
  value === null || Number.isNaN(value) ? 'n/a' : `${Math.round(value)} ms`;
const clip = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export interface FormatOptions {
  /** `--data-dir …` when not the default, so the printed commands work as shown. */
  dataDirFlag: string;
}

export function formatReport(report: DemoReport, options: FormatOptions): string {
  const { overview: o, quality: q, worst, safety, gaps, feedback: f } = report;
  const lines: string[] = ['', '== Oversight report (read back from ClickHouse) ==', ''];
  lines.push(
    `  traces            ${o.traces}  (${o.llm_calls} LLM calls)`,
    `  latency           trace p50 ${ms(o.p50_ms)}, p95 ${ms(o.p95_ms)}; LLM call p50 ${ms(o.llm_p50_ms)}, p95 ${ms(o.llm_p95_ms)}`,
    `  tokens and cost   ${o.input_tokens.toLocaleString('en-US')} in, ${o.output_tokens.toLocaleString('en-US')} out, $${o.cost_usd.toFixed(6)}`,
    '',
  );
  if (q.scored_answers === 0) {
    lines.push('  hallucination     no answers scored for groundedness yet');
  } else {
    lines.push(
      `  hallucination     ${pct(q.unsupported_answers, q.scored_answers)} (${q.unsupported_answers} of ${q.scored_answers} answers unsupported by their context)`,
    );
  }
  if (worst) {
    lines.push(
      `    worst answer    (groundedness ${worst.score.toFixed(2)}, trace ${worst.trace_id})`,
      `      asked         ${clip(worst.question, 100)}`,
      `      answered      ${clip(worst.answer, 100)}`,
      `      unsupported   ${clip(worst.explanation, 100)}`,
    );
  }
  lines.push('', '  safety flags      kind               scorers  guard (in the app)');
  for (const s of safety) {
    const decided = Object.entries(s.decisions)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, n]) => `${n} ${label}`)
      .join(', ');
    lines.push(
      `                    ${s.title.padEnd(17)} ${String(s.scored).padStart(7)}  ${decided || '-'}`,
    );
  }
  lines.push('');
  if (gaps.length === 0) {
    lines.push('  knowledge-base gaps  none found yet');
  } else {
    // kb_gaps counts by day, so a data directory used earlier today adds those runs' questions.
    lines.push('  knowledge-base gaps (topics the knowledge base could not answer today, worst first)');
    for (const g of gaps) {
      const why = g.reasons.map(([signal, n]) => `${GAP_REASONS[signal]} ${n}`).join(', ');
      lines.push(
        `    ${clip(g.label || `topic ${g.topic_id}`, 50)}: ${g.gaps} of ${g.questions} questions flagged${why ? ` (${why})` : ''}`,
      );
      for (const sample of g.samples) lines.push(`      "${clip(sample, 90)}"`);
    }
  }
  lines.push(
    '',
    `  feedback          thumbs up ${pct(f.up, f.thumbs)} (${f.up} of ${f.thumbs}); ${f.edits} ${f.edits === 1 ? 'answer' : 'answers'} corrected by users`,
    '',
    'Query it yourself (read-only SQL against the same data):',
    `  npx oversight sql${options.dataDirFlag} "SELECT operation, count() AS spans, round(sum(cost_usd), 6) AS usd FROM llm_spans GROUP BY operation"`,
    `  npx oversight sql${options.dataDirFlag} "SELECT completion_text, groundedness FROM llm_spans WHERE hallucinated = 1 LIMIT 5"`,
    `  npx oversight sql${options.dataDirFlag} "SELECT label, questions, gaps, sample_questions FROM kb_gaps ORDER BY gap_score DESC LIMIT 5"`,
    'Dashboards: `docker compose up` starts ClickHouse, a collector and Grafana at http://localhost:3000',
    '(admin / admin); stop this one first, both listen on :4318. The tables and more queries: docs/sql.md.',
    '',
  );
  return lines.join('\n');
}

/** Figures that change while the collector is still storing and scoring; stable means done. */
export async function progressFingerprint(query: Query, sinceMs: number): Promise<string> {
  const rows = await query(`
    SELECT
      (SELECT count() FROM llm_spans WHERE ${since(sinceMs)}) AS spans,
      (SELECT countIf(hallucinated IS NOT NULL) FROM llm_spans WHERE ${since(sinceMs)}) AS scored,
      (SELECT countIf(kb_gap IS NOT NULL) FROM llm_spans WHERE ${since(sinceMs)}) AS gap_checked,
      (SELECT count() FROM evaluations WHERE ${since(sinceMs)}) AS evaluations,
      (SELECT count() FROM topics) AS topics,
      (SELECT count() FROM feedback WHERE ${since(sinceMs)}) AS feedback`);
  return JSON.stringify(rows[0] ?? {});
}

/** Traces (by their root workflow span) and feedback rows stored so far in this run. */
export async function storedCounts(
  query: Query,
  sinceMs: number,
): Promise<{ traces: number; feedback: number }> {
  const rows = await query(`
    SELECT (SELECT uniqExact(trace_id) FROM llm_spans WHERE operation = 'invoke_workflow' AND ${since(sinceMs)}) AS traces,
           (SELECT count() FROM feedback FINAL WHERE ${since(sinceMs)}) AS feedback`);
  const row = z.object({ traces: num, feedback: num }).parse(rows[0]);
  return row;
}
