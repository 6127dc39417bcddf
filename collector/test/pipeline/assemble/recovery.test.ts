/**
 * Recovery on start and generations that cannot be scored, on both store
 * backends, each suite in a database of its own so what recovery finds is
 * exactly what the test left. A generation with no question and no context
 * (a prompt given as instructions alone, with no retrieval) gets no score;
 * once the trace stage has judged it, it is settled: a restart does not read
 * it back again, nor let it take the place of one that can be scored.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createGroundednessEnricher } from '../../../src/enrich/groundedness.ts';
import { createTopicsEnricher } from '../../../src/enrich/topics/enricher.ts';
import type { SpanRecord } from '../../../src/otlp/span-record.ts';
import { unscoredTraces } from '../../../src/pipeline/assemble/trace-store.ts';
import type { Row } from '../../../src/store/store.ts';
import { storeBackends } from '../../helpers/store-backends.ts';
import {
  DOCS,
  failingCommands,
  isColumnsUpdate,
  ragSpans,
  rowsOf,
  useTraceStageHarness,
} from '../../helpers/trace-stage-harness.ts';
import { spanWith } from '../../normalize/span-fixture.ts';

const hexId = (bytes: number) => randomBytes(bytes).toString('hex');

interface PlainTrace {
  traceId: string;
  root: SpanRecord;
  generation: SpanRecord;
  /** A retrieval for the generation, to send late. */
  retrieval: SpanRecord;
}

/**
 * A root and a generation prompted by instructions alone (no user turn) and
 * given no documents: nothing to ground it against, no question to judge it by.
 */
function plainSpans(): PlainTrace {
  const traceId = hexId(16);
  const [root, retrieval, generation] = [hexId(8), hexId(8), hexId(8)];
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const at = (ms: number) => t0 + BigInt(ms) * 1_000_000n;
  return {
    traceId,
    root: spanWith(
      {},
      { traceId, spanId: root, name: 'job', startTimeUnixNano: at(0), endTimeUnixNano: at(50) },
    ),
    retrieval: spanWith(
      {
        'gen_ai.operation.name': 'retrieval',
        'gen_ai.retrieval.query.text': 'When was the bridge opened to traffic?',
        'gen_ai.retrieval.documents': JSON.stringify(DOCS.map((content, i) => ({ id: `d${i}`, content }))),
      },
      { traceId, parentSpanId: root, spanId: retrieval, startTimeUnixNano: at(1), endTimeUnixNano: at(5) },
    ),
    generation: spanWith(
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.input.messages': JSON.stringify([
          {
            role: 'system',
            parts: [{ type: 'text', content: 'Write one sentence about the Millau bridge.' }],
          },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            parts: [{ type: 'text', content: 'The bridge was opened to traffic in 1998.' }],
          },
        ]),
      },
      { traceId, parentSpanId: root, spanId: generation, startTimeUnixNano: at(6), endTimeUnixNano: at(40) },
    ),
  };
}

