/**
 * The trace stage against both store backends (embedded chdb, and the server
 * client over HTTP to chdb): what it writes for a scored trace, how a later
 * enricher plugs in, and that retries and crash recovery end with exactly one
 * row per (span, evaluator) and the quality columns set.
 */
import { groundedness } from '@oversight/scorers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroundednessEnricher } from '../../../src/enrich/groundedness.ts';
import type { TraceEnricher } from '../../../src/enrich/trace-enricher.ts';
import type { SpanRecord } from '../../../src/otlp/span-record.ts';
import { createTraceStage, type TraceStage } from '../../../src/pipeline/assemble/trace-stage.ts';
import { createBatchTransform } from '../../../src/pipeline/transform/batch-transform.ts';
import type { Row, Store } from '../../../src/store/store.ts';
import { storeBackends } from '../../helpers/store-backends.ts';
import { spanWith } from '../../normalize/span-fixture.ts';

const QUESTION = 'When was the bridge opened to traffic?';
const DOCS = ['The Millau bridge was opened to traffic on 16 December 2004.', 'It is 343 metres tall.'];
const ANSWER = 'The bridge was opened to traffic in 1998.';

let counter = 0;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** A root, a retrieval and a generation of one trace, as SpanRecords. */
function ragSpans(answer = ANSWER): { traceId: string; generationId: string; spans: SpanRecord[] } {
  counter++;
  const traceId = hex(Date.now(), 20) + hex(counter, 12);
  const ids = [1, 2, 3].map((k) => hex(counter * 16 + k, 16));
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const at = (ms: number) => t0 + BigInt(ms) * 1_000_000n;
  const [root, retrieval, generation] = ids as [string, string, string];
  const base = { traceId, parentSpanId: root };
  return {
    traceId,
    generationId: generation,
    spans: [
      spanWith({}, { traceId, spanId: root, name: 'ask', startTimeUnixNano: at(0), endTimeUnixNano: at(50) }),
      spanWith(
        {
          'gen_ai.operation.name': 'retrieval',
          'gen_ai.retrieval.query.text': QUESTION,
          'gen_ai.retrieval.documents': JSON.stringify(DOCS.map((content, i) => ({ id: `d${i}`, content }))),
        },
        { ...base, spanId: retrieval, startTimeUnixNano: at(1), endTimeUnixNano: at(5) },
      ),
      spanWith(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: QUESTION }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }] },
          ]),
        },
        { ...base, spanId: generation, startTimeUnixNano: at(6), endTimeUnixNano: at(40) },
      ),
    ],
  };
}

const transform = createBatchTransform({ maxTextChars: 100_000, scorers: [] });
const rowsOf = (spans: SpanRecord[]) =>
  transform([{ projectId: 'p1', spans, position: 0, receivedAt: Date.now() }]);

async function store_(store: Store, tables: Map<string, Row[]>) {
  for (const [table, rows] of tables) await store.insert(table, rows);
}

