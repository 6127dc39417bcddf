/**
 * The trace stage against both store backends (embedded chdb, and the server
 * client over HTTP to chdb): what it writes for a scored trace, how a later
 * enricher plugs in, that scoring on the transform workers writes what scoring
 * in process does, that only re-scores read the quality ledger back, and that
 * retries and crash recovery end with exactly one row per (span, evaluator)
 * and the quality columns set.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { groundedness } from '@oversight/scorers';
import { describe, expect, it } from 'vitest';
import { createGroundednessEnricher } from '../../../src/enrich/groundedness.ts';
import { createTopicsEnricher } from '../../../src/enrich/topics/enricher.ts';
import type { TraceEnricher, TraceGeneration } from '../../../src/enrich/trace-enricher.ts';
import type { LlmSpan } from '../../../src/normalize/index.ts';
import type { SpanRecord } from '../../../src/otlp/span-record.ts';
import { supersede, unscoredTraces } from '../../../src/pipeline/assemble/trace-store.ts';
import { startTransformWorkers } from '../../../src/pipeline/transform/worker-pool.ts';
import type { Row, Store } from '../../../src/store/store.ts';
import { storeBackends } from '../../helpers/store-backends.ts';
import {
  DOCS,
  failingCommands,
  firstOnly,
  gatedEnricher,
  isColumnsUpdate,
  QUESTION,
  type RagTrace,
  RIGHT,
  ragSpans,
  rowsOf,
  until,
  useTraceStageHarness,
  WRONG,
} from '../../helpers/trace-stage-harness.ts';
import { spanWith } from '../../normalize/span-fixture.ts';

const ANSWER = WRONG;

describe.each(storeBackends())('trace stage on $name', (backend) => {
  const h = useTraceStageHarness(backend);
  const stage = h.stage;

  const perEvaluator = (traceId: string) =>
    h.store.query<{ evaluator: string; n: number; score: number }>(
      `SELECT evaluator, toUInt32(count()) AS n, any(score) AS score FROM evaluations
        WHERE trace_id = {t:String} GROUP BY evaluator ORDER BY evaluator`,
      { params: { t: traceId } },
    );
  const columns = (spanId: string) =>
    h.store.query<Row>(
      `SELECT groundedness, hallucinated, answer_relevance, context_relevance, kb_gap, kb_gap_score, gap_signals, toString(topic_id) AS topic_id
         FROM llm_spans WHERE span_id = {s:String}`,
      { params: { s: spanId } },
    );

  /** One row per evaluator for each trace, and its (unsupported) answer marked hallucinated. */
  async function expectScoredOnce(traces: readonly { traceId: string; generationId: string }[]) {
    for (const t of traces) {
      expect((await perEvaluator(t.traceId)).map((r) => [r.evaluator, r.n])).toEqual([
        ['answer_relevance', 1],
        ['context_relevance', 1],
        ['groundedness', 1],
      ]);
      expect((await columns(t.generationId))[0]?.hallucinated).toBe(1);
    }
  }

  it('scores a ready trace: evaluation rows and the llm_spans columns, not before the grace period', async () => {
    const s = stage();
    const t = ragSpans();
    const tables = rowsOf(t.spans);
    await h.storeRows(tables);
    s.add(tables);
    await s.flush();
    expect(await perEvaluator(t.traceId)).toEqual([]);
    h.advance(1_500);
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
  }, 90_000);

  it('runs later enrichers on what earlier ones found, and writes their columns too', async () => {
    const seen: (number | undefined)[] = [];
    const gaps: TraceEnricher = {
      name: 'gaps',
      async enrich(generations) {
        for (const g of generations) {
          seen.push(g.found.groundedness);
          g.found.kbGap = g.found.hallucinated === true;
          g.found.kbGapScore = 0.625;
          g.found.gapSignals = ['low_groundedness'];
          g.found.topicId = 42n;
        }
        return { rows: {} };
      },
    };
    const s = stage([createGroundednessEnricher(), gaps]);
    const t = ragSpans();
    await h.score(s, rowsOf(t.spans));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeCloseTo(groundedness(ANSWER, DOCS, { question: QUESTION }).score, 9);
    const [c] = await columns(t.generationId);
    expect(c).toMatchObject({
      kb_gap: 1,
      kb_gap_score: 0.625,
      gap_signals: ['low_groundedness'],
      topic_id: '42',
      hallucinated: 1,
    });
  }, 90_000);

  it('grounds the answers to the user, not the app’s own steps', async () => {
    const generation = (spanId: string, appStep?: 'feeds' | 'quotes'): TraceGeneration => ({
      projectId: 'p',
      traceId: 't',
      span: { spanId, endTimeUnixNano: 1n } as LlmSpan,
      pair: {
        spanId,
        question: QUESTION,
        answer: ANSWER,
        context: DOCS,
        source: 'retrieval',
        contextSpanIds: [],
        ...(appStep && { appStep }),
      },
      retrievals: [],
      found: {},
    });
    const [answer, title] = [generation('answer'), generation('title', 'quotes')];
    const { rows } = await createGroundednessEnricher().enrich([answer, title], { rescore: false });
    expect(answer.found.hallucinated).toBe(true);
    expect(title.found).toEqual({});
    expect(new Set((rows.evaluations ?? []).map((r) => r.span_id))).toEqual(new Set(['answer']));
  });

  it('leaves no step of the app’s own looking unscored to recovery', async () => {
    const t = ragSpans();
    const answer = t.spans.at(-1) as SpanRecord;
    // A title for the conversation after the answer: a step of the app's own (pairing's appStep).
    const title = spanWith(
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.input.messages': JSON.stringify([
          {
            role: 'user',
            parts: [{ type: 'text', content: `Write a short title for a chat that opens with: ${QUESTION}` }],
          },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          { role: 'assistant', parts: [{ type: 'text', content: 'Bridge opening date' }] },
        ]),
      },
      {
        traceId: t.traceId,
        spanId: 'f'.repeat(16),
        parentSpanId: answer.parentSpanId,
        startTimeUnixNano: answer.endTimeUnixNano + 1_000_000n,
        endTimeUnixNano: answer.endTimeUnixNano + 5_000_000n,
      },
    );
    await h.score(stage([createGroundednessEnricher()]), rowsOf([...t.spans, title]));
    const unscored = await unscoredTraces(h.store, 3_600_000, 20_000);
    expect(unscored.map((u) => u.traceId)).not.toContain(t.traceId);
    // A title is unsupported by the documents by design: not grounded, so no hallucination.
    const steps = await h.store.query<{ span_id: string; app_step: string; hallucinated: number | null }>(
      `SELECT span_id, app_step, hallucinated FROM llm_spans WHERE trace_id = {t:String} AND app_step != ''
         OR span_id = {a:String} ORDER BY span_id`,
      { params: { t: t.traceId, a: answer.spanId } },
    );
    expect(steps).toEqual([
      { span_id: answer.spanId, app_step: '', hallucinated: 1 },
      { span_id: 'f'.repeat(16), app_step: 'quotes', hallucinated: null },
    ]);
    const evaluated = await h.store.query<{ span_id: string }>(
      `SELECT DISTINCT span_id FROM evaluations WHERE trace_id = {t:String}`,
      { params: { t: t.traceId } },
    );
    expect(evaluated.map((r) => r.span_id)).toEqual([answer.spanId]);
    // Superseded for a re-score, the step looks unscored again until the re-score sets it:
    // a crash in between leaves it to recovery.
    await supersede(h.store, 'p1', [t.traceId], ['f'.repeat(16)], ['groundedness']);
    const after = await unscoredTraces(h.store, 3_600_000, 20_000);
    expect(after.map((u) => u.traceId)).toContain(t.traceId);
  });

  it('scores on the transform workers exactly as on this thread', async () => {
    const workers = await startTransformWorkers({ maxTextChars: 100_000, evaluators: [] });
    try {
      const local = ragSpans();
      const remote = ragSpans();
      await h.score(stage(), rowsOf(local.spans));
      const s = stage([createGroundednessEnricher({ scorer: workers.score })]);
      await h.score(s, rowsOf(remote.spans));
      expect(workers.stats().scoreChunks).toBe(1);
      const rows = (traceId: string) =>
        h.store.query<Row>(
          `SELECT evaluator, target, score, label, explanation, evaluator_version FROM evaluations
            WHERE trace_id = {t:String} ORDER BY evaluator`,
          { params: { t: traceId } },
        );
      const [a, b] = [await rows(local.traceId), await rows(remote.traceId)];
      expect(b).toHaveLength(3);
      expect(b).toEqual(a);
      const [ca, cb] = [await columns(local.generationId), await columns(remote.generationId)];
      expect(cb).toEqual(ca);
      expect(cb[0]?.hallucinated).toBe(1);
    } finally {
      await workers.close();
    }
    // Starting a worker loads the scorers: slow on a loaded machine.
  }, 90_000);

  it('hands a large round and a large batch to the enrichers a slice at a time, all of it written', async () => {
    const calls: number[] = [];
    const counting: TraceEnricher = {
      name: 'counting',
      async enrich(generations) {
        calls.push(generations.length);
        return { rows: {} };
      },
    };
    const errors: string[] = [];
    const s = stage([createGroundednessEnricher(), counting], h.store, {
      onError: (e) => errors.push(e.message),
    });
    const traces = Array.from({ length: 70 }, (_, i) => ragSpans(i % 2 === 0 ? WRONG : RIGHT));
    const tables = rowsOf(traces.flatMap((t) => t.spans));
    await h.storeRows(tables);
    s.add(tables);
    // The drain's call returns at once; the round is rebuilt into the assembler afterwards.
    expect(s.metrics().spansIn).toBe(0);
    h.advance(1_500);
    await s.flush();
    expect(errors).toEqual([]);
    expect(s.metrics()).toMatchObject({ spansIn: 140, tracesScored: 70, generationsScored: 70 });
    expect(calls).toEqual([64, 6]);
    const [counts] = await h.store.query<{ rows: number; spans: number; hallucinated: number }>(
      `SELECT toUInt32(count()) AS rows, toUInt32(uniqExact(span_id)) AS spans,
              toUInt32(countIf(evaluator = 'groundedness' AND label = 'hallucinated')) AS hallucinated
         FROM evaluations WHERE trace_id IN {t:Array(String)}`,
      { params: { t: traces.map((t) => t.traceId) } },
    );
    expect(counts).toEqual({ rows: 210, spans: 70, hallucinated: 35 });
    const [set] = await h.store.query<{ n: number }>(
      `SELECT toUInt32(countIf(groundedness IS NOT NULL)) AS n FROM llm_spans WHERE span_id IN {s:Array(String)}`,
      { params: { s: traces.map((t) => t.generationId) } },
    );
    expect(set?.n).toBe(70);
  }, 90_000);

  // Embedded only: a batch over one slice with topics binds more parameters than the HTTP shim's
  // URL limit (Node's 16 KiB; ClickHouse takes 1 MiB).
  it.skipIf(backend.name !== 'embedded')(
    'writes a topic that several enricher slices touched once, in its final state',
    async () => {
      const project = `topics-${backend.name}`;
      const topics = await createTopicsEnricher({ store: h.store, embedder: { kind: 'hashed' } });
      // Counted as handed to the store: ClickHouse collapses a block's duplicates on insert anyway,
      // but each carries a whole centroid to serialise and send.
      const topicRowsSent: number[] = [];
      const counting: Store = Object.create(h.store);
      counting.insert = (table, rows, options) => {
        if (table === 'topics') topicRowsSent.push(rows.length);
        return h.store.insert(table, rows, options);
      };
      const s = stage([createGroundednessEnricher(), topics], counting);
      // One question, asked 70 times: one topic, changed in both slices.
      const traces = Array.from({ length: 70 }, () => ragSpans());
      await h.score(
        s,
        rowsOf(
          traces.flatMap((t) => t.spans),
          project,
        ),
      );
      expect(s.metrics()).toMatchObject({ generationsScored: 70 });
      const rows = await h.store.query<{ size: number }>(
        'SELECT toUInt32(size) AS size FROM topics WHERE project_id = {p:String}',
        { params: { p: project } },
      );
      expect(rows).toEqual([{ size: 70 }]);
      expect(topicRowsSent).toEqual([1]);
    },
    90_000,
  );

  it('writes a topic whose first write failed when the trace is retried', async () => {
    const project = `topic-retried-${backend.name}`;
    const topics = await createTopicsEnricher({ store: h.store, embedder: { kind: 'hashed' } });
    let failTopics = true;
    const flaky: Store = Object.create(h.store);
    flaky.insert = (table, rows, options) => {
      if (table === 'topics' && failTopics) {
        failTopics = false;
        return Promise.reject(new Error('connection reset'));
      }
      return h.store.insert(table, rows, options);
    };
    const s = stage([createGroundednessEnricher(), topics], flaky, { onError: () => {} });
    const t = ragSpans();
    await h.score(s, rowsOf(t.spans, project));
    expect(s.metrics()).toMatchObject({ failedBatches: 1, pendingTraces: 1 });
    await s.flush();
    expect(s.metrics()).toMatchObject({ pendingTraces: 0, tracesRescored: 1 });
    const rows = await h.store.query<{ topic_id: string; size: number }>(
      `SELECT toString(topic_id) AS topic_id, toUInt32(size) AS size FROM topics FINAL
        WHERE project_id = {p:String}`,
      { params: { p: project } },
    );
    const [c] = await columns(t.generationId);
    expect(rows).toEqual([{ topic_id: c?.topic_id, size: 1 }]);
  }, 90_000);

  it.skipIf(backend.name !== 'embedded')(
    'counts a trace replayed after a restart once in its topic, as the ledger counted it',
    async () => {
      const project = `replayed-topic-${backend.name}`;
      const t = ragSpans();
      const tables = rowsOf(t.spans, project);
      const first = await createTopicsEnricher({ store: h.store, embedder: { kind: 'hashed' } });
      await h.score(stage([createGroundednessEnricher(), first]), tables);
      const sizes = () =>
        h.store.query<{ topic_id: string; size: number; graded: number }>(
          `SELECT toString(topic_id) AS topic_id, toUInt32(size) AS size, toUInt32(graded) AS graded FROM topics FINAL
            WHERE project_id = {p:String} AND size > 0`,
          { params: { p: project } },
        );
      const [topic] = await sizes();
      expect(topic).toMatchObject({ size: 1, graded: 1 });
      // A restart (nothing in memory) and the same spans again, as a WAL replay sends them: the
      // stored scores make it a re-score, and the ledger says which topic already counts it.
      const restarted = await createTopicsEnricher({ store: h.store, embedder: { kind: 'hashed' } });
      const s = stage([createGroundednessEnricher(), restarted]);
      s.add(tables);
      h.advance(1_500);
      await s.flush();
      expect(s.metrics()).toMatchObject({ tracesRescored: 1 });
      expect(await sizes()).toEqual([{ topic_id: topic?.topic_id, size: 1, graded: 1 }]);
      expect(restarted.gaps.stats(project, String(topic?.topic_id))).toMatchObject({ questions: 1 });
      const [c] = await columns(t.generationId);
      expect(c?.topic_id).toBe(topic?.topic_id);
    },
    90_000,
  );

  it('reads the quality ledger back for re-scored traces only', async () => {
    const ledgerQueries: string[] = [];
    const watched: Store = Object.create(h.store);
    watched.query = (sql, options) => {
      if (sql.includes('quality_events')) ledgerQueries.push(sql);
      return h.store.query(sql, options);
    };
    const s = stage([createGroundednessEnricher()], watched);
    const t = ragSpans();
    const tables = rowsOf(t.spans);
    await h.score(s, tables);
    expect(s.metrics()).toMatchObject({ tracesScored: 1, ledgerReads: 0 });
    expect(ledgerQueries).toEqual([]);
    const ledger = () =>
      h.store.query<{ sign: number }>('SELECT sign FROM quality_events WHERE trace_id = {t:String}', {
        params: { t: t.traceId },
      });
    expect(await ledger()).toEqual([{ sign: 1 }]);
    // The same spans again (a replay): stored scores make it a re-score, which reads the ledger
    // and, the verdict unchanged, writes nothing to it.
    s.add(tables);
    h.advance(1_500);
    await s.flush();
    expect(s.metrics()).toMatchObject({ tracesRescored: 1, ledgerReads: 1 });
    expect(ledgerQueries).toHaveLength(1);
    expect(await ledger()).toEqual([{ sign: 1 }]);
  }, 90_000);

  it('an enricher failing on one trace costs that trace alone: the rest of its batch is scored', async () => {
    const traces = [ragSpans(), ragSpans(), ragSpans(), ragSpans(), ragSpans()];
    const poisoned = traces[3]?.traceId;
    const picky: TraceEnricher = {
      name: 'picky',
      async enrich(generations) {
        if (generations.some((g) => g.traceId === poisoned)) throw new TypeError('cannot read this trace');
        return { rows: {} };
      },
    };
    const errors: string[] = [];
    const s = stage([createGroundednessEnricher(), picky], undefined, {
      onError: (e) => errors.push(e.message),
    });
    const tables = new Map<string, Row[]>();
    for (const t of traces)
      for (const [table, rows] of rowsOf(t.spans)) tables.set(table, [...(tables.get(table) ?? []), ...rows]);
    await h.score(s, tables);
    for (const t of traces) {
      const scored = (await perEvaluator(t.traceId)).length;
      expect(scored, t.traceId === poisoned ? 'the poisoned trace' : 'a healthy trace').toBe(
        t.traceId === poisoned ? 0 : 3,
      );
    }
    expect(errors).toEqual([
      'trace stage: a trace failed to score, will retry it alone: picky: cannot read this trace',
    ]);
    // Retried alone on later flushes, with no backoff held over the others, then dropped.
    for (let i = 0; i < 10; i++) await s.flush();
    expect(s.metrics()).toMatchObject({ pendingTraces: 0, droppedTraces: 1 });
  }, 90_000);

  it('a failed write is retried as a re-score: one row per evaluator in the end', async () => {
    // Fails after the rows were inserted: the worst place, a plain retry would duplicate them.
    const flaky = failingCommands(
      h.store,
      firstOnly((sql) => sql.trimStart().startsWith('UPDATE')),
      'connection reset',
    );
    const errors: string[] = [];
    const s = stage([createGroundednessEnricher()], flaky, { onError: (e) => errors.push(e.message) });
    const t = ragSpans();
    await h.score(s, rowsOf(t.spans));
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
  }, 90_000);

  it('scores the next batch on the stateless enrichers while one is with the others, which see each batch after the last was written', async () => {
    const events: string[] = [];
    const grounded = createGroundednessEnricher();
    const statelessCalls: string[][] = [];
    const recording: TraceEnricher = {
      name: 'grounded',
      stateless: true,
      enrich(generations, context) {
        statelessCalls.push(generations.map((g) => g.traceId));
        return grounded.enrich(generations, context);
      },
    };
    let overlapped = false;
    const stateful: TraceEnricher = {
      name: 'stateful',
      async enrich(generations) {
        const ids = generations.map((g) => g.traceId);
        events.push(`enrich ${ids.join(',')}`);
        if (events.length === 1) {
          // The first batch waits for the stateless enricher's call of the second (it never comes
          // where batches run one after the other), or long enough to say it did not come.
          for (let i = 0; i < 500 && statelessCalls.length < 2; i++)
            await new Promise((resolve) => setTimeout(resolve, 10));
          overlapped = statelessCalls.length >= 2;
        }
        for (const g of generations) expect(g.found.groundedness).toBeTypeOf('number');
        return { rows: {} };
      },
      written(ok) {
        events.push(`written ${ok}`);
      },
    };
    const s = stage([recording, stateful], h.store, { maxBatchTraces: 1 });
    const traces = Array.from({ length: 3 }, () => ragSpans());
    await h.score(s, rowsOf(traces.flatMap((t) => t.spans)));
    expect(overlapped).toBe(true);
    // One call each per batch, the stateful enricher's strictly after the batch before was written.
    expect(statelessCalls).toHaveLength(3);
    expect(events.map((e) => e.split(' ')[0])).toEqual([
      'enrich',
      'written',
      'enrich',
      'written',
      'enrich',
      'written',
    ]);
    expect(events.filter((e) => e.startsWith('written'))).toEqual([
      'written true',
      'written true',
      'written true',
    ]);
    await expectScoredOnce(traces);
  }, 90_000);

  it('a failed write with the next batch scored early: every trace ends with one row per evaluator', async () => {
    const flaky = failingCommands(h.store, firstOnly(isColumnsUpdate), 'connection reset');
    const errors: string[] = [];
    const s = stage([createGroundednessEnricher()], flaky, {
      maxBatchTraces: 1,
      onError: (e) => errors.push(e.message),
    });
    const traces = Array.from({ length: 3 }, () => ragSpans());
    await h.score(s, rowsOf(traces.flatMap((t) => t.spans)));
    expect(errors).toEqual([expect.stringContaining('connection reset')]);
    // The failed batch and the two after it (one begun early) wait for the next flush.
    expect(s.metrics()).toMatchObject({ pendingTraces: 3, generationsScored: 0 });
    await s.flush();
    expect(s.metrics()).toMatchObject({ pendingTraces: 0, tracesScored: 2, tracesRescored: 1 });
    await expectScoredOnce(traces);
  }, 90_000);

  it('a chat kept in one trace: each turn’s answer is judged against its own search', async () => {
    const traceId = randomBytes(16).toString('hex');
    const id = () => randomBytes(8).toString('hex');
    const [root, r1, rr1, g1, r2, g2] = [id(), id(), id(), id(), id(), id()];
    const t0 = BigInt(Date.now()) * 1_000_000n;
    const at = (ms: number) => t0 + BigInt(ms) * 1_000_000n;
    const TOLL_Q = 'Is there a toll to cross it?';
    const TOLL = 'Crossing the Millau bridge costs a toll of 10.40 euros for cars in summer.';
    const user = (content: string) => ({ role: 'user', parts: [{ type: 'text', content }] });
    const search = (spanId: string, op: string, docs: string[], start: number) =>
      spanWith(
        {
          'gen_ai.operation.name': op,
          'gen_ai.retrieval.documents': JSON.stringify(docs.map((content, i) => ({ id: `d${i}`, content }))),
        },
        { traceId, spanId, parentSpanId: root, startTimeUnixNano: at(start), endTimeUnixNano: at(start + 5) },
      );
    const chat = (spanId: string, messages: unknown[], answer: string, start: number) =>
      spanWith(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.input.messages': JSON.stringify(messages),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }] },
          ]),
        },
        {
          traceId,
          spanId,
          parentSpanId: root,
          startTimeUnixNano: at(start),
          endTimeUnixNano: at(start + 20),
        },
      );
    const spans = [
      spanWith(
        {},
        { traceId, spanId: root, name: 'session', startTimeUnixNano: at(0), endTimeUnixNano: at(500) },
      ),
      search(r1, 'retrieval', DOCS, 10),
      search(rr1, 'rerank', [DOCS[0] as string], 20),
      chat(g1, [user(QUESTION)], RIGHT, 30),
      search(r2, 'retrieval', [TOLL], 100),
      chat(
        g2,
        [user(QUESTION), { role: 'assistant', parts: [{ type: 'text', content: RIGHT }] }, user(TOLL_Q)],
        'Yes, crossing costs a toll of 10.40 euros for cars in summer.',
        110,
      ),
    ];
    await h.score(stage(), rowsOf(spans));
    expect((await columns(g1))[0]?.hallucinated).toBe(0);
    // Judged against turn 1's reranked documents, this right answer looked made up.
    expect((await columns(g2))[0]?.hallucinated).toBe(0);
    const rows = await h.store.query<{ span_id: string; n: number }>(
      `SELECT span_id, toUInt32(count()) AS n FROM evaluations
        WHERE trace_id = {t:String} AND evaluator = 'groundedness' GROUP BY span_id ORDER BY span_id`,
      { params: { t: traceId } },
    );
    expect(rows).toEqual([g1, g2].sort().map((span_id) => ({ span_id, n: 1 })));
  }, 90_000);

  it('while writes fail, the backlog holds at most its byte budget of spans, and every trace is scored after', async () => {
    let failing = true;
    const flaky = failingCommands(h.store, (sql) => failing && isColumnsUpdate(sql), 'too many mutations');
    const budget = 4_000;
    const s = stage([createGroundednessEnricher()], flaky, { maxBatchTraces: 2, maxPendingBytes: budget });
    const traces = Array.from({ length: 10 }, () => ragSpans());
    await h.score(s, rowsOf(traces.flatMap((t) => t.spans)));
    // The first batch failed and the rest waits behind it: all ten pending, their texts let go of.
    expect(s.metrics()).toMatchObject({ pendingTraces: 10 });
    expect(s.metrics().pendingBytes).toBeGreaterThan(0);
    expect(s.metrics().pendingBytes).toBeLessThanOrEqual(budget);
    failing = false;
    await s.flush();
    expect(s.metrics()).toMatchObject({ pendingTraces: 0, pendingBytes: 0, droppedTraces: 0 });
    await expectScoredOnce(traces);
  }, 90_000);

  it('scores the traces a full backlog dropped once it is clear, and says so', async () => {
    const errors: string[] = [];
    const s = stage([createGroundednessEnricher()], h.store, {
      maxPendingTraces: 2,
      onError: (e) => errors.push(e.message),
    });
    const traces = Array.from({ length: 5 }, () => ragSpans());
    // A trace still being assembled (its root not yet ended), its spans stored: left to its own flush.
    const open = ragSpans();
    const openTables = rowsOf(open.spans.filter((x) => x.spanId !== open.spans[0]?.spanId));
    await h.storeRows(openTables);
    s.add(openTables);
    await h.score(s, rowsOf(traces.flatMap((t) => t.spans)));
    // Two kept and written, three dropped; the backlog clear, they are read back as many
    // as the backlog holds at a time (the open trace takes a place in the read), the rest
    // once those are written. The read is the store's: traces other tests left unscored
    // come along.
    for (let i = 0; i < 6; i++) await s.flush();
    expect(errors[0]).toBe('trace stage: 3 traces dropped unscored (write backlog over 2)');
    const passes = errors.slice(1).map((e) => {
      const n = /^trace stage: scoring (\d+) traces it dropped unscored, now that its backlog is clear$/.exec(
        e,
      );
      expect(n, e).not.toBeNull();
      return Number(n?.[1]);
    });
    expect(passes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3);
    expect(s.metrics()).toMatchObject({ droppedTraces: 3, pendingTraces: 0, openTraces: 1 });
    expect(s.metrics().recovered).toBe(passes.reduce((a, b) => a + b, 0));
    await expectScoredOnce(traces);
    expect(await perEvaluator(open.traceId)).toEqual([]);
    // Nothing more was dropped: the next ticks read nothing back.
    await s.flush();
    expect(errors).toHaveLength(1 + passes.length);
  }, 90_000);

  it('while a long drain runs, the traces that come ready join the backlog batch by batch, under its caps', async () => {
    const errors: string[] = [];
    const gated = gatedEnricher();
    const s = stage([createGroundednessEnricher(), gated.enricher], h.store, {
      maxBatchTraces: 1,
      maxPendingTraces: 2,
      onError: (e) => errors.push(e.message),
    });
    const first = [ragSpans(), ragSpans()];
    await h.arrive(s, first);
    const drain = s.flush();
    await until(() => gated.waiting >= 1);
    // Six more come ready while the drain's first batch is with the enrichers.
    const more = Array.from({ length: 6 }, () => ragSpans());
    await h.arrive(s, more);
    gated.release(0);
    await until(() => gated.waiting >= 2);
    // Before the second batch they joined the backlog: two kept, four dropped, said after the drain.
    expect(s.metrics()).toMatchObject({ pendingTraces: 2, droppedTraces: 4, openTraces: 0 });
    expect(errors).toEqual([]);
    gated.releaseAll();
    await drain;
    for (let i = 0; i < 6; i++) await s.flush();
    expect(errors[0]).toBe('trace stage: 4 traces dropped unscored (write backlog over 2)');
    expect(s.metrics()).toMatchObject({ droppedTraces: 4, pendingTraces: 0 });
    await expectScoredOnce([...first, ...more]);
  }, 90_000);

  it('a failed write puts the drain’s unwritten traces back ahead of those that came ready during it', async () => {
    const seen: string[] = [];
    const gated = gatedEnricher((generations) => {
      for (const g of generations) seen.push(g.traceId);
    });
    let failing = false;
    const flaky = failingCommands(
      h.store,
      firstOnly((sql) => failing && isColumnsUpdate(sql)),
      'connection reset',
    );
    const s = stage([createGroundednessEnricher(), gated.enricher], flaky, { maxBatchTraces: 1 });
    const older = [ragSpans(), ragSpans(), ragSpans()];
    await h.arrive(s, older);
    const drain = s.flush();
    await until(() => gated.waiting >= 1);
    const newer = [ragSpans(), ragSpans()];
    await h.arrive(s, newer);
    gated.release(0);
    // The second batch is with the enrichers, the newer traces in the backlog: its write fails.
    await until(() => gated.waiting >= 2);
    expect(s.metrics()).toMatchObject({ pendingTraces: 2 });
    failing = true;
    gated.releaseAll();
    await drain;
    expect(s.metrics()).toMatchObject({ pendingTraces: 4, failedBatches: 1 });
    seen.length = 0;
    await s.flush();
    const ids = (list: RagTrace[]) => list.map((t) => t.traceId);
    expect(seen).toEqual([...ids(older.slice(1)), ...ids(newer)]);
    expect(s.metrics()).toMatchObject({ pendingTraces: 0, droppedTraces: 0 });
    await expectScoredOnce([...older, ...newer]);
  }, 90_000);

  it('counts the wall time it spends on a backlog as busy, and none while idle', async () => {
    const gated = gatedEnricher();
    const s = stage([createGroundednessEnricher(), gated.enricher], h.store);
    await s.flush();
    expect(s.metrics().busySeconds).toBe(0);
    const t = ragSpans();
    await h.arrive(s, [t]);
    const drain = s.flush();
    await until(() => gated.waiting >= 1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    gated.releaseAll();
    await drain;
    const busy = s.metrics().busySeconds;
    // A timer may fire a fraction of a millisecond early by the monotonic clock.
    expect(busy).toBeGreaterThanOrEqual(0.245);
    await s.flush();
    expect(s.metrics().busySeconds).toBe(busy);
    await expectScoredOnce([t]);
  }, 90_000);

  it('writes at close the topic rows its enricher held back', async () => {
    const topics = await createTopicsEnricher({
      store: h.store,
      embedder: { kind: 'hashed' },
      topicRowsEveryMs: 3_600_000,
    });
    const s = stage([createGroundednessEnricher(), topics]);
    // The same question twice, in its own project: one topic, grown after its first row.
    const [a, b] = [ragSpans(), ragSpans()];
    await h.score(s, rowsOf(a.spans, 'held-back'));
    await h.score(s, rowsOf(b.spans, 'held-back'));
    const topicId = (await columns(b.generationId))[0]?.topic_id;
    expect(topicId).toBe((await columns(a.generationId))[0]?.topic_id);
    const size = async () =>
      (
        await h.store.query<{ size: number }>(
          `SELECT toUInt32(size) AS size FROM topics FINAL WHERE project_id = 'held-back' AND topic_id = {t:UInt64}`,
          { params: { t: String(topicId) } },
        )
      ).map((r) => Number(r.size));
    expect(await size()).toEqual([1]);
    await s.close();
    expect(await size()).toEqual([2]);
  }, 90_000);

  it('a drain lets go of a written batch’s spans before it ends', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const seen: WeakRef<LlmSpan>[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const watching: TraceEnricher = {
      name: 'watching',
      async enrich(generations) {
        if (calls++ === 0) for (const g of generations) seen.push(new WeakRef(g.span));
        else await gate;
        return { rows: {} };
      },
    };
    const s = stage([createGroundednessEnricher(), watching], h.store, { maxBatchTraces: 1 });
    await h.arrive(s, [ragSpans(), ragSpans()]);
    const drain = s.flush();
    // The first trace is written; the drain waits on the second.
    await until(() => calls >= 2);
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]?.deref()).toBeUndefined();
    release();
    await drain;
  });

  it('a trace split by a restart is paired whole: what the last process stored feeds the answer', async () => {
    const grounded = [
      ['answer_relevance', 1],
      ['context_relevance', 1],
      ['groundedness', 1],
    ];
    // The retrieval reached the last process, the answer reaches the next (a deploy in between).
    const before = ragSpans();
    const [root, retrieval, generation] = before.spans as [SpanRecord, SpanRecord, SpanRecord];
    const last = stage();
    await h.score(last, rowsOf([retrieval]));
    await last.close();
    const next = stage();
    await h.score(next, rowsOf([root, generation]));
    expect((await perEvaluator(before.traceId)).map((r) => [r.evaluator, r.n])).toEqual(grounded);
    expect((await columns(before.generationId))[0]?.hallucinated).toBe(1);

    // The answer reached the last process, scored with no context; its retrieval comes after.
    const after = ragSpans();
    const [root2, retrieval2, generation2] = after.spans as [SpanRecord, SpanRecord, SpanRecord];
    const last2 = stage();
    await h.score(last2, rowsOf([root2, generation2]));
    await last2.close();
    expect((await perEvaluator(after.traceId)).map((r) => r.evaluator)).toEqual(['answer_relevance']);
    const next2 = stage();
    await h.score(next2, rowsOf([retrieval2]));
    // No root comes with it: ready when idle.
    h.advance(5_000);
    await next2.flush();
    expect((await perEvaluator(after.traceId)).map((r) => [r.evaluator, r.n])).toEqual(grounded);
    expect((await columns(after.generationId))[0]?.hallucinated).toBe(1);
  }, 90_000);

  it('recovers what a dead process left unscored, half-written rows included, once', async () => {
    // Stored by the drain, never scored: the process died with the trace open.
    const lost = ragSpans();
    await h.storeRows(rowsOf(lost.spans));
    // Died between inserting the rows and setting the columns.
    const half = ragSpans();
    const dying = stage(
      [createGroundednessEnricher()],
      failingCommands(h.store, () => true, 'killed'),
    );
    await h.score(dying, rowsOf(half.spans));
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
  }, 90_000);

  it('queues one drain at most behind a slow one, however often it is polled', async () => {
    const slow = gatedEnricher();
    let drains = 0;
    const s = stage([createGroundednessEnricher(), slow.enricher], h.store, {
      paused: () => {
        drains++;
        return false;
      },
    });
    const trace = ragSpans();
    await h.arrive(s, [trace]);
    const first = s.flush();
    // The first drain reaches the slow enricher; fifty polls meanwhile.
    await until(() => drains > 0);
    const polls = Array.from({ length: 50 }, () => s.flush());
    expect(new Set(polls).size).toBe(1);
    slow.releaseAll();
    await Promise.all([first, ...polls]);
    expect(drains).toBe(2);
    expect((await perEvaluator(trace.traceId)).map((r) => r.evaluator)).toEqual([
      'answer_relevance',
      'context_relevance',
      'groundedness',
    ]);
  });

  it('at a close out of time, finishes the batch in flight and leaves the rest to recovery, quietly', async () => {
    let started = 0;
    const slow: TraceEnricher = {
      name: 'slow',
      async enrich() {
        started++;
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { rows: {} };
      },
    };
    const errors: string[] = [];
    const s = stage([createGroundednessEnricher(), slow], h.store, {
      maxBatchTraces: 1,
      onError: (e) => errors.push(e.message),
    });
    const traces = Array.from({ length: 4 }, () => ragSpans());
    const tables = rowsOf(traces.flatMap((t) => t.spans));
    await h.storeRows(tables);
    s.add(tables);
    await s.close(50);
    // One batch was in flight when time ran out; it completed, and no other started.
    expect(started).toBe(1);
    expect(errors).toEqual(['trace stage: 3 traces left unscored at shutdown (recovered on start)']);
    const scored = await h.store.query<{ n: number }>(
      `SELECT toUInt32(uniqExact(trace_id)) AS n FROM evaluations WHERE trace_id IN {t:Array(String)}`,
      { params: { t: traces.map((t) => t.traceId) } },
    );
    expect(scored[0]?.n).toBe(1);
    expect(await stage().recover()).toBe(3);
  }, 90_000);
});
