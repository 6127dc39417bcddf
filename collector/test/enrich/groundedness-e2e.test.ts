/**
 * Groundedness through a running collector: RAG traces exported as separate
 * OTLP/HTTP requests, out of order, are assembled, paired and scored; every
 * convention gets the score the scorer gives the same question, context and
 * answer; a retrieval arriving after its generation was scored re-scores it,
 * leaving one row per (span, evaluator) and the llm_spans columns in step.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { answerRelevance, contextRelevance, groundedness, piiScorer } from '@oversight/scorers';
import { createGuard } from '@oversight/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';
import { ANSWER, CONVENTIONS, DOCUMENTS, post, QUESTION, ragTrace } from './rag-traces.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;

beforeAll(async () => {
  collector = await startTestCollector({ evaluators: 'none', traceGraceMs: 300, traceIdleMs: 1_500 });
});
afterAll(async () => {
  await collector?.dispose();
});

interface EvalRow {
  span_id: string;
  evaluator: string;
  target: string;
  score: number;
  label: string;
  explanation: string;
  source: string;
}

const evaluations = (traceId: string) =>
  collector.store.query<EvalRow>(
    `SELECT span_id, evaluator, target, score, label, explanation, source FROM evaluations
      WHERE trace_id = {t:String} AND evaluator IN ('groundedness', 'answer_relevance', 'context_relevance')
      ORDER BY evaluator`,
    { params: { t: traceId } },
  );

const qualityColumns = (spanId: string) =>
  collector.store.query<{
    groundedness: number | null;
    hallucinated: number | null;
    answer_relevance: number | null;
    context_relevance: number | null;
  }>(
    `SELECT groundedness, hallucinated, answer_relevance, context_relevance FROM llm_spans WHERE span_id = {s:String}`,
    { params: { s: spanId } },
  );

async function scored(traceId: string, evaluators: number): Promise<EvalRow[]> {
  return waitFor(
    async () => {
      const rows = await evaluations(traceId);
      return rows.length >= evaluators ? rows : null;
    },
    20_000,
    `${evaluators} quality rows for ${traceId}`,
  );
}

const expected = {
  groundedness: groundedness(ANSWER, DOCUMENTS, { question: QUESTION }),
  answer: answerRelevance(QUESTION, ANSWER),
  context: contextRelevance(QUESTION, DOCUMENTS),
};

describe('trace stage through a running collector', () => {
  it('the reference pair is a hallucination (the test would pass on anything otherwise)', () => {
    expect(expected.groundedness.label).toBe('hallucinated');
    expect(expected.context.label).toBe('relevant');
  });

  it.each(CONVENTIONS)(
    '%s: out-of-order requests pair the generation with its retrieval',
    async (convention) => {
      const t = ragTrace(convention);
      // Generation first, root last: the assembler must wait for the trace, not score on arrival.
      await post(collector.url, TEST_KEY, t.generation);
      await post(collector.url, TEST_KEY, t.retrieval);
      await post(collector.url, TEST_KEY, t.root);
      const rows = await scored(t.traceId, 3);
      expect(rows.map((r) => [r.evaluator, r.span_id, r.target, r.source])).toEqual([
        ['answer_relevance', t.generationId, 'output', 'collector'],
        ['context_relevance', t.generationId, 'span', 'collector'],
        ['groundedness', t.generationId, 'output', 'collector'],
      ]);
      const g = rows.find((r) => r.evaluator === 'groundedness') as EvalRow;
      expect(g.score).toBeCloseTo(expected.groundedness.score, 9);
      expect(g.label).toBe('hallucinated');
      expect(g.explanation).toContain('30 business days');
      expect(rows.find((r) => r.evaluator === 'context_relevance')?.score).toBeCloseTo(
        expected.context.score,
        9,
      );
      expect(rows.find((r) => r.evaluator === 'answer_relevance')?.score).toBeCloseTo(
        expected.answer.score,
        9,
      );
      const columns = await waitFor(async () => {
        const [c] = await qualityColumns(t.generationId);
        return c?.groundedness !== null && c?.groundedness !== undefined ? c : null;
      });
      expect(columns.groundedness).toBeCloseTo(expected.groundedness.score, 5);
      expect(columns.hallucinated).toBe(1);
      expect(columns.context_relevance).toBeCloseTo(expected.context.score, 5);
      expect(columns.answer_relevance).toBeCloseTo(expected.answer.score, 5);
    },
  );

  it('a retrieval arriving after its generation was scored re-scores it without duplicate rows', async () => {
    const t = ragTrace('otel-genai');
    await post(collector.url, TEST_KEY, t.generation);
    await post(collector.url, TEST_KEY, t.root);
    // Scored without context: answer relevance only.
    const first = await scored(t.traceId, 1);
    expect(first.map((r) => r.evaluator)).toEqual(['answer_relevance']);
    // The columns are set by the UPDATE that follows the evaluation rows' insert.
    const before = await waitFor(async () => {
      const [c] = await qualityColumns(t.generationId);
      return c?.answer_relevance !== null && c?.answer_relevance !== undefined ? c : null;
    });
    expect(before?.groundedness).toBeNull();
    expect(before?.answer_relevance).toBeCloseTo(expected.answer.score, 5);

    await post(collector.url, TEST_KEY, t.retrieval);
    const rows = await scored(t.traceId, 3);
    // Give a wrongly duplicated write the time to land before counting.
    await collector.traceStage?.flush();
    const again = await evaluations(t.traceId);
    expect(again.map((r) => r.evaluator)).toEqual(['answer_relevance', 'context_relevance', 'groundedness']);
    expect(rows.find((r) => r.evaluator === 'groundedness')?.score).toBeCloseTo(
      expected.groundedness.score,
      9,
    );
    const [after] = await qualityColumns(t.generationId);
    expect(after?.groundedness).toBeCloseTo(expected.groundedness.score, 5);
    expect(after?.hallucinated).toBe(1);
    expect(collector.traceStage?.metrics().tracesRescored).toBeGreaterThanOrEqual(1);
  });

  it('a grounded answer is labelled grounded and its columns say so', async () => {
    const answer =
      'Refunds go to the original payment method and take 5 business days to reach the customer.';
    const t = ragTrace('openinference', answer);
    await post(collector.url, TEST_KEY, t.root);
    await post(collector.url, TEST_KEY, t.retrieval);
    await post(collector.url, TEST_KEY, t.generation);
    const rows = await scored(t.traceId, 3);
    const g = rows.find((r) => r.evaluator === 'groundedness') as EvalRow;
    expect(g.label).toBe('grounded');
    expect(g.score).toBeCloseTo(groundedness(answer, DOCUMENTS, { question: QUESTION }).score, 9);
    const columns = await waitFor(async () => {
      const [c] = await qualityColumns(t.generationId);
      return c?.hallucinated !== null && c?.hallucinated !== undefined ? c : null;
    });
    expect(columns.hallucinated).toBe(0);
  });

  it('stores the SDK guard.output verdict as a groundedness evaluation of the guard span', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'guarded-bot' }),
      spanProcessors: [
        new SimpleSpanProcessor({
          exporter: new OTLPTraceExporter({
            url: `${collector.url}/v1/traces`,
            headers: { authorization: `Bearer ${TEST_KEY}` },
          }),
        }),
      ],
    });
    trace.setGlobalTracerProvider(provider);
    try {
      const guard = createGuard({ scorers: { pii: piiScorer } });
      const verdict = guard.output(ANSWER, { context: DOCUMENTS, question: QUESTION });
      expect(verdict.decision).toBe('flagged');
      await provider.forceFlush();
      const rows = await waitFor(async () => {
        const got = await collector.store.query<EvalRow & { trace_id: string }>(
          `SELECT span_id, evaluator, target, score, label, explanation, source FROM evaluations
            WHERE evaluator IN ('groundedness', 'hallucination') AND source IN ('sdk', 'app') ORDER BY evaluator`,
        );
        return got.length >= 2 ? got : null;
      });
      expect(rows.map((r) => [r.evaluator, r.label, r.source])).toEqual([
        ['groundedness', 'hallucinated', 'app'],
        ['hallucination', 'flagged', 'sdk'],
      ]);
      expect(rows[0]?.score).toBeCloseTo(expected.groundedness.score, 9);
      expect(rows[1]?.score).toBeCloseTo(1 - expected.groundedness.score, 9);
      expect(rows[0]?.explanation).toContain('30 business days');
    } finally {
      await provider.shutdown();
      trace.disable();
      context.disable();
    }
  });

  it('exports the assembler and stage counters on /metrics', async () => {
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    expect(text).toMatch(/^oversight_trace_open \d+/m);
    expect(text).toMatch(/^oversight_trace_open_bytes \d+/m);
    expect(text).toMatch(/^oversight_trace_pending_bytes \d+/m);
    expect(text).toMatch(/^oversight_trace_flushed_total\{kind="root_ended"\} [1-9]\d*/m);
    expect(text).toMatch(/^oversight_trace_scored_total\{kind="rescored"\} [1-9]\d*/m);
    // The traces above were scored: the stage worked for some of the time, and counted it.
    const busy = /^oversight_trace_busy_seconds_total (\S+)$/m.exec(text);
    expect(Number(busy?.[1])).toBeGreaterThan(0);
  });
});