describe.each(storeBackends())('trace stage on $name', (backend) => {
  let store: Store;
  let clock = Date.now();
  const stages: TraceStage[] = [];
  const stage = (enrichers: TraceEnricher[] = [createGroundednessEnricher()], s: Store = store) => {
    const created = createTraceStage({
      store: s,
      enrichers,
      now: () => clock,
      pollMs: 60_000,
      assembler: { graceMs: 1_000, idleMs: 5_000 },
      retryMs: { initial: 0, max: 0 },
      onError: () => {},
    });
    stages.push(created);
    return created;
  };

  beforeAll(async () => {
    store = await backend.open();
    await store.migrate();
  });
  afterAll(async () => {
    for (const s of stages) await s.close(1_000);
    await backend.cleanup();
  });

  const perEvaluator = (traceId: string) =>
    store.query<{ evaluator: string; n: number; score: number }>(
      `SELECT evaluator, toUInt32(count()) AS n, any(score) AS score FROM evaluations
        WHERE trace_id = {t:String} GROUP BY evaluator ORDER BY evaluator`,
      { params: { t: traceId } },
    );
  const columns = (spanId: string) =>
    store.query<Row>(
      `SELECT groundedness, hallucinated, answer_relevance, context_relevance, kb_gap, gap_signals, toString(topic_id) AS topic_id
         FROM llm_spans WHERE span_id = {s:String}`,
      { params: { s: spanId } },
    );

  it('scores a ready trace: evaluation rows and the llm_spans columns, not before the grace period', async () => {
    const s = stage();
    const t = ragSpans();
    const tables = rowsOf(t.spans);
    await store_(store, tables);
    s.add(tables);
    await s.flush();
    expect(await perEvaluator(t.traceId)).toEqual([]);
    clock += 1_500;
    await s.flush();
    const expected = groundedness(ANSWER, DOCS, { question: QUESTION }).score;
    const rows = await perEvaluator(t.traceId);
    expect(rows.map((r) => [r.evaluator, r.n])).toEqual([
      ['answer_relevance', 1],
      ['context_relevance', 1],
      ['groundedness', 1],
    ]);
    expect(rows[2]?.score).toBeCloseTo(expected, 9);
    const [c] = await columns(t.generationId);
    expect(c?.groundedness).toBeCloseTo(expected, 5);
    expect(c?.hallucinated).toBe(1);
    expect(s.metrics()).toMatchObject({ tracesScored: 1, generationsScored: 1, openTraces: 0 });
  });

  it('runs later enrichers on what earlier ones found, and writes their columns too', async () => {
    const seen: (number | undefined)[] = [];
    const gaps: TraceEnricher = {
      name: 'gaps',
      async enrich(generations) {
        for (const g of generations) {
          seen.push(g.found.groundedness);
          g.found.kbGap = g.found.hallucinated === true;
          g.found.gapSignals = ['low_groundedness'];
          g.found.topicId = 42n;
        }
        return { rows: {} };
      },
    };
    const s = stage([createGroundednessEnricher(), gaps]);
    const t = ragSpans();
    const tables = rowsOf(t.spans);
    await store_(store, tables);
    s.add(tables);
    clock += 1_500;
    await s.flush();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeCloseTo(groundedness(ANSWER, DOCS, { question: QUESTION }).score, 9);
    const [c] = await columns(t.generationId);
    expect(c).toMatchObject({
      kb_gap: 1,
      gap_signals: ['low_groundedness'],
      topic_id: '42',
      hallucinated: 1,
    });
  });

  it('a failed write is retried as a re-score: one row per evaluator in the end', async () => {
    let failNextUpdate = true;
    const flaky: Store = Object.create(store);
    flaky.command = async (sql, options) => {
      // Fails after the rows were inserted: the worst place, a plain retry would duplicate them.
      if (failNextUpdate && sql.trimStart().startsWith('UPDATE')) {
        failNextUpdate = false;
        throw new Error('connection reset');
      }
      return store.command(sql, options);
    };
    const errors: string[] = [];
    const s = createTraceStage({
      store: flaky,
      enrichers: [createGroundednessEnricher()],
      now: () => clock,
      pollMs: 60_000,
      assembler: { graceMs: 1_000 },
      retryMs: { initial: 0, max: 0 },
      onError: (e) => errors.push(e.message),
    });
    stages.push(s);
    const t = ragSpans();
    const tables = rowsOf(t.spans);
    await store_(store, tables);
    s.add(tables);
    clock += 1_500;
    await s.flush();
    expect(errors).toEqual([expect.stringContaining('connection reset')]);
    expect((await perEvaluator(t.traceId)).map((r) => r.n)).toEqual([1, 1, 1]);
    expect(s.metrics().pendingTraces).toBe(1);
    await s.flush();
    expect(s.metrics()).toMatchObject({ pendingTraces: 0, failedBatches: 1, tracesRescored: 1 });
    expect((await perEvaluator(t.traceId)).map((r) => [r.evaluator, r.n])).toEqual([
      ['answer_relevance', 1],
      ['context_relevance', 1],
      ['groundedness', 1],
    ]);
    const [c] = await columns(t.generationId);
    expect(c?.hallucinated).toBe(1);
  });

  it('recovers what a dead process left unscored, half-written rows included, once', async () => {
    // Stored by the drain, never scored: the process died with the trace open.
    const lost = ragSpans();
    await store_(store, rowsOf(lost.spans));
    // Died between inserting the rows and setting the columns.
    const half = ragSpans();
    await store_(store, rowsOf(half.spans));
    const before = stage();
    before.add(rowsOf(half.spans));
    clock += 1_500;
    const failing: Store = Object.create(store);
    failing.command = async () => {
      throw new Error('killed');
    };
    const dying = createTraceStage({
      store: failing,
      enrichers: [createGroundednessEnricher()],
      now: () => clock,
      pollMs: 60_000,
      assembler: { graceMs: 1_000 },
      onError: () => {},
    });
    dying.add(rowsOf(half.spans));
    clock += 1_500;
    await dying.flush();
    await dying.close(0);
    expect((await perEvaluator(half.traceId)).map((r) => r.n)).toEqual([1, 1, 1]);
    expect((await columns(half.generationId))[0]?.groundedness).toBeNull();

    const restarted = stage();
    const recovered = await restarted.recover();
    expect(recovered).toBeGreaterThanOrEqual(2);
    for (const t of [lost, half]) {
      expect((await perEvaluator(t.traceId)).map((r) => [r.evaluator, r.n])).toEqual([
        ['answer_relevance', 1],
        ['context_relevance', 1],
        ['groundedness', 1],
      ]);
      expect((await columns(t.generationId))[0]?.hallucinated).toBe(1);
    }
    // Nothing left to recover: a second start reads nothing back.
    expect(await stage().recover()).toBe(0);
  });
});
