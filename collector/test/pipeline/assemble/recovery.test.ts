/**
 * Generations that cannot be scored across a restart, on both store backends,
 * in a database of their own. A generation with no question and no context (a
 * prompt given as instructions alone, with no retrieval) gets no score, but
 * the roll-up may count a gap verdict for it: read back by the next process,
 * it must count once.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createGroundednessEnricher } from '../../../src/enrich/groundedness.ts';
import { createTopicsEnricher } from '../../../src/enrich/topics/enricher.ts';
import type { SpanRecord } from '../../../src/otlp/span-record.ts';
import { storeBackends } from '../../helpers/store-backends.ts';
import { DOCS, rowsOf, useTraceStageHarness } from '../../helpers/trace-stage-harness.ts';
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
});