describe.each(storeBackends())('recovery on $name', (backend) => {
  const h = useTraceStageHarness(backend);
  const { stage } = h;

  const evaluators = (traceId: string) =>
    h.store.query<{ evaluator: string; n: number }>(
      `SELECT evaluator, toUInt32(count()) AS n FROM evaluations
        WHERE trace_id = {t:String} GROUP BY evaluator ORDER BY evaluator`,
      { params: { t: traceId } },
    );
  const columns = (spanId: string) =>
    h.store.query<Row>(
      `SELECT groundedness, answer_relevance, app_step FROM llm_spans WHERE span_id = {s:String}`,
      { params: { s: spanId } },
    );
  const grounded = [
    { evaluator: 'answer_relevance', n: 1 },
    { evaluator: 'context_relevance', n: 1 },
    { evaluator: 'groundedness', n: 1 },
  ];
  /** Scores `traces` whole in one process, as a deploy's previous process did. */
  const scoredBefore = async (traces: PlainTrace[]) => {
    await h.score(stage(), rowsOf(traces.flatMap((t) => [t.root, t.generation])));
    for (const t of traces) {
      // Judged, and nothing to score: no row, no column, no step of the app's own.
      expect(await evaluators(t.traceId)).toEqual([]);
      expect(await columns(t.generation.spanId)).toEqual([
        { groundedness: null, answer_relevance: null, app_step: '' },
      ]);
    }
  };

  // The tests run in order, each leaving nothing for recovery to find.
  it('reads back only the scorable traces after a restart, and nothing the next time', async () => {
    const plain = [plainSpans(), plainSpans()];
    await scoredBefore(plain);
    // Stored by the drain, never scored: the process died with the trace open.
    const lost = ragSpans();
    await h.storeRows(rowsOf(lost.spans));

    const found = await unscoredTraces(h.store, 3_600_000, 20_000);
    expect(found.map((t) => t.traceId)).toEqual([lost.traceId]);
    const restarted = stage();
    expect(await restarted.recover()).toBe(1);
    expect(await evaluators(lost.traceId)).toEqual(grounded);
    expect(await stage().recover()).toBe(0);
  }, 90_000);

  it('keeps the recovery limit for traces that can be scored', async () => {
    // The lost trace is older than the plain ones: recovery takes the newest first.
    const lost = ragSpans();
    for (const s of lost.spans) {
      s.startTimeUnixNano -= 60_000_000_000n;
      s.endTimeUnixNano -= 60_000_000_000n;
    }
    await h.storeRows(rowsOf(lost.spans));
    await scoredBefore([plainSpans(), plainSpans(), plainSpans()]);

    expect(await stage([createGroundednessEnricher()], h.store, { recoverMaxTraces: 3 }).recover()).toBe(1);
    expect(await evaluators(lost.traceId)).toEqual(grounded);
  }, 90_000);

  it('leaves a re-score of a judged generation to recovery when it dies before the columns are set', async () => {
    const t = plainSpans();
    let dying = false;
    let dead = false;
    // Once dying, the columns' UPDATE fails, and every command after it: the process is gone.
    const killedAt = (sql: string) => {
      dead ||= dying && isColumnsUpdate(sql);
      return dead;
    };
    const s = stage([createGroundednessEnricher()], failingCommands(h.store, killedAt, 'killed'));
    await h.score(s, rowsOf([t.root, t.generation]));
    expect(await evaluators(t.traceId)).toEqual([]);
    // Its retrieval comes late: now the generation can be grounded, and the process dies
    // after the rows are written and before the columns are set.
    dying = true;
    h.advance(10_000);
    await h.score(s, rowsOf([t.retrieval]));
    h.advance(60_000);
    await s.flush();
    expect(s.metrics()).toMatchObject({ lateSpans: 1, pendingTraces: 1 });
    await s.close(0);
    expect(await columns(t.generation.spanId)).toEqual([
      { groundedness: null, answer_relevance: null, app_step: '' },
    ]);

    expect(await stage().recover()).toBe(1);
    expect(await evaluators(t.traceId)).toEqual(grounded);
    expect((await columns(t.generation.spanId))[0]?.groundedness).not.toBeNull();
  }, 90_000);

  it('leaves a judged trace read back after a restart to recovery when the next process dies mid-write', async () => {
    const t = plainSpans();
    await scoredBefore([t]);
    // Its retrieval reaches the next process just after a deploy: the trace is read back, its
    // generation can now be grounded, and the process dies before the columns are set.
    const s = stage([createGroundednessEnricher()], failingCommands(h.store, isColumnsUpdate, 'killed'));
    await h.score(s, rowsOf([t.retrieval]));
    await s.close(0);
    expect(await columns(t.generation.spanId)).toEqual([
      { groundedness: null, answer_relevance: null, app_step: '' },
    ]);

    expect(await stage().recover()).toBe(1);
    expect(await evaluators(t.traceId)).toEqual(grounded);
    expect((await columns(t.generation.spanId))[0]?.groundedness).not.toBeNull();
  }, 90_000);

  it('counts a generation the last process counted once, its trace read back after a restart', async () => {
    const project = `readback-ledger-${backend.name}`;
    const t = plainSpans();
    const topics = () => createTopicsEnricher({ store: h.store, embedder: { kind: 'hashed' } });
    const net = async () =>
      (
        await h.store.query<{ rows: number; net: number }>(
          `SELECT toInt32(count()) AS rows, toInt32(sum(sign)) AS net FROM quality_events
            WHERE trace_id = {t:String} AND span_id = {s:String}`,
          { params: { t: t.traceId, s: t.generation.spanId } },
        )
      )[0];
    // The generation reaches the last process: no score, but a gap verdict the roll-up counts
    // (the answer is no refusal), in the ledger, with no evaluator row beside it.
    const last = stage([createGroundednessEnricher(), await topics()]);
    await h.score(last, rowsOf([t.generation], project));
    h.advance(10_000);
    await last.flush();
    await last.close();
    expect(await net()).toEqual({ rows: 1, net: 1 });
    expect(await evaluators(t.traceId)).toEqual([]);

    // Its root reaches the next process just after a deploy: the trace is read back and paired
    // whole, its generation judged again.
    const next = stage([createGroundednessEnricher(), await topics()]);
    await h.score(next, rowsOf([t.root], project));
    expect(next.metrics()).toMatchObject({ generationsScored: 1 });
    expect((await net())?.net).toBe(1);
  }, 90_000);

  it('counts a generation once when the last process died before marking it judged', async () => {
    const project = `readback-unjudged-${backend.name}`;
    const t = plainSpans();
    const topics = () => createTopicsEnricher({ store: h.store, embedder: { kind: 'hashed' } });
    const net = async () =>
      (
        await h.store.query<{ net: number }>(
          `SELECT toInt32(sum(sign)) AS net FROM quality_events
            WHERE trace_id = {t:String} AND span_id = {s:String}`,
          { params: { t: t.traceId, s: t.generation.spanId } },
        )
      )[0]?.net;
    const judged = async () =>
      (
        await h.store.query<{ judged: number }>('SELECT judged FROM llm_spans WHERE span_id = {s:String}', {
          params: { s: t.generation.spanId },
        })
      )[0]?.judged;
    // The last process writes the gap verdict to the ledger and dies before the columns'
    // UPDATE: nothing but the ledger says the generation was counted.
    const last = stage(
      [createGroundednessEnricher(), await topics()],
      failingCommands(h.store, isColumnsUpdate, 'killed'),
    );
    await h.score(last, rowsOf([t.generation], project));
    await last.close(0);
    expect(await net()).toBe(1);
    expect(await judged()).toBe(0);
    expect(await evaluators(t.traceId)).toEqual([]);

    // Its root reaches the next process just after the restart: the trace is read back, its
    // generation judged again and counted where the ledger has it, not a second time.
    const next = stage([createGroundednessEnricher(), await topics()]);
    await h.score(next, rowsOf([t.root], project));
    expect(next.metrics()).toMatchObject({ generationsScored: 1, tracesRescored: 0 });
    expect(await net()).toBe(1);
    expect(await judged()).toBe(1);
  }, 90_000);
});
